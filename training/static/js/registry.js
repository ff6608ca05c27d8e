import { api, auth, localProblem, whoAmI } from "./api.js";
import { educationLevels, tradePicker } from "./catalogue.js";
import { newIdempotencyKey, trainingsView } from "./enrolment.js";
import { COURSE_KINDS, FIELD_LABELS, PAGE_SIZES } from "./labels.js";
import { recommendationsView } from "./recommendations.js";
import { myVillagesView } from "./worklist.js";
import { regionName, regionParent, regionPicker, villageNames } from "./regions.js";
import { TABS } from "./tabs.js";
import { $, badge, clearFieldErrors, code, ctl, dash, dateRange, dateTime, el, field, hideMsg, loadInto, makeForm, pagerBar, put, select, showInfo, showOk, showProblem, small, table, td, countyToday, uid, withBusy } from "./ui.js";

// ================================================================ 农户台账 / 两后生 / 台账导入导出 / 审计日志

export const SEES_PEOPLE = ["admin", "official", "surveyor"];
export const WRITES_PEOPLE = ["admin", "surveyor"];
export const canSeePeople = () => SEES_PEOPLE.includes(auth.role);
export const canWritePeople = () => WRITES_PEOPLE.includes(auth.role);
export const POVERTY_LABELS = { registered_poor: "建档立卡贫困户", lifted: "脱贫户", monitored: "监测户", ordinary: "一般农户" };
export const POVERTY_BADGES = { registered_poor: "badge-red", lifted: "badge-green", monitored: "badge-amber", ordinary: "" };
export const MONITOR_LABELS = { unstable: "脱贫不稳定户", marginal: "边缘易致贫户", sudden_hardship: "突发严重困难户" };
export const LABOUR_LABELS = { full: "劳动力", weak: "弱劳动力", lost: "丧失劳动力", none: "无劳动力" };
export const WORK_LABELS = { farming: "务农", local_work: "本地务工", migrant: "外出务工", unemployed: "无业", student: "在校学生" };
export const SEX_LABELS = { male: "男", female: "女" };
export const POVERTY_CAUSES = ["因病", "因残", "因学", "因灾", "缺劳力", "缺技术", "缺资金", "缺土地", "缺水", "交通条件落后",
  "自身发展动力不足"];
export const RELATIONS = ["户主", "配偶", "子女", "儿子", "女儿", "儿媳", "女婿", "孙子女", "父母", "兄弟姐妹", "其他"];
export const REVEAL_SECONDS = 30;
export const MAX_UPLOAD_MB = 20;
export const REJECTED_SHOWN = 1000;
Object.assign(FIELD_LABELS, {
  head_name: "户主姓名", household_no: "户编号", poverty_status: "家庭属性", lifted_year: "脱贫年度",
  monitor_type: "监测类型", risk_removed: "风险是否消除", poverty_causes: "致贫原因", members: "成员", phone: "电话",
  surveyed_on: "调查日期", desired_trades: "意向工种", training_kind: "培训类型", available_months: "可参训月份",
  can_board: "能否住校", wants_certificate: "想取得证书", wants_job: "希望推荐就业", notes: "备注",
  max_travel_km: "最远可到", file: "台账文件", mode: "导入方式", reveal: "含完整号码", lianghousheng: "两后生",
  since: "起始日期", until: "截止日期", actor: "操作人", action: "动作", object_type: "对象类型", object_id: "对象编号",
});



export function triSelect(placeholder = "（未填）") {
  return select([["true", "是"], ["false", "否"]], { placeholder });
}
export const triValue = (node) => (node.value === "" ? undefined : node.value === "true");

export function povertyCell(h) {
  const parts = [badge(h.poverty_status_label || POVERTY_LABELS[h.poverty_status] || h.poverty_status,
    POVERTY_BADGES[h.poverty_status] || "")];
  if (h.poverty_status === "lifted" && h.lifted_year) parts.push(small(`${h.lifted_year} 年脱贫`));
  if (h.poverty_status === "monitored") {
    const extra = [MONITOR_LABELS[h.monitor_type] || h.monitor_type, h.risk_removed === true ? "风险已消除"
      : h.risk_removed === false ? "风险未消除" : ""].filter(Boolean).join(" · ");
    if (extra) parts.push(small(extra));
  }
  return parts;
}

export function needCell(need) {
  if (!need) return el("span", { class: "muted", text: "未调查" });
  const names = need.desired_trade_names && need.desired_trade_names.length
    ? need.desired_trade_names.join("、") : "（未填意向工种）";
  const bits = [need.training_kind ? COURSE_KINDS[need.training_kind] || need.training_kind : "",
    need.available_months && need.available_months.length ? `${need.available_months.join("、")} 月` : ""]
    .filter(Boolean).join(" · ");
  return [el("div", { text: names }), bits ? small(bits) : null, small(`调查于 ${need.surveyed_on}`)];
}

export function lhsCell(p) {
  return p.lianghousheng
    ? el("span", { class: "badge badge-amber lhs", title: p.lianghousheng_reason || "两后生", tabindex: "0" }, "两后生")
    : el("span", { class: "muted", title: p.lianghousheng_reason || "", text: "—" });
}

/**
 * The 操作 cell of a person (surveyors and admins): 查看完整号码 (POST /reveal: shown in place for 30 s,
 * then masked again) and 录入需求调查 (a form in the row below).
 */
export function personActions(p, { idNode, phoneNode, note, resultRow, box, formSlot, onSurveyed }) {
  const buttons = [];
  /** One form or view at a time in the row below; a second click on the same button closes it. */
  const slotButton = (text, build) => {
    const button = el("button", { type: "button", class: "btn btn-sm", text, "aria-expanded": "false" });
    button.addEventListener("click", () => {
      const open = formSlot.childElementCount && formSlot.dataset.owner === text;
      formSlot.replaceChildren();
      for (const b of buttons) b.setAttribute("aria-expanded", "false");
      if (open) { resultRow.hidden = box.hidden; return; }
      formSlot.dataset.owner = text;
      formSlot.append(build());
      resultRow.hidden = false;
      button.setAttribute("aria-expanded", "true");
      const first = formSlot.querySelector("input, select");
      if (first) first.focus();
    });
    buttons.push(button);
    return button;
  };
  const trainingsButton = slotButton("培训记录", () => trainingsView(p.id, p.name));
  const recommendButton = slotButton("推荐培训班", () => recommendationsView(p));
  if (!canWritePeople()) return el("div", { class: "row-actions" }, recommendButton, trainingsButton);
  let timer = null;
  let left = 0;
  const revealButton = el("button", { type: "button", class: "btn btn-sm", text: "查看完整号码", title: "查看会记入审计日志" });
  const remask = () => {
    clearInterval(timer);
    timer = null;
    idNode.textContent = p.id_number;
    phoneNode.textContent = p.phone || "—";
    idNode.classList.remove("revealed");
    phoneNode.classList.remove("revealed");
    note.hidden = true;
    revealButton.textContent = "查看完整号码";
    revealButton.title = "查看会记入审计日志";
  };
  const tick = () => { note.textContent = `已记入审计日志 · ${left} 秒后重新打码`; };
  revealButton.addEventListener("click", async () => {
    if (timer) { remask(); return; }
    resultRow.hidden = !formSlot.childElementCount;
    hideMsg(box);
    let revealed = null;
    await withBusy(revealButton, async () => {
      try {
        revealed = await api("POST", `/api/people/${encodeURIComponent(p.id)}/reveal`);
      } catch (err) {
        resultRow.hidden = false;
        showProblem(box, err);
      }
    });
    if (!revealed) return;
    idNode.textContent = revealed.id_number;
    phoneNode.textContent = revealed.phone || "—";
    idNode.classList.add("revealed");
    if (revealed.phone) phoneNode.classList.add("revealed");
    left = REVEAL_SECONDS;
    note.hidden = false;
    tick();
    revealButton.textContent = "隐藏";
    revealButton.title = "立即重新打码";
    timer = setInterval(() => {
      left -= 1;
      if (left <= 0 || !idNode.isConnected) remask(); else tick();
    }, 1000);
  });

  const surveyButton = slotButton("录入需求调查", () => surveyForm(p, onSurveyed));
  const editButton = slotButton("修改", () => personEditForm(p, onSurveyed));
  const enrolButton = slotButton("报名", () => enrolForm(p));
  enrolButton.classList.add("btn-primary");
  return el("div", { class: "row-actions" }, revealButton, editButton, surveyButton, enrolButton, recommendButton, trainingsButton);
}

/** 报名: pick a published session, POST with an Idempotency-Key that is kept when the same click is retried. */
export function enrolForm(p) {
  const sessionSel = select([], { placeholder: "加载中…" });
  let key = null;
  let keyFor = "";
  const form = makeForm(() => [
    el("p", { class: "wide form-lead", text: `为 ${p.name} 报名已发布的培训班。有名额即录取，满员则按报名先后候补。` }),
    field("培训班", sessionSel, { name: "session_id", wide: true }),
  ], async (f, box) => {
    if (!sessionSel.value) throw localProblem([{ field: "session_id", message: "请选择培训班" }]);
    if (keyFor !== sessionSel.value || !key) { key = newIdempotencyKey(); keyFor = sessionSel.value; }
    try {
      const e = await api("POST", `/api/sessions/${encodeURIComponent(sessionSel.value)}/enrolments`, {
        body: { person_id: p.id, source: "surveyor" }, headers: { "Idempotency-Key": key },
      });
      key = null; // answered: the next click is a new sign-up
      if (e.status === "waitlisted") {
        showInfo(box, el("strong", { text: `${e.person_name} 已进入候补：候补第 ${e.waitlist_position} 位` }),
          el("p", { text: `“${e.course_title}”（${dateRange(e.starts_on, e.ends_on)}）已满员；有人退出时按候补顺序递补。` }));
      } else {
        showOk(box, el("strong", { text: `${e.person_name} 已报名` }),
          el("p", { text: `“${e.course_title}”（${dateRange(e.starts_on, e.ends_on)}），状态：${e.status_label || e.status}。` }));
      }
    } catch (err) {
      // No answer (network) or a server error: keep the key so that retrying cannot sign up twice.
      if (err.status >= 400 && err.status < 500) key = null;
      throw err;
    }
  });
  form.querySelector("button[type=submit]").textContent = "报名";
  (async () => {
    // Only the sessions this person may join: the recommender applies the sign-up's own rules (age, schooling,
    // labour capacity, target group), leaves out clashes, full waitlists and sessions already joined.
    try {
      const body = await api("GET", `/api/people/${encodeURIComponent(p.id)}/recommendations`, { query: { limit: 50 } });
      const items = body.items || [];
      sessionSel.replaceChildren(el("option", { value: "", text: items.length ? "— 选择培训班 —" : "（没有此人可报名的培训班）" }));
      for (const s of items) {
        sessionSel.append(el("option", {
          value: s.session_id,
          text: `${s.course_title} · ${s.school_name} · ${dateRange(s.starts_on, s.ends_on)} · ${s.village_name} · ${s.seats_left > 0 ? `余 ${s.seats_left}` : `已满，可候补（已有 ${s.waitlist_length} 人）`}`,
        }));
      }
      if (!items.length && body.empty_reason) showInfo(form.querySelector(".msg"), body.empty_reason);
    } catch (err) {
      sessionSel.replaceChildren(el("option", { value: "", text: "加载失败" }));
      showProblem(form.querySelector(".msg"), err, form);
    }
  })();
  return form;
}

/** A row per person plus a hidden row below it for messages and the survey form. */
export function personRows(p, columns, { span, onSurveyed }) {
  const idNode = el("span", { class: "code id-number", text: p.id_number });
  const phoneNode = el("span", { class: "code", text: p.phone || "—" });
  const note = el("small", { class: "reveal-note", hidden: true, role: "status" });
  const box = el("div", { class: "msg", hidden: true, role: "alert" });
  const formSlot = el("div", { class: "survey-slot" });
  const resultRow = el("tr", { class: "row-result", hidden: true }, el("td", { colspan: span }, box, formSlot));
  const cells = {
    name: () => td("姓名", el("div", { class: "cell-title", text: p.name }), p.ethnicity ? small(p.ethnicity) : null),
    id: () => td("身份证号", idNode, note),
    sex: () => td("性别", SEX_LABELS[p.sex] || p.sex),
    age: () => td("年龄", String(p.age)),
    relation: () => td("与户主关系", p.relation),
    education: () => td("文化程度", p.education_name || p.education,
      p.in_school ? small("在校") : p.left_school_year ? small(`${p.left_school_year} 年离校`) : null),
    labour: () => td("劳动能力", LABOUR_LABELS[p.labour_capacity] || p.labour_capacity),
    work: () => td("务工状况", WORK_LABELS[p.work_status] || p.work_status),
    phone: () => td("电话", phoneNode),
    lhs: () => td("两后生", lhsCell(p)),
    reason: () => td("两后生原因", el("div", { class: "desc", text: p.lianghousheng_reason || "—" })),
    need: () => td("当前培训需求", needCell(p.current_need)),
  };
  const row = el("tr", { class: p.lianghousheng ? "row-lhs" : "", dataset: { person: p.id } },
    columns.map((c) => (typeof c === "function" ? c(p) : cells[c]())),
    td("操作", personActions(p, { idNode, phoneNode, note, resultRow, box, formSlot, onSurveyed })));
  return [row, resultRow];
}

// ---------------------------------------------------------------- 培训需求调查 (POST /api/people/{id}/surveys)

export function surveyForm(p, onSurveyed) {
  const trades = tradePicker({ max: 3 });
  const months = el("div", { class: "months" });
  for (let m = 1; m <= 12; m += 1) {
    months.append(el("label", { class: "check" }, el("input", { type: "checkbox", name: "available_months", value: m }), `${m}月`));
  }
  const kind = select(Object.entries(COURSE_KINDS), { placeholder: "（未填）" });
  const board = triSelect();
  const cert = triSelect();
  const job = triSelect();
  const form = makeForm(() => [
    el("div", { class: "wide form-title" }, el("strong", { text: `为 ${p.name} 录入培训需求调查` }),
      small(" 每次调查都会保留，最新一次为当前需求。", "hint")),
    field("调查日期", el("input", { type: "date", name: "surveyed_on", value: countyToday(), max: countyToday() }),
      { name: "surveyed_on" }),
    field("培训类型", kind, { name: "training_kind" }),
    field("能否住校", board, { name: "can_board" }),
    field("想取得职业技能等级证书", cert, { name: "wants_certificate" }),
    field("培训后希望推荐就业", job, { name: "wants_job" }),
    field("最远可到（公里）", el("input", { type: "number", name: "max_travel_km", min: 0, max: 2000, inputmode: "numeric" }),
      { name: "max_travel_km" }),
    field("意向工种（最多 3 个，按意向先后选）", trades.root, { name: "desired_trades", wide: true }),
    field("可参训月份", months, { name: "available_months", wide: true, hint: "都不选表示任何月份都可以。" }),
    field("备注", el("textarea", { name: "notes", rows: 2, maxlength: 2000 }), { name: "notes", wide: true }),
  ], async (f) => {
    const body = {
      desired_trades: trades.codes,
      available_months: [...months.querySelectorAll("input:checked")].map((i) => Number(i.value)),
    };
    put(body, "surveyed_on", ctl(f, "surveyed_on").value);
    put(body, "training_kind", kind.value);
    put(body, "max_travel_km", ctl(f, "max_travel_km").value, "int");
    for (const [key, node] of [["can_board", board], ["wants_certificate", cert], ["wants_job", job]]) {
      const v = triValue(node);
      if (v !== undefined) body[key] = v;
    }
    put(body, "notes", ctl(f, "notes").value);
    if (!body.surveyed_on) throw localProblem([{ field: "surveyed_on", message: "请填写调查日期" }]);
    const survey = await api("POST", `/api/people/${encodeURIComponent(p.id)}/surveys`, { body });
    const names = survey.desired_trade_names && survey.desired_trade_names.length
      ? `意向工种：${survey.desired_trade_names.join("、")}` : "未填意向工种";
    await onSurveyed(`已为 ${p.name} 录入培训需求调查（${survey.surveyed_on}，${names}）。`);
  });
  form.classList.add("survey-form");
  form.querySelector("button[type=submit]").textContent = "保存调查";
  return form;
}

// ---------------------------------------------------------------- 登记农户 (POST /api/households)

export function householdForm(onCreated) {
  const msgTop = el("div", { class: "msg", hidden: true, role: "alert" });
  const village = regionPicker({ depth: "village", msgBox: msgTop });
  const status = select(Object.entries(POVERTY_LABELS), { placeholder: "— 选择 —" });
  const monitor = select(Object.entries(MONITOR_LABELS), { placeholder: "— 选择 —" });
  const risk = triSelect();
  const liftedField = field("脱贫年度", el("input", { type: "number", name: "lifted_year", min: 2013, max: 2100, inputmode: "numeric" }),
    { name: "lifted_year" });
  const monitorField = field("监测类型", monitor, { name: "monitor_type" });
  const riskField = field("风险是否已消除", risk, { name: "risk_removed" });
  const causes = el("div", { class: "checks" }, POVERTY_CAUSES.map((c) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "poverty_causes", value: c }), c)));
  const causesField = field("致贫原因", causes, { name: "poverty_causes", wide: true, hint: "可多选；一般农户不填。" });
  const relationList = el("datalist", { id: uid("relations") }, RELATIONS.map((r) => el("option", { value: r })));
  const memberBox = el("div", { class: "members wide" });
  const blocks = [];
  let educationOptions = [];
  educationLevels().then((levels) => {
    educationOptions = levels.map((l) => [l.code, `${l.name}（${l.code}）`]);
    for (const b of blocks) b.fillEducation();
  }).catch((err) => showProblem(msgTop, err));

  const syncStatus = () => {
    liftedField.hidden = status.value !== "lifted";
    monitorField.hidden = status.value !== "monitored";
    riskField.hidden = status.value !== "monitored";
    causesField.hidden = status.value === "ordinary";
  };
  status.addEventListener("change", syncStatus);

  function renumber() {
    blocks.forEach((b, i) => {
      b.legend.textContent = i === 0 ? "成员 1（一般为户主本人）" : `成员 ${i + 1}`;
      b.remove.hidden = blocks.length === 1;
      for (const node of b.root.querySelectorAll("[data-key]")) {
        node.dataset.field = `members[${i}].${node.dataset.key}`;
        node.dataset.label = `成员 ${i + 1} ${node.dataset.keyLabel}`;
      }
    });
  }

  function addMember(defaults = {}) {
    const c = {
      name: el("input", { maxlength: 100, autocomplete: "off" }),
      id_number: el("input", { maxlength: 40, autocomplete: "off", spellcheck: "false", inputmode: "text", placeholder: "18 位，末位可为 X" }),
      relation: el("input", { maxlength: 20, list: relationList.id, value: defaults.relation || "" }),
      ethnicity: el("input", { maxlength: 20, placeholder: "如：彝族" }),
      education: select([], { placeholder: "加载中…" }),
      in_school: el("input", { type: "checkbox" }),
      left_school_year: el("input", { type: "number", min: 1940, max: 2100, inputmode: "numeric" }),
      labour_capacity: select(Object.entries(LABOUR_LABELS), { placeholder: "— 选择 —" }),
      work_status: select(Object.entries(WORK_LABELS), { placeholder: "— 选择 —" }),
      phone: el("input", { type: "tel", maxlength: 20, autocomplete: "off" }),
    };
    c.in_school.addEventListener("change", () => { if (c.in_school.checked) c.work_status.value = "student"; });
    const mf = (label, key, control, opts = {}) => {
      const node = field(label, control, { name: key, ...opts });
      node.dataset.key = key;
      node.dataset.keyLabel = label;
      return node;
    };
    const legend = el("legend", {});
    const block = {
      c, legend,
      remove: el("button", {
        type: "button", class: "btn btn-sm", text: "删除此成员",
        onclick: () => {
          blocks.splice(blocks.indexOf(block), 1);
          block.root.remove();
          renumber();
        },
      }),
      fillEducation() {
        const keep = c.education.value;
        c.education.replaceChildren(el("option", { value: "", text: "— 选择 —" }));
        for (const [v, t] of educationOptions) c.education.append(el("option", { value: v, text: t }));
        c.education.value = keep;
      },
    };
    block.root = el("fieldset", { class: "member" }, legend,
      el("div", { class: "grid-form" },
        mf("姓名", "name", c.name),
        mf("身份证号", "id_number", c.id_number, { cls: "field-id" }),
        mf("与户主关系", "relation", c.relation),
        mf("民族", "ethnicity", c.ethnicity),
        mf("文化程度", "education", c.education),
        mf("是否在校", "in_school", el("label", { class: "check" }, c.in_school, " 在校学生")),
        mf("离校年份", "left_school_year", c.left_school_year),
        mf("劳动能力", "labour_capacity", c.labour_capacity),
        mf("务工状况", "work_status", c.work_status),
        mf("电话", "phone", c.phone),
        el("div", { class: "field field-actions" }, block.remove)));
    if (educationOptions.length) block.fillEducation();
    blocks.push(block);
    memberBox.append(block.root);
    renumber();
    return block;
  }

  const headName = el("input", { name: "head_name", maxlength: 100, autocomplete: "off" });
  let lastHead = "";
  headName.addEventListener("input", () => {
    const first = blocks[0];
    if (first && (first.c.name.value === "" || first.c.name.value === lastHead)) first.c.name.value = headName.value;
    lastHead = headName.value;
  });

  const form = makeForm(() => [
    el("div", { class: "field wide region-field", dataset: { field: "village_code", label: "村" } },
      el("span", { class: "label-like", text: "所在村" }), village.root),
    field("户主姓名", headName, { name: "head_name" }),
    field("户编号", el("input", { name: "household_no", maxlength: 40, autocomplete: "off", placeholder: "本县唯一，可不填" }),
      { name: "household_no" }),
    field("家庭属性", status, { name: "poverty_status" }),
    liftedField, monitorField, riskField,
    field("户联系电话", el("input", { name: "phone", type: "tel", maxlength: 20, autocomplete: "off" }), { name: "phone" }),
    causesField,
    el("div", { class: "wide members-head" }, el("h4", { text: "家庭成员" }),
      small("身份证号须为 18 位，性别和出生日期按身份证号自动得出。", "hint")),
    memberBox,
    el("div", { class: "wide" }, el("button", {
      type: "button", class: "btn btn-sm", text: "＋ 添加成员",
      onclick: () => addMember().c.name.focus(),
    }), relationList),
    msgTop,
  ], async (f, msg) => {
    const members = blocks.map((b) => {
      const m = { in_school: b.c.in_school.checked };
      put(m, "name", b.c.name.value);
      put(m, "id_number", b.c.id_number.value.replace(/\s+/g, "").toUpperCase());
      put(m, "relation", b.c.relation.value);
      put(m, "ethnicity", b.c.ethnicity.value);
      put(m, "education", b.c.education.value);
      put(m, "left_school_year", b.c.left_school_year.value, "int");
      put(m, "labour_capacity", b.c.labour_capacity.value);
      put(m, "work_status", b.c.work_status.value);
      put(m, "phone", b.c.phone.value);
      return m;
    });
    const body = { members };
    put(body, "village_code", village.value);
    put(body, "head_name", headName.value);
    put(body, "household_no", ctl(f, "household_no").value);
    put(body, "poverty_status", status.value);
    put(body, "phone", ctl(f, "phone").value);
    if (status.value === "lifted") put(body, "lifted_year", ctl(f, "lifted_year").value, "int");
    if (status.value === "monitored") {
      put(body, "monitor_type", monitor.value);
      const removed = triValue(risk);
      if (removed !== undefined) body.risk_removed = removed;
    }
    if (status.value !== "ordinary") {
      body.poverty_causes = [...causes.querySelectorAll("input:checked")].map((i) => i.value);
    }
    if (!village.value) throw localProblem([{ field: "village_code", message: "请选择乡镇和村" }]);
    let created;
    try {
      created = await api("POST", "/api/households", { body });
    } catch (err) {
      // 409 names the member in its detail ("members[1] 的身份证号已登记…"): say 成员 2, and mark that member's ID field.
      const m = err.status === 409 && /members\[(\d+)\]/.exec(err.problem.detail || "");
      if (m) err.problem.detail = err.problem.detail.replace(/members\[(\d+)\]\s*/g, (_s, i) => `成员 ${Number(i) + 1} `);
      showProblem(msg, err, f);
      const holder = m && [...f.querySelectorAll("[data-field]")].find((n) => n.dataset.field === `members[${m[1]}].id_number`);
      if (holder) {
        holder.classList.add("invalid");
        holder.append(el("div", { class: "field-error", text: "该身份证号已登记" }));
      }
      if (err.status === 409 && err.problem.existing_household_id) {
        msg.append(el("p", {}, el("button", {
          type: "button", class: "btn btn-sm", text: "查看已登记的农户",
          onclick: () => TABS.registry.openHousehold(err.problem.existing_household_id),
        })));
      }
      return;
    }
    // Start again with an empty form for the next household in the same village.
    for (const b of blocks.splice(0)) b.root.remove();
    addMember({ relation: "户主" });
    for (const name of ["household_no", "phone", "lifted_year"]) ctl(f, name).value = "";
    headName.value = "";
    lastHead = "";
    status.value = "";
    syncStatus();
    for (const box of causes.querySelectorAll("input")) box.checked = false;
    showOk(msg, `已登记农户：户主 ${created.head_name}（${created.village_name}，${created.members.length} 人）。`);
    await onCreated(created);
  });
  form.querySelector("button[type=submit]").textContent = "登记农户";
  addMember({ relation: "户主" });
  syncStatus();
  return {
    root: el("details", { class: "card form-card", id: "household-create" },
      el("summary", { text: "＋ 登记农户（户主及全部家庭成员）" }), form),
    setVillage: (v) => village.setVillage(v),
  };
}

// ---------------------------------------------------------------- 修改农户 / 修改人员 (PATCH, with the version read)

/** Send only what changed, with the version the form was opened on: the API refuses an edit made on an
 *  older version (someone else saved in between) with 409, and the clerk reloads instead of overwriting. */
function changedOnly(body, before) {
  const out = {};
  for (const [k, v] of Object.entries(body)) {
    if (JSON.stringify(v) !== JSON.stringify(before[k])) out[k] = v;
  }
  return out;
}

async function patchWithVersion(path, body, version, msg, after) {
  if (!Object.keys(body).length) { showInfo(msg, "没有改动。"); return; }
  try {
    const saved = await api("PATCH", path, { body: { ...body, version } });
    await after(saved);
  } catch (err) {
    if (err.status === 409) err.problem = { ...err.problem, title: "已被他人修改", detail: `${err.problem.detail || ""}（点“收起”后重新打开即可看到最新内容）` };
    throw err;
  }
}

export function householdEditForm(h, onSaved) {
  const status = select(Object.entries(POVERTY_LABELS), { value: h.poverty_status });
  const monitor = select(Object.entries(MONITOR_LABELS), { placeholder: "— 选择 —", value: h.monitor_type || "" });
  const risk = triSelect();
  risk.value = h.risk_removed === null || h.risk_removed === undefined ? "" : String(h.risk_removed);
  const lifted = el("input", { type: "number", name: "lifted_year", min: 2013, max: 2100, value: h.lifted_year ?? "" });
  const causes = el("div", { class: "checks" }, POVERTY_CAUSES.map((c) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "poverty_causes", value: c, checked: h.poverty_causes.includes(c) }), c)));
  const liftedField = field("脱贫年度", lifted, { name: "lifted_year" });
  const monitorField = field("监测类型", monitor, { name: "monitor_type" });
  const riskField = field("风险是否已消除", risk, { name: "risk_removed" });
  const sync = () => {
    liftedField.hidden = status.value !== "lifted";
    monitorField.hidden = status.value !== "monitored";
    riskField.hidden = status.value !== "monitored";
  };
  status.addEventListener("change", sync);
  const form = makeForm(() => [
    el("div", { class: "wide form-title" }, el("strong", { text: `修改农户：户主 ${h.head_name}` })),
    field("户主姓名", el("input", { name: "head_name", maxlength: 100, value: h.head_name }), { name: "head_name" }),
    field("家庭属性", status, { name: "poverty_status" }),
    liftedField, monitorField, riskField,
    field("户联系电话", el("input", { name: "phone", type: "tel", maxlength: 20, placeholder: "不改则留空" }), { name: "phone" }),
    field("致贫原因", causes, { name: "poverty_causes", wide: true }),
  ], async (f, msg) => {
    const body = { head_name: ctl(f, "head_name").value.trim(), poverty_status: status.value,
      poverty_causes: [...causes.querySelectorAll("input:checked")].map((i) => i.value) };
    if (status.value === "lifted") put(body, "lifted_year", lifted.value, "int");
    if (status.value === "monitored") {
      put(body, "monitor_type", monitor.value);
      const removed = triValue(risk);
      if (removed !== undefined) body.risk_removed = removed;
    }
    const changed = changedOnly(body, h);
    put(changed, "phone", ctl(f, "phone").value);
    await patchWithVersion(`/api/households/${encodeURIComponent(h.id)}`, changed, h.version, msg,
      (saved) => onSaved(`已保存农户信息：户主 ${saved.head_name}。`));
  });
  form.classList.add("edit-form", "household-edit");
  form.querySelector("button[type=submit]").textContent = "保存修改";
  sync();
  return form;
}

export function personEditForm(p, onSaved) {
  const education = select([], { placeholder: "加载中…" });
  educationLevels().then((levels) => {
    education.replaceChildren(...levels.map((l) => el("option", { value: l.code, text: l.name })));
    education.value = p.education;
  }).catch(() => { education.replaceChildren(el("option", { value: p.education, text: p.education_name || "" })); });
  const labour = select(Object.entries(LABOUR_LABELS), { value: p.labour_capacity });
  const work = select(Object.entries(WORK_LABELS), { value: p.work_status });
  const inSchool = el("input", { type: "checkbox", name: "in_school", checked: p.in_school });
  const form = makeForm(() => [
    el("div", { class: "wide form-title" }, el("strong", { text: `修改人员：${p.name}` }),
      small(" 身份证号不能在这里改：性别和出生日期由它得出。", "hint")),
    field("姓名", el("input", { name: "name", maxlength: 100, value: p.name }), { name: "name" }),
    field("与户主关系", el("input", { name: "relation", maxlength: 20, value: p.relation }), { name: "relation" }),
    field("民族", el("input", { name: "ethnicity", maxlength: 20, value: p.ethnicity || "" }), { name: "ethnicity" }),
    field("文化程度", education, { name: "education" }),
    field("是否在校", el("label", { class: "check" }, inSchool, " 在校学生"), { name: "in_school" }),
    field("离校年份", el("input", { type: "number", name: "left_school_year", min: 1940, max: 2100, value: p.left_school_year ?? "" }),
      { name: "left_school_year" }),
    field("劳动能力", labour, { name: "labour_capacity" }),
    field("务工状况", work, { name: "work_status" }),
    field("电话", el("input", { name: "phone", type: "tel", maxlength: 20, placeholder: "不改则留空" }), { name: "phone" }),
  ], async (f, msg) => {
    const body = { in_school: inSchool.checked };
    put(body, "name", ctl(f, "name").value);
    put(body, "relation", ctl(f, "relation").value);
    put(body, "ethnicity", ctl(f, "ethnicity").value);
    put(body, "education", education.value);
    put(body, "left_school_year", ctl(f, "left_school_year").value, "int");
    put(body, "labour_capacity", labour.value);
    put(body, "work_status", work.value);
    const changed = changedOnly(body, p);
    put(changed, "phone", ctl(f, "phone").value);
    await patchWithVersion(`/api/people/${encodeURIComponent(p.id)}`, changed, p.version, msg,
      (saved) => onSaved(`已保存 ${saved.name} 的信息。`));
  });
  form.classList.add("edit-form", "person-edit");
  form.querySelector("button[type=submit]").textContent = "保存修改";
  return form;
}

// ---------------------------------------------------------------- 农户台账 tab

TABS.registry = {
  view: "households",
  filters: {},
  limit: 20,
  offset: 0,
  picker: null,
  openId: null,
  create: null,
  init() {
    const toolbar = $("#registry-toolbar");
    const msg = $("#registry-msg");
    toolbar.replaceChildren();
    $("#registry-result").replaceChildren();
    $("#registry-detail").replaceChildren();
    $("#registry-create-slot").replaceChildren();
    this.showScope();
    if (!canSeePeople()) {
      toolbar.hidden = true;
      return;
    }
    toolbar.hidden = false;
    const surveyor = auth.role === "surveyor";
    this.view = surveyor ? "villages" : "households";
    this.filters = {};
    this.offset = 0;
    this.openId = null;

    const seg = (view, text) => el("button", {
      type: "button", class: `seg-btn${this.view === view ? " on" : ""}`, dataset: { view },
      "aria-pressed": this.view === view ? "true" : "false", text,
    });
    const views = el("div", { class: "seg", role: "group", "aria-label": "查看方式" },
      surveyor ? seg("villages", "我的村") : null, seg("households", "按户查看"), seg("lhs", "两后生名单"),
      seg("people", "按姓名查找"));
    this.picker = regionPicker({ depth: "village", optional: true, msgBox: msg });
    const status = select(Object.entries(POVERTY_LABELS), { placeholder: "全部" });
    const q = el("input", { type: "search", name: "q", placeholder: "姓名", maxlength: 50 });
    const size = select(PAGE_SIZES.map((n) => [String(n), `${n} 条`]), { value: String(this.limit) });
    const search = el("button", { type: "button", class: "btn btn-primary", text: "查询" });
    const statusField = field("家庭属性", status, { name: "poverty_status", cls: "field-narrow" });
    const qField = field("姓名", q, { name: "q", cls: "field-narrow" });
    const sizeField = field("每页", size, { name: "limit", cls: "field-narrow" });
    const sync = () => {
      statusField.hidden = this.view !== "households";
      qField.hidden = this.view !== "lhs" && this.view !== "people";
      this.picker.root.hidden = this.view === "villages";
      sizeField.hidden = this.view === "villages";
    };
    toolbar.append(
      el("div", { class: "field field-views" }, el("span", { class: "label-like", text: "查看" }), views),
      this.picker.root, statusField, qField,
      sizeField,
      el("div", { class: "field field-actions" }, search));

    const run = () => {
      clearFieldErrors(toolbar);
      hideMsg(msg);
      if (this.picker.township && !this.picker.value) {
        showProblem(msg, localProblem([{
          field: "village_code", message: "列表只能按村筛选；乡镇也不选则列出您范围内的全部",
        }], "请选择村"), toolbar);
        return;
      }
      if (this.view === "people" && !q.value.trim()) {
        showProblem(msg, localProblem([{ field: "q", message: "请输入要查找的姓名（可只输入一部分）" }], "请输入姓名"), toolbar);
        return;
      }
      this.filters = { village_code: this.picker.value };
      if (this.view === "households") this.filters.poverty_status = status.value;
      else this.filters.q = q.value.trim();
      this.limit = Number(size.value) || 20;
      this.offset = 0;
      this.load();
    };
    search.addEventListener("click", run);
    q.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); run(); } });
    for (const b of views.querySelectorAll(".seg-btn")) {
      b.addEventListener("click", () => {
        if (this.view === b.dataset.view) return;
        this.view = b.dataset.view;
        for (const o of views.querySelectorAll(".seg-btn")) {
          o.classList.toggle("on", o === b);
          o.setAttribute("aria-pressed", o === b ? "true" : "false");
        }
        sync();
        $("#registry-detail").replaceChildren();
        $("#registry-result").replaceChildren();
        this.openId = null;
        if (this.view === "people") q.focus(); else run();
      });
    }

    if (canWritePeople()) {
      this.create = householdForm(async (created) => {
        await this.picker.setVillage(created.village_code);
        this.filters = { village_code: created.village_code };
        status.value = "";
        this.offset = 0;
        await this.load();
        await this.openHousehold(created.id, { scroll: false });
      });
      $("#registry-create-slot").append(this.create.root);
    }
    sync();
    this.load();
  },
  reset() {
    $("#registry-toolbar").replaceChildren();
    $("#registry-result").replaceChildren();
    $("#registry-detail").replaceChildren();
    $("#registry-create-slot").replaceChildren();
    const scope = $("#registry-scope");
    scope.hidden = true;
    scope.replaceChildren();
    hideMsg($("#registry-msg"));
    this.create = null;
    this.openId = null;
  },
  /** Who sees what, from GET /api/auth/me; a school gets the note instead of the lists. */
  async showScope() {
    const box = $("#registry-scope");
    box.hidden = true;
    box.replaceChildren();
    let me;
    try { me = await whoAmI(); } catch (err) { showProblem($("#registry-msg"), err); return; }
    if (me.role === "school") {
      let schoolName = "本校";
      if (me.school_id) {
        try { schoolName = (await api("GET", `/api/schools/${encodeURIComponent(me.school_id)}`)).school.name; } catch (_e) { /* keep 本校 */ }
      }
      box.className = "msg msg-info scope-note";
      box.append(el("strong", { text: `${schoolName}：暂无可查看的农户和人员。` }),
        el("p", { text: "学校账号只能看到报名或参加本校培训班的人员；报名功能上线后，这些人员会列在这里。农户台账由调查员和乡镇、县里的工作人员维护。" }));
      box.hidden = false;
      return;
    }
    let where;
    if (me.role === "admin") where = me.counties ? `${(await Promise.all(me.counties.map((c) => regionName(`${c}000000`)))).join("、")}全部农户` : "所有县的农户";
    else {
      const names = await Promise.all((me.region_codes || []).map(async (c) => {
        if (c.endsWith("000000") || c.endsWith("000")) return regionName(c);
        return `${await regionName(regionParent(c))} ${await regionName(c)}`;
      }));
      where = names.length ? names.join("、") : "（未分配区域）";
    }
    const what = canWritePeople()
      ? "可登记农户、录入培训需求调查、查看完整号码（每次查看都记入审计日志）。"
      : "只读：可查看打码后的身份证号和电话，不能修改台账。";
    box.className = "scope-note";
    box.append(el("span", { class: "muted", text: "您的范围：" }), el("strong", { text: where }), " ", small(what, "muted"));
    box.hidden = false;
  },
  load() {
    if (this.view === "villages") {
      $("#registry-result").replaceChildren(myVillagesView((id) => this.openHousehold(id)));
      return Promise.resolve();
    }
    return this.view === "households" ? this.loadHouseholds() : this.loadLhs();
  },
  async loadHouseholds() {
    const msg = $("#registry-msg");
    const out = $("#registry-result");
    await loadInto(out, msg, $("#registry-toolbar"), async () => this.renderHouseholds(
      await api("GET", "/api/households", { query: { ...this.filters, limit: this.limit, offset: this.offset } })));
  },
  renderHouseholds(page) {
    const items = page.items || [];
    const go = (offset) => { this.offset = offset; this.loadHouseholds(); };
    const head = el("div", { class: "result-head" }, el("h3", { text: "农户" }),
      small(this.filters.village_code ? "本村农户" : "您范围内的全部农户"));
    if (!items.length) {
      return el("div", {}, head, pagerBar(page, "户", go), el("p", {
        class: "empty",
        text: canWritePeople() ? "没有符合条件的农户。可用上方“登记农户”或“台账导入导出”录入。" : "没有符合条件的农户。",
      }));
    }
    const rows = items.map((h) => {
      const lhs = h.members.filter((m) => m.lianghousheng).length;
      const open = el("button", { type: "button", class: "btn btn-sm", text: "查看成员" });
      const row = el("tr", { class: h.id === this.openId ? "row-click row-active" : "row-click", dataset: { household: h.id } },
        td("户编号", h.household_no ? code(h.household_no) : dash()),
        td("户主", el("div", { class: "cell-title", text: h.head_name }), h.phone ? small(`电话 ${h.phone}`) : null),
        td("村", h.village_name),
        td("家庭属性", povertyCell(h)),
        td("成员", el("span", { class: "seats", text: `${h.members.length} 人` }),
          lhs ? el("div", { class: "cell-badges" }, badge(`两后生 ${lhs}`, "badge-amber")) : null),
        td("操作", open));
      row.addEventListener("click", () => this.openHousehold(h.id));
      return row;
    });
    return el("div", {}, head, pagerBar(page, "户", go),
      table(["户编号", "户主", "村", "家庭属性", "成员", "操作"], rows, { cls: "cards-on-phone households" }),
      items.length > 10 ? pagerBar(page, "户", go) : null);
  },
  async openHousehold(id, { flash, scroll = true } = {}) {
    this.openId = id;
    for (const r of document.querySelectorAll("#registry-result tr[data-household]")) {
      r.classList.toggle("row-active", r.dataset.household === id);
    }
    const out = $("#registry-detail");
    if (!flash) out.replaceChildren(el("p", { class: "loading", text: "加载成员…" }));
    try {
      const h = await api("GET", `/api/households/${encodeURIComponent(id)}`);
      if (this.openId !== id) return;
      out.replaceChildren(this.renderHousehold(h, flash));
      if (scroll && !flash) out.scrollIntoView({ block: "start", behavior: "smooth" });
    } catch (err) {
      const box = el("div", { class: "msg" });
      out.replaceChildren(box);
      showProblem(box, err);
    }
  },
  renderHousehold(h, flash) {
    const flashBox = el("div", { class: "msg", hidden: true, role: "status" });
    if (flash) showOk(flashBox, flash);
    const writer = canWritePeople();
    const columns = ["name", "id", "sex", "age", "relation", "education", "labour", "work", "phone", "lhs", "need"];
    const headers = ["姓名", "身份证号", "性别", "年龄", "与户主关系", "文化程度", "劳动能力", "务工状况", "电话", "两后生", "当前培训需求"];
    headers.push("操作");
    const onSurveyed = (text) => this.openHousehold(h.id, { flash: text });
    const rows = h.members.flatMap((p) => personRows(p, columns, { span: headers.length, onSurveyed }));
    const editSlot = el("div", { class: "edit-slot" });
    const editButton = writer ? el("button", {
      type: "button", class: "btn btn-sm", text: "修改农户",
      onclick: () => {
        if (editSlot.childElementCount) { editSlot.replaceChildren(); return; }
        editSlot.append(householdEditForm(h, (text) => this.openHousehold(h.id, { flash: text })));
        editSlot.querySelector("input").focus();
      },
    }) : null;
    return el("div", { class: "card household-card" },
      el("div", { class: "household-head" },
        el("h3", {}, `户主 ${h.head_name}`, h.household_no ? small(` 户编号 ${h.household_no}`, "count") : null),
        editButton,
        el("button", {
          type: "button", class: "btn btn-sm", text: "收起",
          onclick: () => {
            this.openId = null;
            $("#registry-detail").replaceChildren();
            for (const r of document.querySelectorAll("#registry-result tr.row-active")) r.classList.remove("row-active");
          },
        })),
      el("dl", { class: "facts" },
        el("dt", { text: "村" }), el("dd", {}, h.village_name, " ", code(h.village_code)),
        el("dt", { text: "家庭属性" }), el("dd", {}, povertyCell(h)),
        el("dt", { text: "户联系电话" }), el("dd", { class: "code", text: h.phone || "—" }),
        h.poverty_causes && h.poverty_causes.length ? [el("dt", { text: "致贫原因" }), el("dd", { text: h.poverty_causes.join("、") })] : null,
        el("dt", { text: "登记时间" }), el("dd", { text: dateTime(h.created_at) })),
      flashBox, editSlot,
      el("div", { class: "result-head" }, el("h3", { text: `家庭成员（${h.members.length} 人）` }),
        small(writer ? "身份证号和电话已打码；“查看完整号码”显示 30 秒后自动重新打码，每次查看都记入审计日志。"
          : "身份证号和电话已打码。", "hint")),
      h.members.length ? table(headers, rows, { cls: "cards-on-phone members-table" })
        : el("p", { class: "empty", text: "该户还没有登记成员。" }));
  },
  async loadLhs() {
    const msg = $("#registry-msg");
    const out = $("#registry-result");
    await loadInto(out, msg, $("#registry-toolbar"), async () => {
      const page = await api("GET", "/api/people", {
        query: {
          lianghousheng: this.view === "lhs" ? "true" : undefined, village_code: this.filters.village_code,
          q: this.filters.q, limit: this.limit, offset: this.offset,
        },
      });
      const names = await villageNames((page.items || []).map((p) => p.village_code));
      return this.renderLhs(page, names);
    });
  },
  renderLhs(page, names) {
    const items = page.items || [];
    const go = (offset) => { this.offset = offset; this.loadLhs(); };
    const lhsView = this.view === "lhs";
    const head = lhsView
      ? el("div", { class: "result-head" }, el("h3", { text: "两后生名单" }),
        small("脱贫户、监测户等家庭中初中或高中毕业后未继续升学的子女，宜引导参加劳动预备制培训。", "hint"))
      : el("div", { class: "result-head" }, el("h3", { text: `姓名含“${this.filters.q}”的人员` }));
    if (!items.length) {
      return el("div", {}, head, pagerBar(page, "人", go),
        el("p", { class: "empty", text: lhsView ? "没有符合条件的两后生。" : "您的范围内没有这个姓名的人员。" }));
    }
    const village = (p) => td("村", names.get(p.village_code) || p.village_code);
    const household = (p) => td("农户", el("button", {
      type: "button", class: "btn btn-sm", text: "查看本户",
      onclick: () => this.openHousehold(p.household_id),
    }));
    const columns = ["name", village, "id", "sex", "age", "education", "work", "phone", "reason", "need", household];
    const headers = ["姓名", "村", "身份证号", "性别", "年龄", "文化程度", "务工状况", "电话", "两后生原因", "当前培训需求", "农户"];
    headers.push("操作");
    const onSurveyed = async (text) => {
      await this.loadLhs();
      showOk($("#registry-msg"), text);
    };
    const rows = items.flatMap((p) => personRows(p, columns, { span: headers.length, onSurveyed }));
    return el("div", {}, head, pagerBar(page, "人", go),
      table(headers, rows, { cls: "cards-on-phone members-table" }),
      items.length > 10 ? pagerBar(page, "人", go) : null);
  },
};
