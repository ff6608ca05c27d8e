import { api, download, localProblem } from "./api.js";
import { regionPicker } from "./regions.js";
import { MAX_UPLOAD_MB, REJECTED_SHOWN, canWritePeople } from "./registry.js";
import { TABS } from "./tabs.js";
import { $, clearFieldErrors, dash, el, field, hideMsg, showInfo, showOk, showProblem, small, table, td, withBusy } from "./ui.js";

// ---------------------------------------------------------------- 台账导入导出 tab

export function importResult(r) {
  const rejected = Array.isArray(r.rejected) ? r.rejected : [];
  const badRows = new Set(rejected.map((x) => x.row)).size;
  const n = (v) => el("span", { class: "seats", text: String(v ?? 0) });
  const counts = table(["", "新增", "更新", "未变"], [
    el("tr", {}, td("", el("b", { text: "农户" })), td("新增", n(r.households_created)), td("更新", n(r.households_updated)),
      td("未变", n(r.households_unchanged))),
    el("tr", {}, td("", el("b", { text: "人员" })), td("新增", n(r.people_created)), td("更新", n(r.people_updated)),
      td("未变", n(r.people_unchanged))),
    el("tr", {}, td("", el("b", { text: "需求调查" })), td("新增", n(r.surveys_created)), td("更新", dash()),
      td("未变", n(r.surveys_unchanged))),
  ], { cls: "count-table" });
  counts.classList.add("count-wrap");
  const summary = el("p", { class: "import-summary" },
    `共 ${r.rows ?? 0} 行数据，`, badRows ? el("b", { class: "warn-text", text: `${badRows} 行有错误（${rejected.length} 处）` }) : "没有错误行",
    "；", r.written ? "无误的行已写入。" : "未写入任何数据。",
    small(` 导入方式：${r.mode === "all_or_nothing" ? "有错误则全部不导入" : "只导入无误的行"}`));
  const parts = [summary, counts];
  if (rejected.length) {
    const shown = rejected.slice(0, REJECTED_SHOWN);
    parts.push(el("h4", { class: "sub-head", text: "未导入的行" }),
      el("div", { class: "rejected-wrap" }, table(["行号", "列", "原因"], shown.map((x) => el("tr", {},
        td("行号", el("span", { class: "seats", text: String(x.row) })), td("列", x.column), td("原因", x.message))),
      { cls: "rejected-table" })),
      rejected.length > shown.length ? small(`仅显示前 ${REJECTED_SHOWN} 处，共 ${rejected.length} 处。`, "hint") : null,
      small("行号即 Excel 左侧显示的行号。改正后可重新导入整个文件：已导入的行不会重复写入。", "hint"));
  }
  return el("div", { class: "import-result" }, parts);
}

TABS.ledger = {
  init() {
    const body = $("#ledger-body");
    body.replaceChildren(this.templateCard(), this.importCard(), this.exportCard());
  },
  reset() { $("#ledger-body").replaceChildren(); },
  templateCard() {
    const msg = el("div", { class: "msg", hidden: true, role: "alert" });
    const button = el("button", { type: "button", class: "btn btn-primary", text: "下载台账模板" });
    button.addEventListener("click", () => withBusy(button, async () => {
      hideMsg(msg);
      try {
        const file = await download("/api/ledger/template", { fallbackName: "培训台账模板.xlsx" });
        showOk(msg, `已下载“${file.name}”。`);
      } catch (err) { showProblem(msg, err); }
    }));
    return el("section", { class: "card ledger-card" }, el("h3", { text: "1. 下载模板" }),
      el("p", { class: "muted", text: "中文表头，附填写说明。可用 Excel、WPS 或 LibreOffice 填写；标题行、空行、全角字符都可以。" }),
      el("div", {}, button), msg);
  },
  importCard() {
    const head = el("h3", { text: "2. 导入台账" });
    if (!canWritePeople()) {
      return el("section", { class: "card ledger-card" }, head,
        el("p", { class: "muted", text: "只有调查员和管理员可以导入台账。" }));
    }
    const msg = el("div", { class: "msg", hidden: true, role: "alert" });
    const result = el("div", {});
    const file = el("input", { type: "file", name: "file", accept: ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" });
    const modes = el("div", { class: "radios" },
      el("label", { class: "check" }, el("input", { type: "radio", name: "mode", value: "valid_only", checked: true }),
        " 只导入无误的行", small("（有错的行列在下面，改正后再导入）")),
      el("label", { class: "check" }, el("input", { type: "radio", name: "mode", value: "all_or_nothing" }),
        " 有任何错误则全部不导入"));
    const button = el("button", { type: "submit", class: "btn btn-primary", text: "上传并导入" });
    const form = el("form", { class: "grid-form", novalidate: true },
      field("台账文件（.xlsx）", file, { name: "file", wide: true, hint: `不超过 ${MAX_UPLOAD_MB} MB。` }),
      el("div", { class: "field wide", dataset: { field: "mode", label: "导入方式" } },
        el("span", { class: "label-like", text: "导入方式" }), modes),
      el("div", { class: "field field-actions wide" }, button));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (button.disabled) return; // an upload is still running
      clearFieldErrors(form);
      hideMsg(msg);
      result.replaceChildren();
      const chosen = file.files && file.files[0];
      if (!chosen) { showProblem(msg, localProblem([{ field: "file", message: "请选择台账文件（.xlsx）" }]), form); return; }
      if (chosen.size > MAX_UPLOAD_MB * 1024 * 1024) {
        showProblem(msg, localProblem([{ field: "file", message: `文件超过 ${MAX_UPLOAD_MB} MB，请按乡镇或村拆分后分别导入` }]), form);
        return;
      }
      const mode = form.querySelector("input[name=mode]:checked").value;
      const data = new FormData();
      data.append("file", chosen, chosen.name);
      data.append("mode", mode);
      await withBusy(button, async () => {
        try {
          const r = await api("POST", "/api/ledger/import", { form: data });
          const bad = (r.rejected || []).length;
          if (bad) showInfo(msg, `“${chosen.name}”已导入，部分行有错误未导入，见下表。`);
          else showOk(msg, `“${chosen.name}”已全部导入。`);
          result.replaceChildren(importResult(r));
        } catch (err) {
          showProblem(msg, err, form);
          // all_or_nothing: the problem carries the same counts and rejected rows.
          if (err.problem && Array.isArray(err.problem.rejected)) result.replaceChildren(importResult(err.problem));
        }
      });
    });
    return el("section", { class: "card ledger-card ledger-import" }, head,
      el("p", { class: "muted", text: "同一人（身份证号）再次导入时更新其信息，需求调查按调查日期保留历史；重复导入同一文件不会重复写入。" }),
      form, msg, result);
  },
  exportCard() {
    const msg = el("div", { class: "msg", hidden: true, role: "alert" });
    const picker = regionPicker({ depth: "village", optional: true, msgBox: msg });
    const reveal = el("input", { type: "checkbox", name: "reveal" });
    const button = el("button", { type: "submit", class: "btn btn-primary", text: "导出台账" });
    const form = el("form", { class: "toolbar export-form", novalidate: true },
      picker.root,
      canWritePeople()
        ? el("div", { class: "field field-check", dataset: { field: "reveal", label: "含完整身份证号" } },
          el("label", { class: "reveal-check" }, reveal, " 含完整身份证号（将记入审计）"))
        : null,
      el("div", { class: "field field-actions" }, button));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (button.disabled) return;
      clearFieldErrors(form);
      hideMsg(msg);
      if (picker.township && !picker.value) {
        showProblem(msg, localProblem([{ field: "village_code", message: "导出只能按村筛选；乡镇也不选则导出您范围内的全部" }], "请选择村"), form);
        return;
      }
      const full = canWritePeople() && reveal.checked;
      await withBusy(button, async () => {
        try {
          const file = await download("/api/ledger/export", {
            query: { village_code: picker.value, reveal: full ? "true" : "" },
            fallbackName: `培训台账${picker.value || ""}.xlsx`,
          });
          const where = picker.value ? picker.villageName : "您范围内的全部农户";
          showOk(msg, `已下载“${file.name}”（${where}，${Math.max(1, Math.round(file.size / 1024))} KB）。`,
            full ? el("p", { text: "文件含完整身份证号和电话，本次导出已记入审计日志；请妥善保管，用完即删。" })
              : el("p", { text: "身份证号和电话已打码。" }));
        } catch (err) { showProblem(msg, err, form); }
      });
    });
    return el("section", { class: "card ledger-card" }, el("h3", { text: "3. 导出台账" }),
      el("p", { class: "muted", text: "按村导出，不选则导出您范围内的全部农户；格式与模板相同，可改后再导入。" }),
      form, msg);
  },
};
