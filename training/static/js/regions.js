import { api } from "./api.js";
import { el, field, showProblem } from "./ui.js";

// ---------------------------------------------------------------- regions (county -> township -> village)

export const regionCache = new Map();
export function regions(parent) {
  const key = parent || "";
  if (!regionCache.has(key)) {
    const promise = api("GET", "/api/regions", { query: { parent_code: parent, limit: 500 } })
      .then((page) => page.items)
      .catch((err) => { regionCache.delete(key); throw err; });
    regionCache.set(key, promise);
  }
  return regionCache.get(key);
}

/** Cascading selects. depth "village" returns a village code, "township" a township code. */
export function regionPicker({ depth = "village", optional = false, msgBox, onChange } = {}) {
  const county = el("select", { "aria-label": "县" });
  const township = el("select", { "aria-label": "乡镇" });
  const village = el("select", { "aria-label": "村" });
  const countyField = field("县", county, { name: "county_code" });
  const townshipField = field("乡镇", township, { name: depth === "township" ? "township_code" : "township" });
  const villageField = field("村", village, { name: "village_code" });
  const parts = [countyField, townshipField];
  if (depth === "village") parts.push(villageField);
  const root = el("div", { class: "region-picker" }, parts);

  const fill = (node, items, placeholder) => {
    node.replaceChildren(el("option", { value: "", text: placeholder }));
    for (const r of items) {
      node.append(el("option", { value: r.code, text: r.key_poverty ? `${r.name}（重点村）` : r.name }));
    }
  };
  const fail = (err) => { if (msgBox) showProblem(msgBox, err); };
  const changed = () => { if (onChange) onChange(picker.value, picker); };

  async function loadTownships() {
    fill(township, [], county.value ? "加载中…" : "— 先选县 —");
    fill(village, [], "— 先选乡镇 —");
    if (!county.value) return;
    try {
      fill(township, await regions(county.value), optional ? "全部乡镇" : "— 选择乡镇 —");
    } catch (err) { fill(township, [], "加载失败"); fail(err); }
  }
  async function loadVillages() {
    fill(village, [], township.value ? "加载中…" : "— 先选乡镇 —");
    if (!township.value) return;
    try {
      const items = await regions(township.value);
      fill(village, items, items.length ? (optional ? "全部村" : "— 选择村 —") : "（该乡镇没有村）");
    } catch (err) { fill(village, [], "加载失败"); fail(err); }
  }

  county.addEventListener("change", async () => { await loadTownships(); changed(); });
  township.addEventListener("change", async () => {
    if (depth === "village") await loadVillages();
    changed();
  });
  village.addEventListener("change", changed);

  const picker = {
    root,
    get value() { return depth === "village" ? village.value : township.value; },
    get villageName() {
      const opt = village.selectedOptions[0];
      return opt && opt.value ? opt.textContent : "";
    },
    get township() { return township.value; },
    ready: (async () => {
      fill(county, [], "加载中…");
      try {
        const counties = await regions(null);
        fill(county, counties, "— 选择县 —");
        if (counties.length === 1) {
          county.value = counties[0].code;
          countyField.hidden = true;
        }
      } catch (err) { fill(county, [], "加载失败"); fail(err); }
      await loadTownships();
    })(),
    async setVillage(codeValue) {
      await picker.ready;
      if (!/^\d{12}$/.test(codeValue || "")) return;
      const countyCode = `${codeValue.slice(0, 6)}000000`;
      const townshipCode = `${codeValue.slice(0, 9)}000`;
      if (county.value !== countyCode) { county.value = countyCode; await loadTownships(); }
      township.value = townshipCode;
      await loadVillages();
      village.value = codeValue;
    },
  };
  return picker;
}

/** The parent whose children list holds a region code (12 digits): county -> null, township -> county, village -> township. */
export function regionParent(codeValue) {
  if (codeValue.endsWith("000000")) return null;
  if (codeValue.endsWith("000")) return `${codeValue.slice(0, 6)}000000`;
  return `${codeValue.slice(0, 9)}000`;
}

export async function regionName(codeValue) {
  try {
    const found = (await regions(regionParent(codeValue))).find((r) => r.code === codeValue);
    return found ? found.name : codeValue;
  } catch (_e) {
    return codeValue;
  }
}

/** code -> name for the villages of a list (one cached /api/regions call per township). */
export async function villageNames(codes) {
  const names = new Map();
  const townships = [...new Set(codes.filter((c) => /^\d{12}$/.test(c || "")).map(regionParent))];
  await Promise.all(townships.map(async (t) => {
    try { for (const r of await regions(t)) names.set(r.code, r.name); } catch (_e) { /* names stay codes */ }
  }));
  return names;
}
