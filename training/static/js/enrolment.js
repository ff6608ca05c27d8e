import { api, auth, download, localProblem } from "./api.js";
import { FIELD_LABELS, SKILL_LEVELS } from "./labels.js";
import { villageNames } from "./regions.js";
import { REJECTED_SHOWN } from "./registry.js";
import { badge, code, ctl, withBusy, dash, dateRange, dateTime, el, field, hideMsg, makeForm, pagerBar, put, select, showInfo, showOk, showProblem, small, table, td, countyToday } from "./ui.js";

// ---------------------------------------------------------------- 报名名单 / 考勤 / 结业 / 就业 (enrolment)

export const ROSTER_ROLES = ["admin", "official", "school"];
export const ENROL_STATUS_BADGES = {
  enrolled: "badge-green", waitlisted: "badge-amber", withdrawn: "", dropped: "badge-red", completed: "badge-blue",
  cancelled: "",
};
export const ENROL_STATUS = { enrolled: "已报名", waitlisted: "候补", completed: "已结业", withdrawn: "已退出", dropped: "已除名", cancelled: "已取消" };
export const ROSTER_PAGE = 50;
export const PLACE_LABELS = { local: "本地就业", migrant: "外出务工" };
Object.assign(FIELD_LABELS, {
  reason: "原因", completed_on: "结业日期", passed: "考核结果", certificate_no: "证书编号", override_reason: "出勤不足结业原因",
  employed_on: "就业日期", place: "就业地", employer: "就业单位", monthly_income: "月收入", date: "考勤日期",
  present: "出勤学员", person_id: "人员", source: "报名来源", session_id: "培训班",
});

/** A fresh Idempotency-Key: crypto.randomUUID where the page is a secure context, else from getRandomValues. */
export function newIdempotencyKey() {
  if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function clampDate(value, from, to) {
  if (from && value < from) return from;
  if (to && value > to) return to;
  return value;
}

export function attendanceText(e) {
  if (!e.recorded_days) return "未记考勤";
  return `${e.attended_days}/${e.recorded_days} 天（${Math.round((e.attended_days / e.recorded_days) * 100)}%）`;
}

export function completionCell(e) {
  if (e.status !== "completed") return [dash()];
  return [
    el("div", {}, e.completed_on || "", " ", e.passed ? badge("合格", "badge-green") : badge("不合格", "badge-red")),
    e.skill_level ? small(SKILL_LEVELS[e.skill_level] || e.skill_level) : null,
    e.certificate_no ? el("div", {}, code(e.certificate_no)) : null,
  ];
}

export function statusCell(e) {
  return [badge(e.status_label || e.status, ENROL_STATUS_BADGES[e.status] || ""),
    e.reason ? el("div", { class: "desc" }, small(`原因：${e.reason}`)) : null];
}

/** The roster of a published session, with the school's actions, 记考勤 and 上传签到表. */
export function rosterPanel(s) {
  const base = `/api/sessions/${encodeURIComponent(s.id)}`;
  const canAct = auth.role === "admin" || auth.role === "school"; // a school only gets here for its own sessions
  const msg = el("div", { class: "msg", hidden: true, role: "status" });
  const list = el("div", { class: "roster-list" });
  const checks = el("div", { class: "attendance-checks" });
  const inClassOf = (rows) => rows.filter((e) => e.status === "enrolled" || e.status === "completed");
  let page = { items: [], total: 0, limit: ROSTER_PAGE, offset: 0 };
  let items = [];
  let inClass = [];
  let offset = 0;

  /** Everyone in class (enrolled or completed), over all pages: the attendance form marks the rest absent. */
  async function allInClass() {
    if (page.offset === 0 && page.items.length >= page.total) return inClassOf(page.items);
    const out = [];
    for (let skip = 0; ;) {
      const p = await api("GET", `${base}/enrolments`, { query: { limit: 500, offset: skip } });
      out.push(...inClassOf(p.items || []));
      skip += (p.items || []).length;
      if (!(p.items || []).length || skip >= p.total) return out;
    }
  }

  async function load(flash) {
    if (!list.childElementCount) list.append(el("p", { class: "loading", text: "加载中…" }));
    try {
      page = await api("GET", `${base}/enrolments`, { query: { limit: ROSTER_PAGE, offset } });
      if (!(page.items || []).length && page.total && offset) { // a change emptied this page: show the last one
        offset = Math.floor((page.total - 1) / ROSTER_PAGE) * ROSTER_PAGE;
        page = await api("GET", `${base}/enrolments`, { query: { limit: ROSTER_PAGE, offset } });
      }
      items = page.items || [];
      if (canAct) inClass = await allInClass();
      const names = await villageNames(items.map((e) => e.village_code));
      list.replaceChildren(render(names));
      renderChecks();
      if (flash) showOk(msg, flash); else hideMsg(msg);
    } catch (err) {
      list.replaceChildren();
      showProblem(msg, err);
    }
  }

  function render(names) {
    const counts = page.by_status || {};
    const summary = el("p", { class: "roster-summary" },
      `共 ${page.total} 条报名：`,
      Object.keys(ENROL_STATUS).filter((k) => counts[k])
        .map((k, i) => [i ? "，" : "", `${ENROL_STATUS[k]} ${counts[k]} 人`]),
      small(` · 名额 ${page.capacity}，剩余 ${page.seats_left}`));
    if (!items.length) return el("div", {}, summary, el("p", { class: "empty", text: "还没有人报名。" }));
    const headers = ["姓名", "身份证号", "村", "状态", "候补位次", "出勤", "结业/证书", "操作"];
    const rows = items.flatMap((e) => enrolmentRows(e, names, headers.length));
    const go = (next) => { offset = next; load(); };
    const pager = page.total > ROSTER_PAGE ? pagerBar(page, "条", go) : null;
    return el("div", {}, summary, pager, table(headers, rows, { cls: "cards-on-phone roster-table" }),
      pager && items.length > 10 ? pagerBar(page, "条", go) : null);
  }

  function enrolmentRows(e, names, span) {
    const box = el("div", { class: "msg", hidden: true, role: "alert" });
    const formSlot = el("div", { class: "survey-slot" });
    const sub = el("tr", { class: "row-result", hidden: true }, el("td", { colspan: span }, box, formSlot));
    const buttons = [];
    const toggle = (button, build) => {
      const open = formSlot.childElementCount && formSlot.dataset.owner === button.textContent;
      formSlot.replaceChildren();
      hideMsg(box);
      for (const b of buttons) b.setAttribute("aria-expanded", "false");
      if (open) { sub.hidden = true; return; }
      formSlot.dataset.owner = button.textContent;
      formSlot.append(build());
      sub.hidden = false;
      button.setAttribute("aria-expanded", "true");
      const first = formSlot.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    };
    const make = (text, build, cls = "btn btn-sm") => {
      const b = el("button", { type: "button", class: cls, text, "aria-expanded": "false" });
      b.addEventListener("click", () => toggle(b, build));
      buttons.push(b);
      return b;
    };
    const active = e.status === "enrolled" || e.status === "waitlisted";
    if (canAct && active) {
      make("退出", () => reasonForm(e, "withdraw"));
      make("除名", () => reasonForm(e, "drop"), "btn btn-sm btn-danger");
    }
    if (canAct && e.status === "enrolled") make("结业", () => completeForm(e));
    if (canAct && e.status === "completed") make("就业", () => employmentForm(e));
    make("培训记录", () => trainingsView(e.person_id, e.person_name));
    const row = el("tr", { class: `enrol-${e.status}`, dataset: { enrolment: e.id } },
      td("姓名", el("div", { class: "cell-title", text: e.person_name }), small(`报名于 ${dateTime(e.created_at).slice(0, 10)}`)),
      td("身份证号", el("span", { class: "code id-number", text: e.id_number })),
      td("村", names.get(e.village_code) || e.village_code),
      td("状态", statusCell(e)),
      td("候补位次", e.waitlist_position ? el("span", { class: "seats", text: `第 ${e.waitlist_position} 位` }) : dash()),
      td("出勤", attendanceText(e)),
      td("结业/证书", completionCell(e)),
      td("操作", el("div", { class: "row-actions" }, buttons)));
    return [row, sub];
  }

  function reasonForm(e, kind) {
    const label = kind === "withdraw" ? "退出" : "除名";
    return makeForm(() => [
      el("p", { class: "wide form-lead", text: kind === "withdraw"
        ? `为 ${e.person_name} 办理退出。${e.status === "enrolled" ? "空出的名额会立即给候补第一人。" : ""}`
        : `将 ${e.person_name} 除名（须写明原因）。${e.status === "enrolled" ? "空出的名额会立即给候补第一人。" : ""}` }),
      field(`${label}原因`, el("input", { name: "reason", maxlength: 500, placeholder: kind === "withdraw" ? "如：外出务工，无法参训" : "如：连续缺勤" }),
        { name: "reason", wide: true }),
    ], async (form) => {
      const reason = ctl(form, "reason").value.trim();
      if (!reason) throw localProblem([{ field: "reason", message: `请填写${label}原因` }]);
      const updated = await api("POST", `/api/enrolments/${encodeURIComponent(e.id)}/${kind}`, { body: { reason } });
      await load(`${updated.person_name}：${updated.status_label || label}。`);
    });
  }

  function completeForm(e) {
    const today = countyToday();
    const overrideField = field("出勤不足结业原因", el("textarea", { name: "override_reason", rows: 2, maxlength: 500 }),
      { name: "override_reason", wide: true, hint: "出勤率未达标；确需结业请写明原因，将记入审计日志。" });
    overrideField.hidden = true;
    return makeForm(() => [
      el("p", { class: "wide form-lead" }, `为 ${e.person_name} 登记结业。出勤 ${attendanceText(e)}。`),
      field("结业日期", el("input", { type: "date", name: "completed_on", value: clampDate(today, e.starts_on, e.ends_on < today ? e.ends_on : today), max: today }),
        { name: "completed_on" }),
      field("考核结果", select([["true", "合格"], ["false", "不合格"]], { value: "true" }), { name: "passed" }),
      field("技能等级", select(Object.entries(SKILL_LEVELS), { placeholder: "（不定级）" }), { name: "skill_level" }),
      field("证书编号", el("input", { name: "certificate_no", maxlength: 22, spellcheck: "false", autocomplete: "off", placeholder: "如 S000000000000000000001" }),
        { name: "certificate_no", hint: "1 个大写字母 + 21 位数字；未取证可不填。" }),
      overrideField,
    ], async (form, box) => {
      const body = { passed: form.querySelector("[data-field=passed] select").value === "true" };
      put(body, "completed_on", ctl(form, "completed_on").value);
      put(body, "skill_level", form.querySelector("[data-field=skill_level] select").value);
      put(body, "certificate_no", ctl(form, "certificate_no").value.toUpperCase());
      if (!overrideField.hidden) put(body, "override_reason", ctl(form, "override_reason").value);
      try {
        const updated = await api("POST", `/api/enrolments/${encodeURIComponent(e.id)}/complete`, { body });
        await load(`${updated.person_name} 已登记结业（${updated.passed ? "合格" : "不合格"}）。`);
      } catch (err) {
        const rules = (err.problem && Array.isArray(err.problem.rules)) ? err.problem.rules : [];
        if (err.status === 422 && rules.some((r) => r.rule === "attendance")) {
          const detail = String(err.problem.detail || "").replace(/，?如确需结业请填写\s*override_reason/, "");
          err.problem = { ...err.problem, detail: "出勤率未达到结业要求" };
          showProblem(box, err, form);
          const wasHidden = overrideField.hidden;
          overrideField.hidden = false;
          const hint = overrideField.querySelector(".hint");
          if (hint && detail) hint.textContent = `${detail}。确需结业请写明原因，将记入审计日志。`;
          if (wasHidden) box.append(el("p", { text: "如确需结业，请在上方填写“出勤不足结业原因”后再提交。" }));
          ctl(form, "override_reason").focus();
          return;
        }
        throw err;
      }
    });
  }

  function employmentForm(e) {
    const today = countyToday();
    return makeForm(() => [
      el("p", { class: "wide form-lead", text: `为 ${e.person_name} 登记培训后就业。` }),
      field("就业日期", el("input", { type: "date", name: "employed_on", value: today, max: today }), { name: "employed_on" }),
      field("就业地", select(Object.entries(PLACE_LABELS), { placeholder: "— 选择 —" }), { name: "place" }),
      field("就业单位", el("input", { name: "employer", maxlength: 200 }), { name: "employer" }),
      field("月收入（元）", el("input", { type: "number", name: "monthly_income", min: 0, max: 1000000, step: 1, inputmode: "numeric" }),
        { name: "monthly_income" }),
    ], async (form) => {
      const body = {};
      put(body, "employed_on", ctl(form, "employed_on").value);
      put(body, "place", form.querySelector("[data-field=place] select").value);
      put(body, "employer", ctl(form, "employer").value);
      put(body, "monthly_income", ctl(form, "monthly_income").value, "int");
      const job = await api("POST", `/api/enrolments/${encodeURIComponent(e.id)}/employment`, { body });
      await load(`${e.person_name} 已登记就业（${job.employed_on}，${PLACE_LABELS[job.place] || job.place}${job.employer ? `，${job.employer}` : ""}）。`);
    });
  }

  function renderChecks() {
    checks.replaceChildren();
    if (!inClass.length) { checks.append(small("没有在册学员（已报名或已结业）。")); return; }
    for (const e of inClass) {
      checks.append(el("label", { class: "check" },
        el("input", { type: "checkbox", name: "present", value: e.id, checked: true }), ` ${e.person_name}`,
        small(` ${e.id_number}`)));
    }
  }

  function attendanceCard() {
    const today = countyToday();
    const last = s.ends_on < today ? s.ends_on : today;
    // Attendance is for days that have come: before the class starts there is no day to default to.
    const started = s.starts_on <= today;
    const form = makeForm(() => [
      field("考勤日期", el("input", { type: "date", name: "date", min: s.starts_on, max: last,
        value: started ? clampDate(today, s.starts_on, last) : "" }),
      { name: "date", hint: started ? null : `培训班 ${s.starts_on} 开始，开始后才能记考勤。` }),
      el("div", { class: "field field-actions" },
        el("button", { type: "button", class: "btn btn-sm", text: "全选", onclick: () => { for (const c of checks.querySelectorAll("input")) c.checked = true; } }),
        el("button", { type: "button", class: "btn btn-sm", text: "全不选", onclick: () => { for (const c of checks.querySelectorAll("input")) c.checked = false; } })),
      el("div", { class: "field wide", dataset: { field: "present", label: "出勤学员" } },
        el("span", { class: "label-like", text: "出勤学员（勾选到课的人，未勾选记缺勤）" }), checks),
    ], async (form, box) => {
      const date = ctl(form, "date").value;
      if (!date) throw localProblem([{ field: "date", message: "请选择考勤日期" }]);
      const present = [...checks.querySelectorAll("input[name=present]:checked")].map((c) => c.value);
      const r = await api("POST", `${base}/attendance`, { body: { date, present } });
      showOk(box, `${r.date} 考勤已记录：出勤 ${r.present} 人，缺勤 ${r.absent} 人。同一天再次提交会覆盖。`);
      await load();
    });
    return el("details", { class: "card form-card roster-tool", open: true }, el("summary", { text: "记考勤（一天）" }), form);
  }

  function sheetCard() {
    const resultBox = el("div", {});
    const file = el("input", { type: "file", name: "file", accept: ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" });
    const showResult = (r) => {
      const rejected = Array.isArray(r.rejected) ? r.rejected : [];
      const parts = [el("p", { class: "import-summary" },
        `签到表含 ${r.trainees ?? 0} 名学员、${(r.days || []).length} 个培训日`,
        (r.days || []).length ? small(`（${r.days.join("、")}）`) : null,
        `；出勤 ${r.present_marks ?? 0} 人次，缺勤 ${r.absent_marks ?? 0} 人次；`,
        r.written ? "已写入。" : el("b", { class: "warn-text", text: "未写入任何考勤。" }))];
      if (rejected.length) {
        parts.push(el("h4", { class: "sub-head", text: `有错误的行（${rejected.length} 处）` }),
          el("div", { class: "rejected-wrap" }, table(["行号", "列", "原因"], rejected.slice(0, REJECTED_SHOWN).map((x) => el("tr", {},
            td("行号", el("span", { class: "seats", text: String(x.row) })), td("列", x.column || "—"), td("原因", x.message))),
          { cls: "rejected-table" })),
          rejected.length > REJECTED_SHOWN ? small(`仅显示前 ${REJECTED_SHOWN} 处，共 ${rejected.length} 处。`, "hint") : null);
      }
      resultBox.replaceChildren(el("div", { class: "import-result" }, parts));
    };
    const form = makeForm(() => [
      field("签到表（.xlsx）", file, { name: "file", wide: true, hint: "列：姓名、身份证号或报名编号，每个培训日一列（√ / ✓ / 1 / 出勤 为出勤）。" }),
      el("div", { class: "field wide", dataset: { field: "mode", label: "导入方式" } },
        el("span", { class: "label-like", text: "导入方式" }),
        el("div", { class: "radios" },
          el("label", { class: "check" }, el("input", { type: "radio", name: "mode", value: "valid_only", checked: true }), " 只导入无误的行"),
          el("label", { class: "check" }, el("input", { type: "radio", name: "mode", value: "all_or_nothing" }), " 有任何错误则全部不导入"))),
    ], async (form, box) => {
      resultBox.replaceChildren();
      const chosen = file.files && file.files[0];
      if (!chosen) throw localProblem([{ field: "file", message: "请选择签到表（.xlsx）" }]);
      if (chosen.size > 20 * 1024 * 1024) throw localProblem([{ field: "file", message: "文件超过 20 MB" }]);
      const data = new FormData();
      data.append("file", chosen, chosen.name);
      data.append("mode", form.querySelector("input[name=mode]:checked").value);
      try {
        const r = await api("POST", `${base}/attendance/sheet`, { form: data });
        if ((r.rejected || []).length) showInfo(box, `“${chosen.name}”已导入，部分行有错误未导入，见下表。`);
        else showOk(box, `“${chosen.name}”已全部导入。`);
        showResult(r);
        if (r.written) await load();
      } catch (err) {
        showProblem(box, err, form);
        if (err.problem && Array.isArray(err.problem.rejected)) showResult(err.problem);
      }
    });
    return el("details", { class: "card form-card roster-tool" }, el("summary", { text: "上传签到表（Excel）" }), form, resultBox);
  }

  const printSlot = el("div", { class: "print-slot" });

  /** 打印名单: everyone in class on one sheet (print stylesheet: only the sheet reaches the paper). */
  async function togglePrint(button) {
    if (printSlot.childElementCount) { printSlot.replaceChildren(); return; }
    await withBusy(button, async () => {
      try {
        const people = canAct ? inClass : inClassOf(await allInClass());
        const names = await villageNames(people.map((e) => e.village_code));
        printSlot.replaceChildren(printSheet(s, people, names, () => printSlot.replaceChildren()));
      } catch (err) { showProblem(msg, err); }
    });
  }

  async function downloadSheet(button) {
    await withBusy(button, async () => {
      try {
        const file = await download(`${base}/attendance/sheet`, { fallbackName: "签到表.xlsx" });
        showOk(msg, `已下载“${file.name}”：出勤打 √，填好后可在下方“上传签到表”。`);
      } catch (err) { showProblem(msg, err); }
    });
  }

  const root = el("div", { class: "roster" },
    el("div", { class: "roster-head" }, el("h4", { text: `报名名单 · ${s.course_title}` }),
      small(`${dateRange(s.starts_on, s.ends_on)} · ${s.school_name || ""}`),
      el("button", { type: "button", class: "btn btn-sm", text: "刷新", onclick: () => load() }),
      el("button", { type: "button", class: "btn btn-sm", text: "打印名单", onclick: (e) => togglePrint(e.currentTarget) }),
      canAct ? el("button", { type: "button", class: "btn btn-sm", text: "下载签到表", onclick: (e) => downloadSheet(e.currentTarget) }) : null),
    printSlot,
    small(canAct ? "身份证号已打码。退出、除名后空出的名额自动给候补第一人。" : "身份证号已打码。官员只能查看。", "hint"),
    msg, list,
    canAct ? el("div", { class: "roster-tools" }, attendanceCard(), sheetCard()) : null);
  load();
  return root;
}

/** The printable roster of a session: 序号, 姓名, masked 身份证号, 村, 状态 and a column to sign. */
export function printSheet(s, people, names, close) {
  const rows = people.map((e, i) => el("tr", {},
    el("td", { text: String(i + 1) }), el("td", { text: e.person_name }), el("td", { text: e.id_number }),
    el("td", { text: names.get(e.village_code) || e.village_code }), el("td", { text: e.status_label || ENROL_STATUS[e.status] || e.status }),
    el("td", { class: "sign" })));
  return el("section", { class: "print-sheet", "aria-label": "打印名单" },
    el("div", { class: "row-actions no-print" },
      el("button", { type: "button", class: "btn btn-sm btn-primary", text: "打印", onclick: () => window.print() }),
      el("button", { type: "button", class: "btn btn-sm", text: "关闭", onclick: close })),
    el("h1", { text: `${s.course_title} 学员名单` }),
    el("p", { class: "print-facts", text: `${s.school_name || ""} · 培训日期：${dateRange(s.starts_on, s.ends_on)} · 地点：${s.township_name || ""}${s.village_name || ""}${s.venue ? ` ${s.venue}` : ""} · 共 ${people.length} 人` }),
    people.length
      ? el("table", {}, el("thead", {}, el("tr", {}, ["序号", "姓名", "身份证号", "村", "状态", "签名"].map((h) => el("th", { scope: "col", text: h })))), el("tbody", {}, rows))
      : el("p", { class: "empty", text: "还没有人报名。" }));
}

/** A person's trainings (GET /api/people/{id}/enrolments): status, dates, certificate, subsidy, employment. */
export function trainingsView(personId, name) {
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const out = el("div", {}, el("p", { class: "loading", text: "加载中…" }));
  (async () => {
    try {
      const t = await api("GET", `/api/people/${encodeURIComponent(personId)}/enrolments`);
      const summary = el("dl", { class: "facts trainings-facts" },
        el("dt", { text: "培训人次（结业）" }), el("dd", {}, el("span", { class: "seats", text: String(t.person_times) })),
        el("dt", { text: "证书" }), el("dd", {}, t.certificates.length ? t.certificates.map((c) => [code(c), " "]) : "—"),
        el("dt", { text: "本年补贴" }), el("dd", {}, t.subsidy_available_this_year
          ? badge("本年尚可申领", "badge-green") : badge("本年已有一次可申领的培训，不能再申领", "badge-amber")));
      if (!t.trainings.length) {
        out.replaceChildren(summary, el("p", { class: "empty", text: "还没有培训记录。" }));
        return;
      }
      const rows = t.trainings.map((tr) => {
        const e = tr.enrolment;
        return el("tr", { class: `enrol-${e.status}` },
          td("培训班", el("div", { class: "cell-title", text: e.course_title }), el("div", {}, e.trade_name, " ", code(e.trade_code))),
          td("日期", el("div", { class: "nowrap", text: dateRange(e.starts_on, e.ends_on) })),
          td("状态", statusCell(e), e.waitlist_position ? small(`候补第 ${e.waitlist_position} 位`) : null),
          td("出勤", attendanceText(e)),
          td("结业/证书", completionCell(e)),
          td("补贴", tr.subsidy_eligible ? badge("可申领", "badge-green") : e.status === "completed" ? badge("不可申领", "") : dash(),
            tr.subsidy_note ? el("div", {}, small(tr.subsidy_note)) : null),
          td("就业", tr.employment.length
            ? tr.employment.map((j) => el("div", {}, `${j.employed_on} ${PLACE_LABELS[j.place] || j.place}`,
              j.employer ? ` · ${j.employer}` : "", j.monthly_income !== null && j.monthly_income !== undefined ? small(` 月收入 ${j.monthly_income} 元`) : null))
            : dash()));
      });
      out.replaceChildren(summary,
        table(["培训班", "日期", "状态", "出勤", "结业/证书", "补贴", "就业"], rows, { cls: "cards-on-phone trainings-table" }));
    } catch (err) {
      out.replaceChildren();
      showProblem(msg, err);
    }
  })();
  return el("div", { class: "trainings" }, el("h4", { text: `${name} 的培训记录` }), msg, out,
    small("补贴：每人每年一次，同一工种同一等级只补一次；只有考核合格的结业可申领。", "hint"));
}
