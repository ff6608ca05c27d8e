import { api, localProblem } from "./api.js";
import { PAGE_SIZES } from "./labels.js";
import { TABS } from "./tabs.js";
import { $, badge, clearFieldErrors, code, dash, dateTime, el, field, hideMsg, loadInto, pagerBar, select, showProblem, small, table, td } from "./ui.js";

export const AUDIT_ACTIONS = { create: "新增", update: "修改", publish: "发布", reveal: "查看完整号码", import: "导入" };
export const AUDIT_OBJECTS = {
  household: "农户", person: "人员", survey: "需求调查", ledger: "台账导入", ledger_export: "台账导出", school: "学校",
  major: "专业", teacher: "教师", equipment: "设备", course: "课程", session: "培训班", package: "培训资源包",
};
export const AUDIT_KEYS = {
  fields: "字段", members: "成员数", household_id: "农户", person_id: "人员", rows: "行数", rejected_rows: "错误行数",
  mode: "方式", people: "人数", village_code: "村", source: "来源", surveyed_on: "调查日期", desired_trades: "意向工种",
  name: "名称", school_id: "学校", course_id: "课程", trade_codes: "工种", trade_code: "工种",
  households: "农户数", surveys: "调查数", households_created: "新增农户", households_updated: "更新农户",
  people_created: "新增人员", people_updated: "更新人员", surveys_created: "新增调查",
};
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ---------------------------------------------------------------- 审计日志 tab (admins)

export function changesCell(changes) {
  const entries = Object.entries(changes || {});
  if (!entries.length) return dash();
  const fmt = (v) => {
    if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join("、") : "（空）";
    if (v && typeof v === "object") return JSON.stringify(v);
    if (typeof v === "boolean") return v ? "是" : "否";
    return String(v ?? "—");
  };
  return el("dl", { class: "changes" }, entries.map(([k, v]) => [
    el("dt", { title: k, text: AUDIT_KEYS[k] || k }), el("dd", { text: fmt(v) })]));
}

TABS.audit = {
  offset: 0,
  limit: 50,
  filters: {},
  init() {
    const form = $("#audit-filter");
    const msg = $("#audit-msg");
    form.replaceChildren();
    const action = select(Object.entries(AUDIT_ACTIONS).map(([k, v]) => [k, `${v}（${k}）`]), { placeholder: "全部" });
    const objectType = select(Object.entries(AUDIT_OBJECTS).map(([k, v]) => [k, `${v}（${k}）`]), { placeholder: "全部" });
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
        objectChip.append(el("span", { class: "chip chip-sel" }, "对象 ", code(this.filters.object_id),
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
        : AUDIT_ACTIONS[a.action] || a.action, a.action === "reveal" ? "badge-red" : ""), small(a.action)),
      td("对象", AUDIT_OBJECTS[a.object_type] || a.object_type, small(a.object_type)),
      td("对象编号", a.object_id
        ? el("button", {
          type: "button", class: "link-btn code", title: `${a.object_id}（点击只看此对象）`,
          text: UUID_RE.test(a.object_id) ? `${a.object_id.slice(0, 8)}…` : a.object_id,
          onclick: () => { this.filters.object_id = a.object_id; this.renderChip(); this.offset = 0; this.load(); },
        })
        : dash()),
      td("内容", changesCell(a.changes))));
    return el("div", {}, pagerBar(page, "条", go),
      table(["时间", "操作人", "动作", "对象", "对象编号", "内容"], rows, { cls: "cards-on-phone audit-table" }),
      items.length > 10 ? pagerBar(page, "条", go) : null);
  },
};
