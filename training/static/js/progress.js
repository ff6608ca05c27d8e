/* 进度: where a region stands in a year against its quota (GET /api/progress), for officials and admins.
 * The monthly trend against the straight-line pace to the target and the townships are drawn with ECharts. */
import { api, whoAmI } from "./api.js";
import { drawChart } from "./charts.js";
import { regions } from "./regions.js";
import { TABS } from "./tabs.js";
import { $, countyToday, el, field, hideMsg, loadInto, select, small, table, td } from "./ui.js";

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

function stat(label, value, sub) {
  return el("div", { class: "stat" }, el("div", { class: "stat-label", text: label }),
    el("div", { class: "stat-value", text: value }), sub ? small(sub) : null);
}

function summary(p) {
  const track = p.on_track === null ? "未设指标" : p.on_track ? "按进度" : "落后于进度";
  return el("div", { class: "stats" },
    stat("年度指标（人次）", count(p.target_person_times)),
    stat("已结业（人次）", count(p.person_times_completed), `${count(p.persons_completed)} 人`),
    stat("进度", percent(p.pace), track),
    stat("预计年末（人次）", count(p.forecast_person_times)),
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

function breakdown(title, rows) {
  if (!rows.length) return el("section", { class: "card" }, el("h3", { text: title }), el("p", { class: "empty", text: "没有数据。" }));
  const headers = ["名称", "指标人次", "结业人次", "结业人数", "取证", "就业", "覆盖户", "目标户"];
  return el("section", { class: "card" }, el("h3", { text: title }),
    table(headers, rows.map((r) => el("tr", {},
      td("名称", r.name), td("指标人次", count(r.target_person_times)), td("结业人次", count(r.person_times_completed)),
      td("结业人数", count(r.persons_completed)), td("取证", count(r.certified)), td("就业", count(r.employed)),
      td("覆盖户", count(r.households_covered)), td("目标户", count(r.households_target)))), { cls: "cards-on-phone" }));
}

TABS.progress = {
  init() {
    const form = $("#progress-filter");
    const regionSel = select([], { placeholder: "加载中…" });
    const year = el("input", { type: "number", name: "year", min: 2000, max: 2100, value: countyToday().slice(0, 4) });
    const button = el("button", { type: "submit", class: "btn btn-primary", text: "查看" });
    form.replaceChildren(field("地区", regionSel, { name: "region_code" }), field("年度", year, { name: "year" }),
      el("div", { class: "field field-actions" }, button));
    form.addEventListener("submit", (e) => { e.preventDefault(); this.load(regionSel.value, year.value); });
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
  async load(regionCode, year) {
    await loadInto($("#progress-result"), $("#progress-msg"), $("#progress-filter"), async () => {
      const p = await api("GET", "/api/progress", { query: { region_code: regionCode, year } });
      const trend = el("div", { class: "chart", role: "img", "aria-label": "每月结业人次与进度线" });
      const towns = el("div", { class: "chart", role: "img", "aria-label": "各乡镇结业人次" });
      const nodes = [summary(p),
        el("section", { class: "card" }, el("h3", { text: "月度趋势" }), trend),
        p.by.township.length ? el("section", { class: "card" }, el("h3", { text: "各乡镇" }), towns) : null,
        breakdown("按乡镇", p.by.township), breakdown("按工种", p.by.trade), breakdown("按学校", p.by.school)];
      // Drawn once the boxes are in the page, so ECharts can measure them.
      requestAnimationFrame(() => {
        drawChart(trend, monthlyOption(p));
        if (p.by.township.length) drawChart(towns, townshipOption(p));
      });
      return nodes.filter(Boolean);
    });
  },
};
