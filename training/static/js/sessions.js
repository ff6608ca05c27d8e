import { api, auth, canManage, localProblem, whoAmI } from "./api.js";
import { tradePicker } from "./catalogue.js";
import { ROSTER_ROLES, rosterPanel } from "./enrolment.js";
import { COURSE_KINDS, PAGE_SIZES, SESSION_STATUS } from "./labels.js";
import { regionPicker } from "./regions.js";
import { TABS, activateTab } from "./tabs.js";
import { $, badge, clearFieldErrors, code, ctl, dateRange, days, el, field, hideMsg, loadInto, makeForm, put, seatsCell, select, showOk, showProblem, small, table, td, withBusy } from "./ui.js";

// ================================================================ 培训班（亮时间表）

TABS.sessions = {
  offset: 0,
  limit: 20,
  filters: {},
  township: null,
  trade: null,
  createForm: null,
  init() {
    const form = $("#session-filter");
    const msg = $("#session-msg");
    form.replaceChildren();
    this.township = regionPicker({ depth: "township", optional: true, msgBox: msg });
    this.trade = tradePicker({ multiple: false, placeholder: "全部工种（输入搜索）" });
    const status = select(Object.entries(SESSION_STATUS), { placeholder: "全部状态" });
    const from = el("input", { type: "date", name: "starts_from" });
    const to = el("input", { type: "date", name: "starts_to" });
    const size = select(PAGE_SIZES.map((n) => [String(n), `${n} 条`]), { value: String(this.limit) });
    const reset = el("button", { type: "button", class: "btn", text: "重置" });
    form.append(
      this.township.root,
      field("状态", status, { name: "status", cls: "field-narrow" }),
      field("工种", this.trade.root, { name: "trade_code", cls: "field-trade" }),
      field("开始日期（起）", from, { name: "starts_from" }),
      field("开始日期（止）", to, { name: "starts_to" }),
      field("每页", size, { name: "limit", cls: "field-narrow" }),
      el("div", { class: "field field-actions" },
        el("button", { type: "submit", class: "btn btn-primary", text: "查询" }), reset));
    form.onsubmit = (e) => {
      e.preventDefault();
      if (from.value && to.value && from.value > to.value) {
        showProblem(msg, localProblem([{ field: "starts_to", message: "不能早于“开始日期（起）”" }], "筛选条件有误"), form);
        return;
      }
      this.filters = {
        township_code: this.township.value, status: status.value, trade_code: this.trade.code,
        starts_from: from.value, starts_to: to.value,
      };
      this.limit = Number(size.value) || 20;
      this.offset = 0;
      this.load();
    };
    reset.onclick = async () => {
      status.value = ""; from.value = ""; to.value = ""; this.trade.clear();
      form.querySelector('[aria-label="乡镇"]').value = "";
      this.filters = {};
      this.offset = 0;
      this.load();
    };
    const slot = $("#session-create-slot");
    slot.replaceChildren();
    if (canManage()) slot.append(this.buildCreate());
    this.filters = {};
    this.offset = 0;
    this.load();
  },
  reset() {
    $("#session-filter").replaceChildren();
    $("#session-create-slot").replaceChildren();
    $("#session-result").replaceChildren();
    hideMsg($("#session-msg"));
    this.createForm = null;
    this.me = null;
  },
  async load() {
    const msg = $("#session-msg");
    const out = $("#session-result");
    const form = $("#session-filter");
    await loadInto(out, msg, form, async () => {
      const page = await api("GET", "/api/sessions", { query: { ...this.filters, limit: this.limit, offset: this.offset } });
      if (auth.role === "school" && !this.me) this.me = await whoAmI().catch(() => null);
      return this.render(page);
    });
  },
  render(page) {
    const items = page.items || [];
    const from = items.length ? page.offset + 1 : 0;
    const to = page.offset + items.length;
    const pager = () => el("div", { class: "pager" },
      el("span", { text: `共 ${page.total} 个培训班` + (items.length ? `，第 ${from}–${to} 个` : "") }),
      el("button", {
        type: "button", class: "btn btn-sm", text: "上一页", disabled: page.offset <= 0,
        onclick: () => { this.offset = Math.max(0, page.offset - page.limit); this.load(); },
      }),
      el("button", {
        type: "button", class: "btn btn-sm", text: "下一页", disabled: to >= page.total,
        onclick: () => { this.offset = page.offset + page.limit; this.load(); },
      }));
    if (!items.length) return el("div", {}, pager(), el("p", { class: "empty", text: "没有符合条件的培训班。" }));
    const manage = canManage();
    const headers = ["培训班", "学校", "工种", "日期", "地点", "名额", "教师", "状态"];
    if (manage || ROSTER_ROLES.includes(auth.role)) headers.push("操作");
    const rows = [];
    for (const s of items) rows.push(...this.row(s, manage, headers.length));
    return el("div", {}, pager(), table(headers, rows, { cls: "cards-on-phone" }), items.length > 10 ? pager() : null);
  },
  /** 取消培训班: admins, and the school that runs the session. */
  canCancel(s) {
    return auth.role === "admin" || (auth.role === "school" && !!this.me && this.me.school_id === s.school_id);
  },
  cancel(s, resultRow, box, slot) {
    hideMsg(box);
    const form = makeForm(() => [
      el("p", { class: "wide form-lead", text: `取消“${s.course_title}”（${dateRange(s.starts_on, s.ends_on)}）：已报名和候补的人一并取消，名额释放。取消后不能恢复。` }),
      field("取消原因", el("input", { type: "text", name: "reason", maxlength: 500 }), { name: "reason", wide: true }),
    ], async (f) => {
      const reason = ctl(f, "reason").value.trim();
      if (!reason) throw localProblem([{ field: "reason", message: "请填写取消原因" }]);
      const updated = await api("POST", `/api/sessions/${encodeURIComponent(s.id)}/cancel`, { body: { reason } });
      slot.replaceChildren();
      showOk(box, `“${updated.course_title}”（${dateRange(updated.starts_on, updated.ends_on)}）已取消，报名的人一并取消。`);
      resultRow.previousElementSibling.replaceWith(this.row(updated, canManage(), resultRow.firstChild.colSpan, resultRow)[0]);
    });
    form.querySelector("button[type=submit]").textContent = "确认取消";
    slot.replaceChildren(form);
    resultRow.hidden = false;
  },
  /** 修改草稿 (PATCH /api/sessions/{id}): dates, seats, place, teachers and timetable; a published session is fixed. */
  edit(s, resultRow, box, slot) {
    hideMsg(box);
    const teacherBox = el("div", { class: "teacher-box" }, small("加载中…"));
    const form = makeForm(() => [
      field("开始日期", el("input", { type: "date", name: "starts_on", value: s.starts_on }), { name: "starts_on" }),
      field("结束日期", el("input", { type: "date", name: "ends_on", value: s.ends_on }), { name: "ends_on" }),
      field("招生人数", el("input", { type: "number", name: "capacity", min: 0, max: 10000, value: s.capacity, inputmode: "numeric" }), { name: "capacity" }),
      field("具体地点", el("input", { name: "venue", maxlength: 200, value: s.venue || "" }), { name: "venue", wide: true }),
      el("div", { class: "field wide", dataset: { field: "teacher_ids", label: "授课教师" } },
        el("span", { class: "label-like", text: "授课教师" }), teacherBox),
      field("教学安排", el("textarea", { name: "schedule", rows: 2, maxlength: 2000, text: s.schedule || "" }), { name: "schedule", wide: true }),
    ], async (f) => {
      const body = {
        starts_on: ctl(f, "starts_on").value || undefined, ends_on: ctl(f, "ends_on").value || undefined,
        teacher_ids: [...teacherBox.querySelectorAll("input[name=teacher_ids]:checked")].map((i) => i.value),
      };
      put(body, "capacity", ctl(f, "capacity").value, "int");
      put(body, "venue", ctl(f, "venue").value);
      put(body, "schedule", ctl(f, "schedule").value);
      const updated = await api("PATCH", `/api/sessions/${encodeURIComponent(s.id)}`, { body });
      slot.replaceChildren();
      showOk(box, `已保存“${updated.course_title}”（${dateRange(updated.starts_on, updated.ends_on)}）的修改。`);
      resultRow.previousElementSibling.replaceWith(this.row(updated, canManage(), resultRow.firstChild.colSpan, resultRow)[0]);
    });
    form.querySelector("button[type=submit]").textContent = "保存修改";
    const close = el("button", { type: "button", class: "btn", text: "不改了", onclick: () => { slot.replaceChildren(); resultRow.hidden = box.hidden; } });
    form.querySelector(".field-actions").append(close);
    api("GET", `/api/schools/${encodeURIComponent(s.school_id)}/teachers`).then((teachers) => {
      const chosen = new Set((s.teachers || []).map((t) => t.id));
      teacherBox.replaceChildren(...(teachers.length ? teachers.map((t) => el("label", { class: "check teacher" },
        el("input", { type: "checkbox", name: "teacher_ids", value: t.id, checked: chosen.has(t.id) }), ` ${t.name}`,
        (t.trade_codes || []).includes(s.trade_code) ? badge("可教本工种", "badge-green") : null))
        : [small("该校尚未登记教师。")]));
    }).catch((err) => { teacherBox.replaceChildren(); showProblem(box, err); });
    slot.replaceChildren(form);
    resultRow.hidden = false;
  },
  /** 报名名单: admins and officials, and the school that runs the session. */
  canRoster(s) {
    if (auth.role === "admin" || auth.role === "official") return true;
    return auth.role === "school" && !!this.me && this.me.school_id === s.school_id;
  },
  row(s, manage, span, reuse) {
    const resultRow = reuse || el("tr", { class: "row-result", hidden: true },
      el("td", { colspan: span }, el("div", { class: "msg", hidden: true, role: "alert" }), el("div", { class: "roster-slot" })));
    const box = resultRow.querySelector(".msg");
    const slot = resultRow.querySelector(".roster-slot");
    const ops = [];
    if (manage && s.status === "draft") {
      ops.push(el("button", {
        type: "button", class: "btn btn-sm btn-primary", text: "发布",
        onclick: (e) => this.publish(s, e.currentTarget, resultRow, box),
      }));
    }
    if (s.status === "draft" && this.canCancel(s)) {
      ops.push(el("button", {
        type: "button", class: "btn btn-sm", text: "修改",
        onclick: () => this.edit(s, resultRow, box, slot),
      }));
    }
    if ((s.status === "draft" || s.status === "published") && this.canCancel(s)) {
      ops.push(el("button", {
        type: "button", class: "btn btn-sm btn-danger", text: "取消培训班",
        onclick: () => this.cancel(s, resultRow, box, slot),
      }));
    }
    if (s.status === "published" && this.canRoster(s)) {
      const rosterButton = el("button", { type: "button", class: "btn btn-sm", text: "报名名单", "aria-expanded": "false" });
      rosterButton.addEventListener("click", () => {
        if (slot.childElementCount) {
          slot.replaceChildren();
          resultRow.hidden = box.hidden;
          rosterButton.setAttribute("aria-expanded", "false");
          return;
        }
        slot.append(rosterPanel(s));
        resultRow.hidden = false;
        rosterButton.setAttribute("aria-expanded", "true");
      });
      ops.push(rosterButton);
    }
    const showOps = manage || ROSTER_ROLES.includes(auth.role);
    const action = ops.length ? el("div", { class: "row-actions" }, ops) : el("span", { class: "muted", text: "—" });
    const row = el("tr", { class: `status-${s.status}` },
      td("培训班", el("div", { class: "cell-title", text: s.course_title }),
        el("div", { class: "cell-sub", text: COURSE_KINDS[s.course_kind] || s.course_kind }),
        s.schedule ? small(s.schedule) : null),
      td("学校", s.school_name),
      td("工种", el("div", { text: s.trade_name }), code(s.trade_code)),
      td("日期", el("div", { class: "nowrap", text: dateRange(s.starts_on, s.ends_on) }), small(days(s.starts_on, s.ends_on))),
      td("地点", el("div", { text: `${s.township_name} ${s.village_name}` }), s.venue ? small(s.venue) : null),
      td("名额", seatsCell(s)),
      td("教师", s.teachers && s.teachers.length ? s.teachers.map((t) => t.name).join("、") : el("span", { class: "warn-text", text: "未指定" })),
      td("状态", badge(s.status_label || SESSION_STATUS[s.status] || s.status, `status status-${s.status}`)),
      showOps ? td("操作", action) : null);
    return [row, resultRow];
  },
  async publish(s, button, resultRow, box) {
    resultRow.hidden = false;
    hideMsg(box);
    await withBusy(button, async () => {
      try {
        const updated = await api("POST", `/api/sessions/${encodeURIComponent(s.id)}/publish`);
        showOk(box, `“${updated.course_title}”（${dateRange(updated.starts_on, updated.ends_on)}）已发布，已进入相关村的培训菜单。`);
        const row = resultRow.previousElementSibling;
        const fresh = this.row(updated, true, resultRow.firstChild.colSpan, resultRow)[0];
        row.replaceWith(fresh);
      } catch (err) {
        showProblem(box, err);
      }
    });
  },

  // ---- 新建培训班 (POST /api/courses/{course_id}/sessions)
  buildCreate() {
    const msg = el("div", { class: "msg", hidden: true, role: "alert" });
    const schoolSel = select([], { placeholder: "加载中…" });
    const courseSel = select([], { placeholder: "— 先选学校 —" });
    const teacherBox = el("div", { class: "teacher-box" }, small("先选学校和课程。"));
    const village = regionPicker({ depth: "village", msgBox: msg });
    const button = el("button", { type: "submit", class: "btn btn-primary", text: "保存为草稿" });
    let courses = [];
    let teachers = [];

    const renderTeachers = () => {
      teacherBox.replaceChildren();
      const course = courses.find((c) => c.id === courseSel.value);
      if (!teachers.length) {
        teacherBox.append(small(schoolSel.value ? "该校尚未登记教师。" : "先选学校和课程。"));
        return;
      }
      for (const t of teachers) {
        const fits = course && (t.trade_codes || []).includes(course.trade_code);
        teacherBox.append(el("label", { class: `check teacher ${fits ? "fits" : ""}`.trim() },
          el("input", { type: "checkbox", name: "teacher_ids", value: t.id }),
          ` ${t.name}`, t.title ? small(`（${t.title}）`) : null,
          fits ? badge("可教本工种", "badge-green") : null));
      }
    };

    const loadSchool = async (schoolId, courseId) => {
      courses = [];
      teachers = [];
      courseSel.replaceChildren(el("option", { value: "", text: schoolId ? "加载中…" : "— 先选学校 —" }));
      renderTeachers();
      if (!schoolId) return;
      try {
        const [coursePage, teacherList] = await Promise.all([
          api("GET", "/api/courses", { query: { school_id: schoolId, limit: 500 } }),
          api("GET", `/api/schools/${encodeURIComponent(schoolId)}/teachers`),
        ]);
        courses = coursePage.items;
        teachers = teacherList;
        courseSel.replaceChildren(el("option", { value: "", text: courses.length ? "— 选择课程 —" : "（该校还没有课程）" }));
        for (const c of courses) {
          courseSel.append(el("option", { value: c.id, text: `${c.title}（${c.trade_name} ${c.trade_code}）` }));
        }
        if (courseId) courseSel.value = courseId;
        renderTeachers();
      } catch (err) {
        courseSel.replaceChildren(el("option", { value: "", text: "加载失败" }));
        showProblem(msg, err);
      }
    };

    schoolSel.addEventListener("change", () => loadSchool(schoolSel.value));
    courseSel.addEventListener("change", renderTeachers);

    const form = el("form", { class: "grid-form", novalidate: true },
      field("学校", schoolSel, { name: "school_id" }),
      field("课程", courseSel, { name: "course_id", wide: true }),
      field("开始日期", el("input", { type: "date", name: "starts_on" }), { name: "starts_on" }),
      field("结束日期", el("input", { type: "date", name: "ends_on" }), { name: "ends_on" }),
      field("招生人数", el("input", { type: "number", name: "capacity", min: 0, max: 10000, inputmode: "numeric" }), { name: "capacity" }),
      el("div", { class: "field wide region-field", dataset: { field: "village_code", label: "培训地点（村）" } },
        el("span", { class: "label-like", text: "培训地点（村）" }), village.root),
      field("具体地点", el("input", { name: "venue", maxlength: 200, placeholder: "如：村委会活动室" }), { name: "venue", wide: true }),
      el("div", { class: "field wide", dataset: { field: "teacher_ids", label: "授课教师" } },
        el("span", { class: "label-like", text: "授课教师（发布时至少要有一名能教该工种的教师）" }), teacherBox),
      field("教学安排", el("textarea", { name: "schedule", rows: 2, maxlength: 2000, placeholder: "如：每天 9:00-12:00、14:00-17:00" }),
        { name: "schedule", wide: true }),
      el("div", { class: "field field-actions wide" }, button),
      msg);

    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      hideMsg(msg);
      const missing = [];
      if (!schoolSel.value) missing.push({ field: "school_id", message: "请选择学校" });
      if (!courseSel.value) missing.push({ field: "course_id", message: "请选择课程" });
      if (missing.length) { showProblem(msg, localProblem(missing), form); return; }
      const body = {
        teacher_ids: [...teacherBox.querySelectorAll("input[name=teacher_ids]:checked")].map((i) => i.value),
      };
      put(body, "starts_on", ctl(form, "starts_on").value);
      put(body, "ends_on", ctl(form, "ends_on").value);
      put(body, "village_code", village.value);
      put(body, "capacity", ctl(form, "capacity").value, "int");
      put(body, "venue", ctl(form, "venue").value);
      put(body, "schedule", ctl(form, "schedule").value);
      await withBusy(button, async () => {
        try {
          const created = await api("POST", `/api/courses/${encodeURIComponent(courseSel.value)}/sessions`, { body });
          showOk(msg, `已保存草稿：“${created.course_title}”，${dateRange(created.starts_on, created.ends_on)}，${created.township_name}${created.village_name}。在下表中点“发布”后才会进入培训菜单。`);
          this.filters = { status: "draft" };
          const statusSel = $("#session-filter [data-field=status] select");
          if (statusSel) statusSel.value = "draft";
          this.offset = 0;
          await this.load();
        } catch (err) {
          showProblem(msg, err, form);
        }
      });
    });

    const schoolsReady = (async () => {
      try {
        const [page, me] = await Promise.all([api("GET", "/api/schools", { query: { limit: 100 } }), whoAmI()]);
        // A school opens sessions only for itself: its form offers no other school.
        const items = auth.role === "school" ? page.items.filter((s) => s.id === me.school_id) : page.items;
        schoolSel.replaceChildren(el("option", { value: "", text: "— 选择学校 —" }));
        for (const s of items) schoolSel.append(el("option", { value: s.id, text: s.name }));
        if (items.length === 1) { schoolSel.value = items[0].id; loadSchool(schoolSel.value); }
      } catch (err) {
        schoolSel.replaceChildren(el("option", { value: "", text: "加载失败" }));
        showProblem(msg, err);
      }
    })();

    const details = el("details", { class: "card form-card", id: "session-create" },
      el("summary", { text: "＋ 新建培训班（从课程开班，保存为草稿）" }), form);
    this.createForm = {
      details,
      async preset(schoolId, courseId) {
        details.open = true;
        await schoolsReady;
        schoolSel.value = schoolId;
        await loadSchool(schoolId, courseId);
      },
    };
    return details;
  },
};


export async function openSessionCreate(schoolId, courseId) {
  activateTab("sessions");
  const create = TABS.sessions.createForm;
  if (!create) return;
  await create.preset(schoolId, courseId);
  create.details.scrollIntoView({ block: "start", behavior: "smooth" });
}
