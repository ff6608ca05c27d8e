import { api, localProblem } from "./api.js";
import { FIELD_LABELS, PAGE_SIZES } from "./labels.js";
import { TABS } from "./tabs.js";
import { $, badge, clearFieldErrors, dash, dateTime, el, field, hideMsg, loadInto, pagerBar, select, showProblem, small, table, td } from "./ui.js";

export const AUDIT_ACTIONS = {
  create: "新增", update: "修改", publish: "发布", cancel: "取消", reveal: "查看完整号码", import: "导入",
  withdraw: "退出", drop: "除名", complete: "登记结业", promote: "候补递补", attendance: "记考勤",
  attendance_sheet: "上传签到表", set_quota: "设定指标", propose: "生成批次方案", accept: "确认批次",
  activate: "启用模型", enable: "启用账号", disable: "停用账号", reset_password: "重置密码",
};
export const AUDIT_OBJECTS = {
  household: "农户", person: "人员", survey: "需求调查", ledger: "台账导入", ledger_export: "台账导出", school: "学校",
  major: "专业", teacher: "教师", equipment: "设备", course: "课程", session: "培训班", package: "培训资源包",
  enrolment: "报名", employment: "就业", quota: "年度指标", allocation: "培训批次", model: "推荐模型", user: "账号",
};
export const AUDIT_KEYS = {
  fields: "涉及的项", members: "成员数", household_id: "农户", person_id: "人员", rows: "行数", rejected_rows: "错误行数",
  mode: "方式", people: "人数", village_code: "村", village_codes: "村", source: "来源", surveyed_on: "调查日期",
  desired_trades: "意向工种", name: "名称", school_id: "学校", course_id: "课程", trade_codes: "工种", trade_code: "工种",
  households: "农户数", surveys: "调查数", households_created: "新增农户", households_updated: "更新农户",
  people_created: "新增人员", people_updated: "更新人员", surveys_created: "新增调查", session_id: "培训班",
  enrolment_id: "报名", recommendation_id: "推荐记录", status: "状态", from: "原状态", to: "新状态", reason: "原因",
  present: "出勤人数", absent: "缺勤人数", date: "日期", days: "天数", place: "就业地", title: "名称", kind: "类型",
  quantity: "数量", starts_on: "开始日期", ends_on: "结束日期", year: "年度", target_person_times: "指标人次",
  region_code: "地区", county_code: "县", sessions: "培训班数", username: "用户名", capacity: "招生人数",
  version: "版本", head_name: "户主姓名", poverty_status: "家庭属性", household_no: "户编号", id_number: "身份证号",
  phone: "电话", sex: "性别", birth_date: "出生日期", relation: "与户主关系", ethnicity: "民族", education: "文化程度",
  in_school: "是否在校", left_school_year: "离校年份", labour_capacity: "劳动能力", work_status: "务工状况",
  disability: "残疾情况", skills: "技能", lifted_year: "脱贫年度", monitor_type: "监测类型", risk_removed: "风险是否消除",
  poverty_causes: "致贫原因", teacher_ids: "授课教师", venue: "具体地点", schedule: "教学安排",
};
// Values that are codes of the API, in the words a clerk uses.
export const AUDIT_VALUES = {
  enrolled: "已报名", waitlisted: "候补", withdrawn: "已退出", dropped: "已除名", completed: "已结业", cancelled: "已取消",
  draft: "草稿", published: "已发布", proposed: "待确认", accepted: "已确认", recommended: "按推荐报名",
  surveyor: "调查员报名", school: "学校报名", self: "本人报名", valid_only: "只导入无误的行",
  all_or_nothing: "有错误则全部不导入", local: "本地就业", migrant: "外出务工", long: "长期培训", short: "短期技能培训",
  entrepreneurship: "创业培训", practical: "农业实用技术", registered_poor: "建档立卡贫困户", lifted: "脱贫户",
  monitored: "监测户", ordinary: "一般农户", refused: "未成功",
};
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CODE_RE = /^(\d{6}|\d{12}|\d-\d{2}-\d{2}-\d{2})$/;
// ---------------------------------------------------------------- 审计日志 tab (admins)

/** One value of an entry's changes, in words: names from the API for ids and codes, Chinese for API codes;
 *  an id or code without a name (a deleted record) is never shown raw. */
export function auditValue(key, v, names = {}) {
  if (v === null || v === undefined || v === "") return "—";
  if (Array.isArray(v)) {
    // A stored field (id_enc, id_hash, phone_masked) is told as the field a clerk knows, once.
    const items = key === "fields" ? [...new Set(v.map((x) => String(x).replace(/^id_(enc|hash|masked)$/, "id_number").replace(/_(enc|hash|masked)$/, "")))] : v;
    return items.length ? [...new Set(items.map((x) => auditValue(key, x, names)))].join("、") : "（空）";
  }
  if (typeof v === "boolean") return v ? "是" : "否";
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${AUDIT_KEYS[k] || "其他"}：${auditValue(k, x, names)}`).join("；");
  const text = String(v);
  if (names[text]) return names[text];
  if (key === "fields") return AUDIT_KEYS[text] || FIELD_LABELS[text] || "其他项";
  if (AUDIT_VALUES[text]) return AUDIT_VALUES[text];
  if (UUID_RE.test(text) || CODE_RE.test(text)) return "（已删除的记录）";
  return text;
}

export function changesCell(changes, names) {
  const entries = Object.entries(changes || {}).filter(([k, v]) => !(k === "recommendation_id" && !v));
  if (!entries.length) return dash();
  return el("dl", { class: "changes" }, entries.map(([k, v]) => [
    el("dt", { text: AUDIT_KEYS[k] || FIELD_LABELS[k] || "其他" }), el("dd", { text: auditValue(k, v, names) })]));
}

/** What the entry is about, by name: the API's label, else the kind of object alone. */
export function objectCell(a) {
  const kind = AUDIT_OBJECTS[a.object_type] || "其他";
  if (a.object_label) return [el("div", { text: a.object_label }), small(kind)];
  if (a.object_id && !UUID_RE.test(a.object_id) && !CODE_RE.test(a.object_id)) return [el("div", { text: a.object_id }), small(kind)];
  return [el("div", { text: kind })];
}

TABS.audit = {
  offset: 0,
  limit: 50,
  filters: {},
  init() {
    const form = $("#audit-filter");
    const msg = $("#audit-msg");
    form.replaceChildren();
    const action = select(Object.entries(AUDIT_ACTIONS), { placeholder: "全部" });
    const objectType = select(Object.entries(AUDIT_OBJECTS), { placeholder: "全部" });
    const actor = el("input", { name: "actor", autocomplete: "off", spellcheck: "false", placeholder: "登录名（须完全一致）" });
    const since = el("input", { type: "date", name: "since" });
    const until = el("input", { type: "date", name: "until" });
    const size = select(PAGE_SIZES.map((n) => [String(n), `${n} 条`]), { value: String(this.limit) });
    const objectChip = el("div", { class: "field field-actions object-chip", hidden: true });
    const reset = el("button", { type: "button", class: "btn", text: "重置" });
    form.append(
      field("动作", action, { name: "action" }),
      field("对象类型", objectType, { name: "object_type" }),
      field("操作人", actor, { name: "actor" }),
      field("起始日期", since, { name: "since" }),
      field("截止日期", until, { name: "until" }),
      field("每页", size, { name: "limit", cls: "field-narrow" }),
      objectChip,
      el("div", { class: "field field-actions" }, el("button", { type: "submit", class: "btn btn-primary", text: "查询" }), reset));
    const renderChip = () => {
      objectChip.replaceChildren();
      objectChip.hidden = !this.filters.object_id;
      if (this.filters.object_id) {
        objectChip.append(el("span", { class: "chip chip-sel" }, `只看：${this.objectName || "这一对象"}`,
          el("button", {
            type: "button", class: "chip-x", title: "取消按对象筛选", "aria-label": "取消按对象筛选",
            onclick: () => { delete this.filters.object_id; renderChip(); this.offset = 0; this.load(); },
          }, "×")));
      }
    };
    this.renderChip = renderChip;
    form.onsubmit = (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      hideMsg(msg);
      if (since.value && until.value && since.value > until.value) {
        showProblem(msg, localProblem([{ field: "until", message: "不能早于起始日期" }], "筛选条件有误"), form);
        return;
      }
      this.filters = {
        action: action.value, object_type: objectType.value, actor: actor.value.trim(), since: since.value,
        until: until.value, object_id: this.filters.object_id,
      };
      this.limit = Number(size.value) || 50;
      this.offset = 0;
      this.load();
    };
    reset.onclick = () => {
      action.value = ""; objectType.value = ""; actor.value = ""; since.value = ""; until.value = "";
      this.filters = {};
      renderChip();
      this.offset = 0;
      this.load();
    };
    this.filters = {};
    this.offset = 0;
    this.load();
  },
  reset() {
    $("#audit-filter").replaceChildren();
    $("#audit-result").replaceChildren();
    hideMsg($("#audit-msg"));
  },
  async load() {
    const msg = $("#audit-msg");
    const out = $("#audit-result");
    const form = $("#audit-filter");
    await loadInto(out, msg, form, async () => this.render(
      await api("GET", "/api/audit", { query: { ...this.filters, limit: this.limit, offset: this.offset } })));
  },
  render(page) {
    const items = page.items || [];
    const go = (offset) => { this.offset = offset; this.load(); };
    if (!items.length) return el("div", {}, pagerBar(page, "条", go), el("p", { class: "empty", text: "没有符合条件的记录。" }));
    const rows = items.map((a) => el("tr", { class: a.action === "reveal" ? "row-warn" : "" },
      td("时间", el("span", { class: "nowrap", text: dateTime(a.at) })),
      td("操作人", a.actor_name),
      td("动作", badge(a.action === "reveal" && a.object_type === "ledger_export" ? "导出完整号码"
        : AUDIT_ACTIONS[a.action] || "其他操作", a.action === "reveal" ? "badge-red" : "")),
      td("对象", objectCell(a), a.object_id
        ? el("button", {
          type: "button", class: "link-btn", text: "只看此对象",
          onclick: () => {
            this.filters.object_id = a.object_id;
            this.objectName = a.object_label || AUDIT_OBJECTS[a.object_type] || "";
            this.renderChip(); this.offset = 0; this.load();
          },
        })
        : null),
      td("内容", changesCell(a.changes, a.labels))));
    return el("div", {}, pagerBar(page, "条", go),
      table(["时间", "操作人", "动作", "对象", "内容"], rows, { cls: "cards-on-phone audit-table" }),
      items.length > 10 ? pagerBar(page, "条", go) : null);
  },
};
