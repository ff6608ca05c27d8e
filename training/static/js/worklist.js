/* 我的村 (surveyors): each assigned village's coverage this year (GET /api/progress?region_code=<village>)
 * and the worklist of target households nobody in which has trained this year
 * (GET /api/progress/uncovered-households), each labourer with their top sessions and a one-click sign-up. */
import { api, whoAmI } from "./api.js";
import { signUpButton } from "./recommendations.js";
import { regionName, regionParent } from "./regions.js";
import { LABOUR_LABELS as LABOUR, POVERTY_LABELS as POVERTY, SEX_LABELS as SEX, WORK_LABELS as WORK } from "./registry.js";
import { countyToday, el, dash, loadInto, pagerBar, small, table, td } from "./ui.js";

const WORKLIST_PAGE = 20;

/** The villages of a surveyor (their region codes that are villages), with their names. */
export async function myVillages() {
  const me = await whoAmI();
  const villages = (me.region_codes || []).filter((c) => /^\d{12}$/.test(c) && !c.endsWith("000"));
  return Promise.all(villages.map(async (c) => ({
    code: c, name: `${await regionName(regionParent(c))} ${await regionName(c)}`,
  })));
}

function coverageCard(v, p, year, onWorklist) {
  const share = p.households_target ? Math.round((p.households_covered / p.households_target) * 100) : null;
  return el("section", { class: "card coverage-card", dataset: { village: v.code } },
    el("h3", { text: v.name }),
    el("div", { class: "stats" },
      el("div", { class: "stat" }, el("div", { class: "stat-label", text: `${year} 年已覆盖户 / 目标户` }),
        el("div", { class: "stat-value coverage", text: `${p.households_covered} / ${p.households_target}` }),
        small(share === null ? "本村没有目标户" : `覆盖 ${share}% · 两项技能 ${p.households_covered_two_skills} 户`)),
      el("div", { class: "stat" }, el("div", { class: "stat-label", text: "今年结业（人次 / 人）" }),
        el("div", { class: "stat-value", text: `${p.person_times_completed} / ${p.persons_completed}` }),
        small(`在训 ${p.enrolled_now} · 候补 ${p.waitlisted_now}`))),
    el("button", { type: "button", class: "btn btn-primary", text: "未覆盖户清单", onclick: () => onWorklist(v) }));
}

function labourerRow(h, person, openHousehold) {
  const box = el("div", { class: "msg", hidden: true, role: "alert" });
  const sessions = person.recommended_sessions.length
    ? el("ul", { class: "worklist-sessions" }, person.recommended_sessions.map((s) => el("li", {},
      el("span", { class: "cell-title", text: s.title }), " ",
      small(`${s.school_name} · ${s.village_name} · ${s.starts_on} 开班 · ${s.trade_name}`), " ",
      signUpButton(s.session_id, person.person_id, null, box, "一键报名", "surveyor"))))
    : dash();
  return el("tr", { dataset: { person: person.person_id } },
    td("农户", el("div", { class: "cell-title", text: `户主 ${h.head_name}` }),
      small(`${h.village_name} · ${POVERTY[h.poverty_status] || "目标户"}`),
      el("div", {}, el("button", {
        type: "button", class: "btn btn-sm", text: "查看本户", onclick: () => openHousehold(h.household_id),
      }))),
    td("劳动力", el("div", { class: "cell-title", text: person.name }),
      small(`${SEX[person.sex] || ""} · ${person.age} 岁 · ${LABOUR[person.labour_capacity] || ""} · ${WORK[person.work_status] || ""}`)),
    td("推荐培训班", sessions, box));
}

/** The worklist of one village, paged. */
export function worklistView(v, openHousehold) {
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const out = el("div", { class: "worklist" });
  const load = (offset) => loadInto(out, msg, null, async () => {
    const page = await api("GET", "/api/progress/uncovered-households",
      { query: { region_code: v.code, limit: WORKLIST_PAGE, offset } });
    const head = el("div", { class: "result-head" }, el("h3", { text: `${v.name}：今年尚无人参训的目标户` }),
      small("有劳动年龄劳动力、今年还没有人结业的建档立卡户、脱贫户和监测户；每人列出推荐分最高的培训班。", "hint"));
    if (!page.items.length) return [head, el("p", { class: "empty", text: "本村目标户今年都已有人参训。" })];
    const rows = page.items.flatMap((h) => h.labourers.map((p) => labourerRow(h, p, openHousehold)));
    return [head, pagerBar(page, "户", load),
      page.recommendations_note ? el("p", { class: "muted", text: page.recommendations_note }) : null,
      table(["农户", "劳动力", "推荐培训班"], rows, { cls: "cards-on-phone worklist-table" })].filter(Boolean);
  });
  load(0);
  return el("div", { class: "card worklist-card" }, msg, out);
}

/** The coverage cards of the surveyor's villages, and below them the worklist of the one chosen. */
export function myVillagesView(openHousehold) {
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const cards = el("div", { class: "coverage-grid" });
  const slot = el("div", { id: "worklist-slot" });
  loadInto(cards, msg, null, async () => {
    const villages = await myVillages();
    if (!villages.length) return el("p", { class: "empty", text: "您还没有分配村。" });
    const year = countyToday().slice(0, 4);
    const figures = await Promise.all(villages.map((v) => api("GET", "/api/progress", { query: { region_code: v.code, year } })));
    return villages.map((v, i) => coverageCard(v, figures[i], year, (chosen) => slot.replaceChildren(worklistView(chosen, openHousehold))));
  });
  return el("div", { class: "my-villages" }, msg, cards, slot);
}
