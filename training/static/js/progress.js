/* 进度: where a region stands in a year against its quota (GET /api/progress), for officials and admins.
 * The monthly trend against the straight-line pace to the target and the townships are drawn with ECharts. */
import { api, download, localProblem, whoAmI } from "./api.js";
import { educationLevels } from "./catalogue.js";
import { drawChart } from "./charts.js";
import { POVERTY_LABELS, SEX_LABELS } from "./registry.js";
import { regions } from "./regions.js";
import { TABS } from "./tabs.js";
import {
  $, append, code, countyToday, ctl, el, field, formCard, hideMsg, loadInto, makeForm, pagerBar, put, select, showOk, showProblem,
  small, table, td, withBusy,
} from "./ui.js";

const percent = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`);
const count = (x) => (x === null || x === undefined ? "—" : String(x));

/** The regions the caller may choose: its own region codes, or the counties for a province-wide admin. */
async function regionChoices() {
  const me = await whoAmI();
  const codes = (me.region_codes || []).length ? me.region_codes : (await regions(null)).map((r) => r.code);
  const names = new Map();
  for (const r of await regions(null)) names.set(r.code, r.name);
  await Promise.all(codes.filter((c) => !names.has(c) && !c.endsWith("000000")).map(async (c) => {
    try {
      for (const r of await regions(`${c.slice(0, 6)}000000`)) names.set(r.code, r.name);
    } catch (_e) { /* the code stays */ }
  }));
  return codes.map((c) => [c, names.get(c) || "本辖区"]);
}

function stat(label, value, sub, figure) {
  return el("div", { class: "stat", dataset: figure ? { figure } : {} }, el("div", { class: "stat-label", text: label }),
    el("div", { class: "stat-value", text: value }), sub ? small(sub) : null);
}

/** 按直线进度到今天应完成的人次: the target spread evenly from 1 January to 31 December, read on the county's
 *  today (the whole target for a past year, nothing yet for a year to come), as the API's pace is. */
export function expectedByNow(target, year) {
  if (!target) return null;
  const today = countyToday();
  const start = Date.UTC(Number(year), 0, 1);
  const days = (Date.UTC(Number(year) + 1, 0, 1) - start) / 86400000;
  const [y, m, d] = today.split("-").map(Number);
  const elapsed = Math.floor((Date.UTC(y, m - 1, d) - start) / 86400000) + 1;
  if (elapsed <= 0) return 0;
  return Math.round((target * Math.min(elapsed, days)) / days);
}

function summary(p, year) {
  const track = p.on_track === null ? "未设指标" : p.on_track ? "预计能完成指标" : "预计完不成指标";
  const expected = expectedByNow(p.target_person_times, year);
  const paceText = p.pace === null ? "—" : `${percent(p.pace)}`;
  const paceSub = expected === null ? "未设指标，无法计算进度"
    : `按直线进度到今天应完成 ${expected} 人次，已完成 ${p.person_times_completed} 人次`;
  const forecastSub = p.target_person_times
    ? `为指标的 ${percent(p.forecast_person_times / p.target_person_times)}，${track}`
    : "按在训人数和本县历年结业率推算";
  return el("div", { class: "stats" },
    stat("年度指标（人次）", count(p.target_person_times), null, "target_person_times"),
    stat("已结业（人次）", count(p.person_times_completed), `${count(p.persons_completed)} 人`, "person_times_completed"),
    el("div", { class: `stat ${p.pace === null ? "" : p.pace >= 1 ? "stat-good" : "stat-bad"}`.trim(), dataset: { figure: "pace" } },
      el("div", { class: "stat-label", text: "时间进度完成率" }), el("div", { class: "stat-value", text: paceText }), small(paceSub)),
    el("div", { class: `stat ${p.on_track === null ? "" : p.on_track ? "stat-good" : "stat-bad"}`.trim(), dataset: { figure: "forecast" } },
      el("div", { class: "stat-label", text: "预计年末（人次）" }), el("div", { class: "stat-value", text: count(p.forecast_person_times) }),
      small(forecastSub)),
    stat("取证 / 就业", `${count(p.certified)} / ${count(p.employed)}`,
      `合格率 ${percent(p.pass_rate)} · 就业率 ${percent(p.employment_rate)}`),
    stat("在训 / 候补", `${count(p.enrolled_now)} / ${count(p.waitlisted_now)}`),
    stat("覆盖户", `${count(p.households_covered)} / ${count(p.households_target)}`,
      `两项技能 ${count(p.households_covered_two_skills)} 户`),
    stat("两后生 报名 / 结业", `${count(p.lianghousheng_enrolled)} / ${count(p.lianghousheng_completed)}`));
}

/** Completions per month and their running total against the straight line from 0 on 1 January to the target. */
function monthlyOption(p) {
  const months = p.by.month;
  let total = 0;
  const cumulative = months.map((m) => (total += m.person_times_completed));
  const series = [
    { name: "当月结业人次", type: "bar", data: months.map((m) => m.person_times_completed) },
    { name: "累计结业人次", type: "line", data: cumulative },
  ];
  if (p.target_person_times) {
    series.push({
      name: "按进度应完成", type: "line", lineStyle: { type: "dashed" }, symbol: "none",
      data: months.map((m) => Math.round((p.target_person_times * Number(m.key)) / 12)),
    });
  }
  return {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 48, right: 16, top: 40, bottom: 32 },
    xAxis: { type: "category", data: months.map((m) => m.name) }, yAxis: { type: "value", minInterval: 1 }, series,
  };
}

function townshipOption(p) {
  const rows = p.by.township;
  const series = [{ name: "结业人次", type: "bar", data: rows.map((t) => t.person_times_completed) }];
  if (rows.some((t) => t.target_person_times)) {
    series.push({ name: "指标人次", type: "bar", data: rows.map((t) => t.target_person_times ?? 0) });
  }
  return {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 48, right: 16, top: 40, bottom: 56 },
    xAxis: { type: "category", data: rows.map((t) => t.name), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", minInterval: 1 }, series,
  };
}

const LEVEL_NAMES = { township: "乡镇", village: "村", trade: "工种", school: "学校" };

/** A table of `by.<dimension>`; a township's name opens that township (its villages, trades and schools). */
function breakdown(dimension, rows, drill) {
  const title = `按${LEVEL_NAMES[dimension]}`;
  const box = el("section", { class: "card", dataset: { by: dimension } }, el("h3", { text: title }));
  if (!rows.length) return append(box, [el("p", { class: "empty", text: "没有数据。" })]);
  const headers = [LEVEL_NAMES[dimension], "指标人次", "结业人次", "结业人数", "取证", "就业", "在训", "覆盖户", "目标户"];
  const nameCell = (r) => (drill
    ? el("button", { type: "button", class: "link-button", text: r.name, title: `查看${r.name}的各村、工种和学校`, onclick: () => drill(r) })
    : r.name);
  return append(box, [table(headers, rows.map((r) => el("tr", { dataset: { key: r.key } },
    td(headers[0], nameCell(r)), td("指标人次", count(r.target_person_times)), td("结业人次", count(r.person_times_completed)),
    td("结业人数", count(r.persons_completed)), td("取证", count(r.certified)), td("就业", count(r.employed)),
    td("在训", count(r.enrolled_now)), td("覆盖户", count(r.households_covered)), td("目标户", count(r.households_target)))),
  { cls: "cards-on-phone" })]);
}

const MONTH_PATTERN = /^\d{4}-\d{2}$/;

/** 月报 / 季报 (.xlsx), with a month or quarter picker, for the region on the page. */
function reportsCard(state) {
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const today = countyToday();
  const thisYear = today.slice(0, 4);
  const defaultMonth = state.year === thisYear ? today.slice(0, 7) : `${state.year}-12`;
  const month = el("input", { type: "month", name: "month", value: defaultMonth, min: "2000-01", max: "2100-12" });
  const quarterYear = el("input", { type: "number", name: "quarter_year", min: 2000, max: 2100, value: state.year });
  const quarter = select([["1", "第一季度"], ["2", "第二季度"], ["3", "第三季度"], ["4", "第四季度"]],
    { value: state.year === thisYear ? String(Math.floor((Number(today.slice(5, 7)) - 1) / 3) + 1) : "4" });
  const get = async (button, path, query, name) => {
    hideMsg(msg);
    await withBusy(button, async () => {
      try {
        const file = await download(path, { query: { region_code: state.region, ...query }, fallbackName: name });
        showOk(msg, `已下载“${file.name}”。`);
      } catch (err) { showProblem(msg, err); }
    });
  };
  const monthButton = el("button", { type: "button", class: "btn btn-primary", text: "下载月报" });
  monthButton.addEventListener("click", () => {
    if (!MONTH_PATTERN.test(month.value)) { showProblem(msg, localProblem([{ field: "month", message: "请选择月份" }])); return; }
    get(monthButton, "/api/reports/monthly", { month: month.value }, `月报_${month.value}.xlsx`);
  });
  const quarterButton = el("button", { type: "button", class: "btn btn-primary", text: "下载季报" });
  quarterButton.addEventListener("click", () => {
    const q = `${quarterYear.value}-${quarter.value}`;
    get(quarterButton, "/api/reports/quarterly", { quarter: q }, `季报_${q}.xlsx`);
  });
  return el("section", { class: "card report-card" }, el("h3", { text: `报表（${state.name}）` }),
    el("div", { class: "filter-form" },
      field("月份", month, { name: "month" }), el("div", { class: "field field-actions" }, monthButton),
      field("年度", quarterYear, { name: "quarter_year", cls: "field-narrow" }), field("季度", quarter, { name: "quarter" }),
      el("div", { class: "field field-actions" }, quarterButton)),
    small("Excel 工作簿：标题、填报单位和期间，总表对照指标，分乡镇、工种、学校；不含身份证号、电话和健康信息。", "hint"), msg);
}

/** 未覆盖户清单: target households with a labourer and nobody trained this year (GET /api/progress/uncovered-households). */
function worklistView(state) {
  const out = el("div", {});
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const xlsx = el("button", { type: "button", class: "btn", text: "导出 Excel" });
  xlsx.addEventListener("click", () => withBusy(xlsx, async () => {
    hideMsg(msg);
    try {
      const file = await download("/api/progress/uncovered-households", { query: { region_code: state.region, format: "xlsx" }, fallbackName: "未覆盖户清单.xlsx" });
      showOk(msg, `已下载“${file.name}”。`);
    } catch (err) { showProblem(msg, err); }
  }));
  const load = (offset) => loadInto(out, msg, null, async () => {
    const [page, levels] = await Promise.all([
      api("GET", "/api/progress/uncovered-households", { query: { region_code: state.region, limit: 20, offset } }),
      educationLevels().catch(() => []),
    ]);
    const education = new Map(levels.map((l) => [l.code, l.name]));
    if (!page.items.length) return el("p", { class: "empty", text: `${page.year} 年没有未覆盖的目标户。` });
    const headers = ["户", "乡镇 / 村", "脱贫状态", "劳动力", "想学", "推荐培训班"];
    const rows = page.items.map((h) => el("tr", {},
      td("户", el("div", { class: "cell-title", text: h.head_name }), h.household_no ? small(h.household_no) : null),
      td("乡镇 / 村", `${h.township_name} ${h.village_name}`),
      td("脱贫状态", POVERTY_LABELS[h.poverty_status] || h.poverty_status),
      td("劳动力", h.labourers.map((l) => el("div", {
        text: `${l.name}（${[SEX_LABELS[l.sex] || l.sex, `${l.age} 岁`, education.get(l.education) || l.education].filter(Boolean).join("，")}）`,
      }))),
      td("想学", h.labourers.flatMap((l) => l.desired_trades).filter((t, i, all) => all.indexOf(t) === i).join("、") || "—"),
      td("推荐培训班", h.labourers.flatMap((l) => l.recommended_sessions.map((r) => el("div", {}, `${l.name}：${r.title}`, small(` ${r.starts_on} 开班`)))))));
    const go = (next) => load(next);
    return [pagerBar(page, "户", go), table(headers, rows, { cls: "cards-on-phone" })];
  });
  load(0);
  return el("div", { class: "worklist" }, el("div", { class: "row-actions" }, xlsx), msg, out);
}

/** 未满足的培训需求: wanted trades with no session within reach (GET /api/progress/unmet-demand). */
function unmetView(state) {
  const out = el("div", {});
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  loadInto(out, msg, null, async () => {
    const d = await api("GET", "/api/progress/unmet-demand", { query: { region_code: state.region } });
    if (!d.trades.length) return el("p", { class: "empty", text: "想学的工种近期都有可及的培训班。" });
    return [
      el("h4", { text: "全辖区" }),
      table(["工种", "想学人数"], d.trades.map((t) => el("tr", {}, td("工种", t.trade_name, " ", code(t.trade_code)), td("想学人数", String(t.people))))),
      el("h4", { text: "按乡镇" }),
      table(["乡镇", "想学但近期没有培训班的工种（人数）"], d.townships.map((t) => el("tr", {},
        td("乡镇", t.township_name), td("想学但近期没有培训班的工种（人数）", t.trades.map((x) => `${x.trade_name} ${x.people} 人`).join("、"))))),
    ];
  });
  return el("div", {}, msg, out);
}

/** 年度指标: view, and set for the region on the page or one of its townships (PUT /api/quotas). Each PUT
 *  carries the version of the quota as last listed (0: none set yet), so an official never silently
 *  overwrites what another set meanwhile: the API answers 409 and the list is reloaded. */
function quotaView(state) {
  const out = el("div", {});
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const versions = new Map();
  const show = () => loadInto(out, msg, null, async () => {
    const list = await api("GET", "/api/quotas", { query: { year: state.year, region_code: state.region } });
    versions.clear();
    for (const q of list.items) if (q.region_code) versions.set(q.region_code, q.version);
    const warn = list.warning ? el("div", { class: "msg msg-warn", role: "status", text: list.warning }) : null;
    if (!list.items.length) return [warn, el("p", { class: "empty", text: `${state.year} 年尚未设定指标。` })];
    return [warn, table(["单位", "人次", "人数", "户数", "两后生"], list.items.map((q) => el("tr", {},
      td("单位", q.name), td("人次", String(q.target_person_times)), td("人数", count(q.target_persons)),
      td("户数", count(q.target_households)), td("两后生", count(q.target_lianghousheng)))))];
  });
  const unit = select([[state.region, state.name]], { value: state.region });
  if (/000000$/.test(state.region)) { // a county's quota, or one of its townships'
    regions(state.region).then((towns) => unit.append(...towns.map((t) => el("option", { value: t.code, text: t.name }))))
      .catch((err) => showProblem(msg, err));
  }
  const form = makeForm(() => [
    field("单位", unit, { name: "region_code" }),
    field("人次指标", el("input", { type: "number", name: "target_person_times", min: 0, inputmode: "numeric" }), { name: "target_person_times" }),
    field("人数指标", el("input", { type: "number", name: "target_persons", min: 0, inputmode: "numeric" }), { name: "target_persons" }),
    field("户数指标", el("input", { type: "number", name: "target_households", min: 0, inputmode: "numeric" }), { name: "target_households" }),
    field("两后生指标", el("input", { type: "number", name: "target_lianghousheng", min: 0, inputmode: "numeric" }), { name: "target_lianghousheng" }),
  ], async (f, box) => {
    const regionCode = f.querySelector("[data-field=region_code] select").value;
    const body = { year: Number(state.year), region_code: regionCode, version: versions.get(regionCode) ?? 0 };
    for (const key of ["target_person_times", "target_persons", "target_households", "target_lianghousheng"]) put(body, key, ctl(f, key).value, "int");
    let result;
    try {
      result = await api("PUT", "/api/quotas", { body });
    } catch (err) {
      if (err.status === 409) {
        err.problem = { ...err.problem, title: "已被他人修改", detail: `${err.problem.detail || ""}（已重新载入最新指标）` };
        await show();
      }
      throw err;
    }
    await show();
    showOk(box, `已设定${result.quota.name} ${state.year} 年指标：${result.quota.target_person_times} 人次。`);
    if (result.warning) box.append(el("p", { class: "warn-text", text: result.warning }));
  });
  form.querySelector("button[type=submit]").textContent = "保存指标";
  show();
  return el("div", {}, msg, out, formCard("quota", `＋ 设定 ${state.year} 年指标`, form));
}

/** The tools under the figures: each opens below its button, one at a time. */
function toolsCard(state) {
  const slot = el("div", { class: "tool-slot" });
  const buttons = [];
  const tool = (text, build) => {
    const b = el("button", { type: "button", class: "btn", text, "aria-expanded": "false" });
    b.addEventListener("click", () => {
      const open = b.getAttribute("aria-expanded") === "true";
      for (const x of buttons) x.setAttribute("aria-expanded", "false");
      slot.replaceChildren();
      if (open) return;
      b.setAttribute("aria-expanded", "true");
      slot.append(el("h3", { text }), build());
    });
    buttons.push(b);
    return b;
  };
  return el("section", { class: "card tools-card" },
    el("div", { class: "row-actions" },
      tool("未覆盖户清单", () => worklistView(state)),
      tool("未满足的培训需求", () => unmetView(state)),
      tool("年度指标", () => quotaView(state))),
    slot);
}

TABS.progress = {
  init() {
    const form = $("#progress-filter");
    const regionSel = select([], { placeholder: "加载中…" });
    const year = el("input", { type: "number", name: "year", min: 2000, max: 2100, value: countyToday().slice(0, 4) });
    const button = el("button", { type: "submit", class: "btn btn-primary", text: "查看" });
    form.replaceChildren(field("地区", regionSel, { name: "region_code" }), field("年度", year, { name: "year" }),
      el("div", { class: "field field-actions" }, button));
    this.regionSel = regionSel;
    this.year = year;
    this.trail = [];
    form.addEventListener("submit", (e) => { e.preventDefault(); this.trail = []; this.load(regionSel.value, year.value); });
    (async () => {
      try {
        const choices = await regionChoices();
        regionSel.replaceChildren(...choices.map(([v, text]) => el("option", { value: v, text })));
        if (choices.length) await this.load(regionSel.value, year.value);
      } catch (_e) {
        regionSel.replaceChildren(el("option", { value: "", text: "加载失败" }));
      }
    })();
  },
  reset() {
    $("#progress-filter").replaceChildren();
    $("#progress-result").replaceChildren();
    hideMsg($("#progress-msg"));
  },
  /** Open a township of the region on the page: its villages, trades and schools, with a way back. */
  drill(row) {
    this.trail.push({ region: this.state.region, name: this.state.name });
    this.load(row.key, this.state.year, row.name);
  },
  back(index) {
    const to = this.trail[index];
    this.trail = this.trail.slice(0, index);
    this.load(to.region, this.state.year, to.name);
  },
  async load(regionCode, year, name) {
    const regionName = name || [...this.regionSel.options].find((o) => o.value === regionCode)?.text || "本辖区";
    this.state = { region: regionCode, year: String(year), name: regionName };
    const state = this.state;
    await loadInto($("#progress-result"), $("#progress-msg"), $("#progress-filter"), async () => {
      const p = await api("GET", "/api/progress", { query: { region_code: regionCode, year } });
      const trend = el("div", { class: "chart", role: "img", "aria-label": "每月结业人次与进度线" });
      const towns = el("div", { class: "chart", role: "img", "aria-label": "各乡镇结业人次" });
      const trail = this.trail.length ? el("nav", { class: "crumbs", "aria-label": "地区层级" },
        this.trail.map((t, i) => [el("button", { type: "button", class: "link-button", text: t.name, onclick: () => this.back(i) }), " › "]),
        el("strong", { text: regionName })) : null;
      // A county (…000000) is shown by township, each opening into its villages; a township by village.
      const drillable = /000000$/.test(regionCode);
      const nodes = [trail,
        el("h3", { class: "progress-title", text: `${regionName} ${year} 年` }),
        summary(p, year),
        el("section", { class: "card" }, el("h3", { text: "月度趋势" }), trend),
        drillable ? el("section", { class: "card" }, el("h3", { text: "各乡镇" }), towns) : null,
        toolsCard(state),
        reportsCard(state),
        drillable ? breakdown("township", p.by.township, (r) => this.drill(r)) : breakdown("village", p.by.village),
        breakdown("trade", p.by.trade), breakdown("school", p.by.school)];
      // Drawn once the boxes are in the page, so ECharts can measure them.
      requestAnimationFrame(() => {
        drawChart(trend, monthlyOption(p));
        if (drillable) drawChart(towns, townshipOption(p));
      });
      return nodes.filter(Boolean);
    });
  },
};
