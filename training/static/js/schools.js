import { api, auth, canManage, whoAmI } from "./api.js";
import { educationLevels, tradePicker } from "./catalogue.js";
import { COURSE_KINDS, SKILL_LEVELS } from "./labels.js";
import { openSessionCreate } from "./sessions.js";
import { TABS } from "./tabs.js";
import { $, badge, countyToday, dateRange, loadInto, seatsCell, code, ctl, el, field, formCard, hideMsg, makeForm, put, select, showOk, showProblem, small, table, td, tradeChip } from "./ui.js";

// ================================================================ 学校（四晒一亮）

TABS.schools = {
  currentId: null,
  init() {
    const form = $("#school-search");
    if (!form.dataset.bound) {
      form.dataset.bound = "1";
      form.addEventListener("submit", (e) => { e.preventDefault(); this.loadList(ctl(form, "q").value.trim()); });
    }
    this.loadList("");
  },
  reset() {
    this.currentId = null;
    $("#school-list").replaceChildren();
    $("#school-detail").replaceChildren(el("p", { class: "empty", text: "请选择一所学校。" }));
    hideMsg($("#school-list-msg"));
  },
  async loadList(q) {
    const list = $("#school-list");
    const msg = $("#school-list-msg");
    hideMsg(msg);
    list.replaceChildren(el("li", { class: "loading", text: "加载中…" }));
    try {
      const page = await api("GET", "/api/schools", { query: { limit: 100, q } });
      list.replaceChildren();
      if (!page.items.length) list.append(el("li", { class: "empty", text: "没有找到学校。" }));
      for (const s of page.items) {
        list.append(el("li", {},
          el("button", {
            type: "button", class: s.id === this.currentId ? "school-item active" : "school-item",
            dataset: { id: s.id }, onclick: () => this.open(s.id),
          }, el("span", { class: "school-name", text: s.name }), small(s.kind_label || s.kind))));
      }
      if (page.total > page.items.length) {
        list.append(el("li", { class: "muted", text: `共 ${page.total} 所，仅显示前 ${page.items.length} 所，请用搜索缩小范围。` }));
      }
      if (!this.currentId && page.items.length && window.matchMedia("(min-width: 900px)").matches) {
        // A school lands on its own page (its sessions' fill and completion), others on the first school.
        const me = auth.role === "school" ? await whoAmI() : null;
        this.open(me && page.items.some((x) => x.id === me.school_id) ? me.school_id : page.items[0].id);
      }
    } catch (err) {
      list.replaceChildren();
      showProblem(msg, err);
    }
  },
  async open(id, { keepMessage, formKey } = {}) {
    this.currentId = id;
    for (const b of document.querySelectorAll(".school-item")) b.classList.toggle("active", b.dataset.id === id);
    const out = $("#school-detail");
    if (!keepMessage) out.replaceChildren(el("p", { class: "loading", text: "加载中…" }));
    try {
      const [detail, me] = await Promise.all([api("GET", `/api/schools/${encodeURIComponent(id)}`), whoAmI()]);
      if (this.currentId !== id) return;
      // A school changes only its own records: another school's page has no forms or 开班 buttons.
      const own = auth.role === "admin" || (auth.role === "school" && me.school_id === id);
      out.replaceChildren(renderSchool(detail, formKey ? null : keepMessage, own));
      if (auth.role === "school" && own) out.prepend(mySessions(detail.school, me.county_code));
      const card = formKey && out.querySelector(`details[data-key="${formKey}"]`);
      if (card) {
        card.open = true;
        const box = card.querySelector(".msg");
        showOk(box, keepMessage);
        box.scrollIntoView({ block: "nearest" });
      }
    } catch (err) {
      const box = el("div", { class: "msg" });
      out.replaceChildren(box);
      showProblem(box, err);
    }
  },
};

const ratio = (a, b) => (b ? `${Math.round((a / b) * 1000) / 10}%` : "—");

/** 本校培训班: a school's own sessions this year, each with its fill, and the year's completions
 *  (GET /api/progress for the school's county answers with the school's own figures). */
function mySessions(school, countyCode) {
  const out = el("div", {});
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const year = countyToday().slice(0, 4);
  loadInto(out, msg, null, async () => {
    const [p, page] = await Promise.all([
      api("GET", "/api/progress", { query: { region_code: countyCode, year } }),
      api("GET", "/api/sessions", { query: { school_id: school.id, starts_from: `${year}-01-01`, limit: 100 } }),
    ]);
    const live = page.items.filter((x) => x.status !== "cancelled");
    const seats = live.reduce((n, x) => n + x.capacity, 0);
    const taken = live.reduce((n, x) => n + x.enrolled, 0);
    const figures = el("div", { class: "stats" },
      el("div", { class: "stat" }, el("div", { class: "stat-label", text: "本年培训班" }), el("div", { class: "stat-value", text: String(live.length) }),
        small(`已发布 ${live.filter((x) => x.status === "published").length}，草稿 ${live.filter((x) => x.status === "draft").length}`)),
      el("div", { class: "stat" }, el("div", { class: "stat-label", text: "报名 / 名额" }), el("div", { class: "stat-value", text: `${taken} / ${seats}` }),
        small(`满员率 ${ratio(taken, seats)}，在训 ${p.enrolled_now}，候补 ${p.waitlisted_now}`)),
      el("div", { class: "stat" }, el("div", { class: "stat-label", text: "本年结业（人次）" }), el("div", { class: "stat-value", text: String(p.person_times_completed) }),
        small(`${p.persons_completed} 人，取证 ${p.certified}，就业 ${p.employed}`)),
      el("div", { class: "stat" }, el("div", { class: "stat-label", text: "指标（人次）" }), el("div", { class: "stat-value", text: p.target_person_times ?? "—" }),
        small(p.target_person_times ? `完成 ${ratio(p.person_times_completed, p.target_person_times)}` : "未设本校指标")));
    if (!page.items.length) return [figures, el("p", { class: "empty", text: `${year} 年还没有培训班。` })];
    const rows = page.items.map((x) => el("tr", { class: `status-${x.status}` },
      td("培训班", x.course_title), td("日期", dateRange(x.starts_on, x.ends_on)),
      td("状态", badge(x.status_label || x.status, `status status-${x.status}`)),
      td("报名", el("progress", { class: "fill-bar", max: Math.max(1, x.capacity), value: Math.min(x.enrolled, x.capacity), title: ratio(x.enrolled, x.capacity) }),
        seatsCell(x))));
    return [figures, table(["培训班", "日期", "状态", "报名"], rows, { cls: "cards-on-phone" })];
  });
  return el("section", { class: "card my-school" }, el("h3", { text: `本校 ${year} 年培训班：报名与结业` }), msg, out);
}

export function tradeUnion(detail) {
  const map = new Map();
  const add = (t, key) => {
    if (!map.has(t.code)) map.set(t.code, { code: t.code, name: t.name, major: 0, teacher: 0, equipment: 0, course: 0 });
    map.get(t.code)[key] += 1;
  };
  for (const m of detail.majors) for (const t of m.trades || []) add(t, "major");
  for (const m of detail.teachers) for (const t of m.trades || []) add(t, "teacher");
  for (const m of detail.equipment) for (const t of m.trades || []) add(t, "equipment");
  for (const c of detail.courses) add({ code: c.trade_code, name: c.trade_name }, "course");
  return [...map.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export function section(title, count, ...content) {
  return el("section", { class: "card show-section" },
    el("h3", {}, title, count === null ? null : small(` ${count}`, "count")), content);
}

export function mark(n) {
  return n ? el("span", { class: "yes", text: n > 1 ? `✓ ${n}` : "✓" }) : el("span", { class: "no", text: "—" });
}

export function renderSchool(detail, flash, own = canManage()) {
  const s = detail.school;
  const head = el("div", { class: "card school-head" },
    el("h3", {}, s.name, " ", badge(s.kind_label || s.kind)),
    el("dl", { class: "facts" },
      el("dt", { text: "地址" }), el("dd", { text: s.address || "—" }),
      el("dt", { text: "电话" }), el("dd", { text: s.phone || "—" })));
  const flashBox = el("div", { class: "msg", hidden: true, role: "status" });
  if (flash) showOk(flashBox, flash);

  const majors = section("晒专业", detail.majors.length, detail.majors.length
    ? table(["专业", "对应工种"], detail.majors.map((m) =>
      el("tr", {}, td("专业", m.name), td("对应工种", el("div", { class: "chips" }, m.trades.map(tradeChip))))), { cls: "cards-on-phone" })
    : el("p", { class: "empty", text: "尚未登记专业。" }));

  const union = tradeUnion(detail);
  const trades = section("晒工种", union.length, union.length
    ? table(["工种", "代码", "专业", "师资", "设备", "课程"], union.map((t) =>
      el("tr", { class: t.course && !t.teacher ? "row-warn" : "" },
        td("工种", t.name), td("代码", code(t.code)), td("专业", mark(t.major)), td("师资", mark(t.teacher)),
        td("设备", mark(t.equipment)), td("课程", mark(t.course)))))
    : el("p", { class: "empty", text: "尚无工种。" }),
  union.some((t) => t.course && !t.teacher)
    ? small("黄色行：有课程但没有能教该工种的教师，这类培训班无法发布。", "hint")
    : null);

  const teachers = section("晒师资", detail.teachers.length, detail.teachers.length
    ? table(["姓名", "职称", "技能等级", "可教工种"], detail.teachers.map((t) =>
      el("tr", {}, td("姓名", t.name), td("职称", t.title || "—"),
        td("技能等级", t.skill_level ? SKILL_LEVELS[t.skill_level] || t.skill_level : "—"),
        td("可教工种", el("div", { class: "chips" }, t.trades.map(tradeChip))))), { cls: "cards-on-phone" })
    : el("p", { class: "empty", text: "尚未登记教师。" }));

  const equipment = section("晒设备", detail.equipment.length, detail.equipment.length
    ? table(["设备", "数量", "适用工种"], detail.equipment.map((q) =>
      el("tr", {}, td("设备", q.name), td("数量", String(q.quantity)),
        td("适用工种", el("div", { class: "chips" }, q.trades.map(tradeChip))))), { cls: "cards-on-phone" })
    : el("p", { class: "empty", text: "尚未登记设备。" }));

  const manage = canManage() && own;
  const courseHeaders = ["课程", "工种", "类型", "学时", "技能等级", "证书", "对象", "说明"];
  if (manage) courseHeaders.push("操作");
  const courses = section("课程", detail.courses.length, detail.courses.length
    ? table(courseHeaders, detail.courses.map((c) => {
      const ages = c.min_age !== null || c.max_age !== null
        ? `${c.min_age ?? "不限"}–${c.max_age ?? "不限"} 岁` : "";
      const who = [ages, c.min_education_name ? `${c.min_education_name}及以上` : ""].filter(Boolean).join("，");
      return el("tr", {},
        td("课程", el("div", { class: "cell-title", text: c.title })),
        td("工种", el("div", { text: c.trade_name }), code(c.trade_code)),
        td("类型", c.kind_label || COURSE_KINDS[c.kind] || c.kind),
        td("学时", String(c.hours)),
        td("技能等级", c.skill_level ? SKILL_LEVELS[c.skill_level] || c.skill_level : "—"),
        td("证书", c.certificate ? "可取证" : "—"),
        td("对象", who || "不限"),
        td("说明", c.description ? el("div", { class: "desc", text: c.description }) : "—"),
        manage ? td("操作", el("button", {
          type: "button", class: "btn btn-sm", text: "开班",
          title: "用该课程新建培训班（草稿）",
          onclick: () => openSessionCreate(s.id, c.id),
        })) : null);
    }), { cls: "cards-on-phone" })
    : el("p", { class: "empty", text: "尚未开设课程。" }));

  return el("div", {}, head, flashBox,
    el("div", { class: "show-grid" }, majors, trades, teachers, equipment),
    courses,
    manage ? schoolForms(s) : null);
}

export function schoolForms(school) {
  const base = `/api/schools/${encodeURIComponent(school.id)}`;
  const done = (key, text) => TABS.schools.open(school.id, { keepMessage: text, formKey: key });

  const majorPicker = tradePicker();
  const majorForm = makeForm(() => [
    field("专业名称", el("input", { name: "name", maxlength: 100 }), { name: "name" }),
    field("对应工种", majorPicker.root, { name: "trade_codes", wide: true }),
  ], async (form) => {
    const body = { trade_codes: majorPicker.codes };
    put(body, "name", ctl(form, "name").value);
    const major = await api("POST", `${base}/majors`, { body });
    await done("major", `已新增专业“${major.name}”。`);
  });

  const teacherPicker = tradePicker();
  const teacherForm = makeForm(() => [
    field("姓名", el("input", { name: "name", maxlength: 100 }), { name: "name" }),
    field("职称", el("input", { name: "title", maxlength: 100, placeholder: "如：讲师、农艺师" }), { name: "title" }),
    field("技能等级", select(Object.entries(SKILL_LEVELS), { placeholder: "（无）" }), { name: "skill_level" }),
    field("可教工种", teacherPicker.root, { name: "trade_codes", wide: true }),
  ], async (form) => {
    const body = { trade_codes: teacherPicker.codes };
    put(body, "name", ctl(form, "name").value);
    put(body, "title", ctl(form, "title").value);
    put(body, "skill_level", form.querySelector("[data-field=skill_level] select").value);
    const teacher = await api("POST", `${base}/teachers`, { body });
    await done("teacher", `已新增教师“${teacher.name}”。`);
  });

  const equipmentPicker = tradePicker();
  const equipmentForm = makeForm(() => [
    field("设备名称", el("input", { name: "name", maxlength: 100 }), { name: "name" }),
    field("数量", el("input", { name: "quantity", type: "number", min: 1, max: 100000, step: 1, inputmode: "numeric" }),
      { name: "quantity" }),
    field("适用工种", equipmentPicker.root, { name: "trade_codes", wide: true }),
  ], async (form) => {
    const body = { trade_codes: equipmentPicker.codes };
    put(body, "name", ctl(form, "name").value);
    put(body, "quantity", ctl(form, "quantity").value, "int");
    const item = await api("POST", `${base}/equipment`, { body });
    await done("equipment", `已新增设备“${item.name}”。`);
  });

  const coursePicker = tradePicker({ multiple: false });
  const educationSelect = select([], { placeholder: "（不限）" });
  educationLevels().then((levels) => {
    for (const l of levels) educationSelect.append(el("option", { value: l.code, text: `${l.name}（${l.code}）` }));
  }).catch(() => { /* the field stays 不限; the course form still works */ });
  const courseForm = makeForm(() => [
    field("课程名称", el("input", { name: "title", maxlength: 100 }), { name: "title" }),
    field("培训类型", select(Object.entries(COURSE_KINDS), { placeholder: "— 选择 —" }), { name: "kind" }),
    field("工种", coursePicker.root, { name: "trade_code", wide: true }),
    field("学时", el("input", { name: "hours", type: "number", min: 1, max: 5000, inputmode: "numeric" }), { name: "hours" }),
    field("技能等级", select(Object.entries(SKILL_LEVELS), { placeholder: "（不定级）" }), { name: "skill_level" }),
    field("结业发证", el("label", { class: "check" }, el("input", { type: "checkbox", name: "certificate" }), " 可取得职业技能等级证书"),
      { name: "certificate" }),
    field("最低年龄", el("input", { name: "min_age", type: "number", min: 0, max: 120, inputmode: "numeric" }), { name: "min_age" }),
    field("最高年龄", el("input", { name: "max_age", type: "number", min: 0, max: 120, inputmode: "numeric" }), { name: "max_age" }),
    field("最低学历", educationSelect, { name: "min_education" }),
    field("课程说明", el("textarea", { name: "description", rows: 2, maxlength: 2000 }), { name: "description", wide: true }),
  ], async (form) => {
    const body = { school_id: school.id, certificate: ctl(form, "certificate").checked };
    put(body, "title", ctl(form, "title").value);
    put(body, "trade_code", coursePicker.code);
    put(body, "kind", form.querySelector("[data-field=kind] select").value);
    put(body, "hours", ctl(form, "hours").value, "int");
    put(body, "skill_level", form.querySelector("[data-field=skill_level] select").value);
    put(body, "min_age", ctl(form, "min_age").value, "int");
    put(body, "max_age", ctl(form, "max_age").value, "int");
    put(body, "min_education", form.querySelector("[data-field=min_education] select").value);
    put(body, "description", ctl(form, "description").value);
    const course = await api("POST", "/api/courses", { body });
    await done("course", `已新增课程“${course.title}”。可在课程表中点“开班”新建培训班。`);
  });

  return el("section", { class: "manage" },
    el("h3", { text: "维护本校信息" }),
    small(auth.role === "school"
      ? "学校账号只能修改本校信息；对其他学校提交会被拒绝（无权操作）。"
      : "管理员可维护本县各学校的信息。", "hint"),
    el("div", { class: "form-cards" },
      formCard("major", "＋ 新增专业（晒专业）", majorForm),
      formCard("teacher", "＋ 新增教师（晒师资）", teacherForm),
      formCard("equipment", "＋ 新增设备（晒设备）", equipmentForm),
      formCard("course", "＋ 新增课程", courseForm)));
}
