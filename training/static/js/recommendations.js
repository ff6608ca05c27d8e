import { api, auth, localProblem, whoAmI } from "./api.js";
import { newIdempotencyKey } from "./enrolment.js";
import { regionPicker, villageNames } from "./regions.js";
import { POVERTY_LABELS, SEX_LABELS, triSelect } from "./registry.js";
import { TABS } from "./tabs.js";
import { $, badge, dash, dateRange, el, field, hideMsg, loadInto, select, showOk, showProblem, small, table, td, countyToday, withBusy } from "./ui.js";

// ================================================================ 推荐与分批次 (recommendations)
// Kept apart from the rest: a person's recommendations (opened from the registry's person row), a
// session's candidates for its school, and a village's or township's proposed batch with accept.

export const SIGNS_UP = ["admin", "surveyor", "school"];
export const BATCH_ROLES = ["admin", "official", "surveyor"];
export const percent = (x) => `${Math.round(x * 100)}%`;
// The model's score is P(报名 | 推荐) × P(结业 | 报名): a ranking figure, not a completion chance, so a
// clerk should not read "2%" as "2% of finishing".
export const SCORE_HELP = "推荐分＝模型估计的“推荐后会报名”的可能性 × “报名后能结业”的可能性，只用于排序比较；"
  + "不是此人结业的把握（多数人推荐后并不报名，所以分数普遍偏低）。";
export const SCORE_HEADER = { text: "推荐分", title: SCORE_HELP };
export const scoreCell = (x) => td("推荐分", el("span", { title: SCORE_HELP, text: percent(x) }));
export const reasonChips = (reasons) => (reasons && reasons.length
  ? el("div", { class: "chips" }, reasons.map((r) => el("span", { class: "chip", text: r })))
  : dash());

/** Why a list is empty, and what the hard rules took out before scoring. */
export function excludedNote(body, noun) {
  const parts = [];
  if (body.empty_reason) parts.push(el("p", { class: "empty", text: body.empty_reason }));
  if (body.excluded && body.excluded.length) {
    parts.push(el("p", { class: "muted" }, `按报名规则排除：`,
      body.excluded.map((e, i) => `${i ? "；" : ""}${e.message}（${e.count} ${noun}）`)));
  }
  return parts;
}

/** One-click sign-up from something shown: carries its recommendation_id, retried safely with one key. */
export function signUpButton(sessionId, personId, recommendationId, box, label = "一键报名", source = "recommended") {
  const button = el("button", { type: "button", class: "btn btn-sm btn-primary", text: label });
  let key = null;
  button.addEventListener("click", async () => {
    // withBusy gives the button back its label when done, so the outcome is written after it.
    const e = await withBusy(button, async () => {
      hideMsg(box);
      key = key || newIdempotencyKey();
      try {
        return await api("POST", `/api/sessions/${encodeURIComponent(sessionId)}/enrolments`, {
          body: recommendationId ? { person_id: personId, source, recommendation_id: recommendationId } : { person_id: personId, source },
          headers: { "Idempotency-Key": key },
        });
      } catch (err) {
        if (err.status >= 400 && err.status < 500) key = null;
        showProblem(box, err);
        return null;
      }
    });
    if (!e) return;
    key = null;
    button.disabled = true;
    button.textContent = e.status === "waitlisted" ? `候补第 ${e.waitlist_position} 位` : "已报名";
    showOk(box, el("strong", { text: `${e.person_name} ${e.status === "waitlisted" ? "已进入候补" : "已报名"}` }),
      el("p", { text: `“${e.course_title}”（${dateRange(e.starts_on, e.ends_on)}）` }));
  });
  return button;
}

/** A person's recommended sessions with reasons (GET /api/people/{id}/recommendations). */
export function recommendationsView(p) {
  const box = el("div", { class: "msg", hidden: true, role: "alert" });
  const out = el("div", {}, el("p", { class: "loading", text: "加载中…" }));
  (async () => {
    try {
      const body = await api("GET", `/api/people/${encodeURIComponent(p.id)}/recommendations`, { query: { limit: 5 } });
      if (!body.items.length) { out.replaceChildren(...excludedNote(body, "个班")); return; }
      const canSign = SIGNS_UP.includes(auth.role);
      const rows = body.items.map((r) => el("tr", {},
        td("培训班", el("div", { class: "cell-title", text: r.course_title }), small(r.school_name)),
        td("工种", r.trade_name, small(r.trade_code)),
        td("时间", dateRange(r.starts_on, r.ends_on)),
        td("地点", r.village_name),
        td("名额", r.seats_left > 0 ? `余 ${r.seats_left}` : `已满 · 候补 ${r.waitlist_length} 人`),
        scoreCell(r.score),
        td("推荐理由", reasonChips(r.reasons)),
        td("操作", canSign ? signUpButton(r.session_id, p.id, r.recommendation_id, box) : dash())));
      out.replaceChildren(
        el("p", { class: "muted", text: `为 ${p.name} 推荐（模型 ${body.model_version}）：已按报名条件筛掉不能报的班，按推荐分（报名可能性 × 结业可能性）排序。` }),
        table(["培训班", "工种", "时间", "地点", "名额", SCORE_HEADER, "推荐理由", "操作"], rows, { cls: "cards-on-phone" }),
        ...excludedNote({ excluded: body.excluded }, "个班"));
    } catch (err) {
      out.replaceChildren();
      showProblem(box, err);
    }
  })();
  return el("div", { class: "recommendations" }, box, out);
}

/** A session's ranked candidates (GET /api/sessions/{id}/candidates): for a school filling its class. */
export function candidatesCard() {
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const out = el("div");
  const sessionSel = select([], { placeholder: "加载中…" });
  const lhs = triSelect("全部");
  const poverty = select(Object.entries(POVERTY_LABELS), { placeholder: "全部" });
  const form = el("form", { class: "card filter-form", novalidate: true },
    field("培训班", sessionSel, { name: "session_id", wide: true }),
    field("两后生", lhs, { name: "lianghousheng", cls: "field-narrow" }),
    field("家庭属性", poverty, { name: "poverty_status", cls: "field-narrow" }),
    el("div", { class: "field field-actions" }, el("button", { type: "submit", class: "btn btn-primary", text: "推荐学员" })));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!sessionSel.value) { showProblem(msg, localProblem([{ field: "session_id", message: "请选择培训班" }]), form); return; }
    loadInto(out, msg, form, async () => {
      const query = { limit: 50 };
      if (lhs.value) query.lianghousheng = lhs.value;
      if (poverty.value) query.poverty_status = poverty.value;
      const body = await api("GET", `/api/sessions/${encodeURIComponent(sessionSel.value)}/candidates`, { query });
      if (!body.items.length) return excludedNote(body, "人");
      const names = await villageNames(body.items.map((c) => c.village_code));
      const rows = body.items.map((c) => {
        const box = el("div", { class: "msg", hidden: true, role: "alert" });
        return el("tr", {},
          td("姓名", el("div", { class: "cell-title", text: c.name }), small(`${SEX_LABELS[c.sex] || c.sex} · ${c.age} 岁`)),
          td("身份证号", el("span", { class: "code", text: c.id_number })),
          td("村", names.get(c.village_code) || c.village_code),
          td("家庭属性", POVERTY_LABELS[c.poverty_status] || c.poverty_status, c.lianghousheng ? badge("两后生", "badge-green") : null),
          scoreCell(c.score),
          td("推荐理由", reasonChips(c.reasons)),
          td("操作", SIGNS_UP.includes(auth.role) ? signUpButton(sessionSel.value, c.person_id, c.recommendation_id, box, "报名") : dash(), box));
      });
      return [table(["姓名", "身份证号", "村", "家庭属性", SCORE_HEADER, "推荐理由", "操作"], rows, { cls: "cards-on-phone" }),
        ...excludedNote({ excluded: body.excluded }, "人")];
    });
  });
  (async () => {
    try {
      const me = await whoAmI();
      const query = { status: "published", limit: 100, starts_from: countyToday() };
      if (auth.role === "school" && me.school_id) query.school_id = me.school_id;
      const page = await api("GET", "/api/sessions", { query });
      sessionSel.replaceChildren(el("option", { value: "", text: page.items.length ? "— 选择培训班 —" : "（没有可招生的培训班）" }));
      for (const s of page.items) {
        sessionSel.append(el("option", { value: s.id, text: `${s.course_title} · ${s.school_name} · ${dateRange(s.starts_on, s.ends_on)} · ${s.township_name}${s.village_name}` }));
      }
    } catch (err) {
      sessionSel.replaceChildren(el("option", { value: "", text: "加载失败" }));
      showProblem(msg, err);
    }
  })();
  return el("section", { class: "card" }, el("h3", { text: "为培训班推荐学员" }),
    el("p", { class: "muted", text: "列出符合报名条件、日期不冲突、尚未报名的人员，按推荐分（报名可能性 × 结业可能性）排序；身份证号打码。" }), form, msg, out);
}

/** 分批次: propose a batch for a village or township (POST /api/allocations), then accept it. */
export function batchCard() {
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const out = el("div");
  const picker = regionPicker({ depth: "village", optional: true, msgBox: msg });
  const weight = el("input", { type: "number", name: "priority_weight", min: 0, max: 100, step: "0.5", placeholder: "按县里设置" });
  const form = el("form", { class: "card filter-form", novalidate: true }, picker.root,
    field("优先对象加权", weight, { name: "priority_weight", cls: "field-narrow", hint: "贫困户、脱贫户、监测户成员和两后生的预期结业数乘以 1+此值" }),
    el("div", { class: "field field-actions" }, el("button", { type: "submit", class: "btn btn-primary", text: "生成批次方案" })));
  const show = (a) => out.replaceChildren(renderBatch(a, msg));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const region = picker.value || picker.township;
    if (!region) { showProblem(msg, localProblem([{ field: "township", message: "请选择乡镇或村" }]), form); return; }
    const body = { region_code: region };
    if (weight.value !== "") body.priority_weight = Number(weight.value);
    loadInto(out, msg, form, async () => renderBatch(await api("POST", "/api/allocations", { body }), msg, show));
  });
  return el("section", { class: "card" }, el("h3", { text: "分批次编排" }),
    el("p", { class: "muted", text: "为一个村或乡镇今年尚未参训、没有在读报名的人员统一安排：每人至多一个班，不超过各班剩余名额，使预期结业人数最多。确认后一次为所有人报名。" }),
    form, msg, out);
}

export function renderBatch(a, msg, show) {
  const accepted = a.status === "accepted";
  const head = el("p", {},
    el("strong", { text: `${a.region_name} · ${a.status_label}` }),
    ` · 符合条件 ${a.people_considered} 人，安排 ${a.items.length} 人，预期结业 ${a.expected_completions.toFixed(1)} 人`,
    small(` · 模型 ${a.model_version} · 优先加权 ${a.priority_weight}`),
    accepted && a.refused ? badge(`${a.refused} 人报名未成功`, "badge-red") : null);
  const sessions = table(["培训班", "学校", "开班", "安排 / 剩余名额"], a.sessions.map((s) => el("tr", {},
    td("培训班", s.course_title), td("学校", s.school_name), td("开班", s.starts_on), td("安排 / 剩余名额", `${s.assigned} / ${s.seats_offered}`))));
  const items = table(["姓名", "身份证号", "培训班", SCORE_HEADER, "推荐理由", "结果"], a.items.map((i) => el("tr", {},
    td("姓名", i.person_name, i.priority ? badge("优先", "badge-green") : null),
    td("身份证号", el("span", { class: "code", text: i.id_number })),
    td("培训班", i.course_title, small(i.trade_name)),
    scoreCell(i.score),
    td("推荐理由", reasonChips(i.reasons)),
    td("结果", badge(i.outcome_label, i.outcome === "refused" ? "badge-red" : i.outcome === "proposed" ? "" : "badge-green"),
      i.message ? small(i.message) : null))), { cls: "cards-on-phone" });
  const parts = [head, sessions, items];
  if (!accepted && ["admin", "surveyor"].includes(auth.role) && a.items.length) {
    const accept = el("button", { type: "button", class: "btn btn-primary", text: `确认并为 ${a.items.length} 人报名` });
    accept.addEventListener("click", () => withBusy(accept, async () => {
      try {
        const done = await api("POST", `/api/allocations/${encodeURIComponent(a.id)}/accept`);
        (show || (() => {}))(done);
        showOk(msg, `已确认：${done.items.length - done.refused} 人报名成功${done.refused ? `，${done.refused} 人未成功（见各行原因）` : ""}。`);
      } catch (err) { showProblem(msg, err); }
    }));
    parts.push(el("div", { class: "row-actions" }, accept));
  }
  return el("div", { class: "batch" }, parts);
}

TABS.recommend = {
  init() {
    const body = $("#recommend-body");
    body.replaceChildren(
      el("p", { class: "muted", text: "为某个人推荐培训班：在“农户台账”中点该人员的“推荐培训班”。" }),
      candidatesCard(),
      BATCH_ROLES.includes(auth.role) ? batchCard() : null);
  },
};
