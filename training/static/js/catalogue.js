import { api, localProblem } from "./api.js";
import { COURSE_KINDS, NEARNESS_LABELS, SKILL_LEVELS } from "./labels.js";
import { regionPicker } from "./regions.js";
import { TABS } from "./tabs.js";
import { $, badge, code, ctl, dateRange, days, el, hideMsg, loadInto, pagerBar, problemText, seatsCell, showProblem, small, table, td, withBusy } from "./ui.js";

/** 文化程度 (GET /api/education-levels), in the code table's order; fetched once. */
let educationPromise = null;
export function educationLevels() {
  if (!educationPromise) {
    educationPromise = api("GET", "/api/education-levels").catch((err) => { educationPromise = null; throw err; });
  }
  return educationPromise;
}

// ---------------------------------------------------------------- trade picker (GET /api/trades?q=)

export function tradePicker({ multiple = true, max = 0, placeholder = "输入工种名称、别名或代码搜索" } = {}) {
  let selected = [];
  let seq = 0;
  let timer = null;
  const chips = el("div", { class: "chips picker-chips" });
  const input = el("input", { type: "search", placeholder, autocomplete: "off", "aria-autocomplete": "list" });
  const list = el("ul", { class: "picker-list", hidden: true, role: "listbox" });
  const root = el("div", { class: multiple ? "picker" : "picker picker-single" },
    chips, el("div", { class: "picker-box" }, input, list));

  function renderChips() {
    chips.replaceChildren();
    if (!selected.length && multiple) chips.append(small(max ? `未选择（最多 ${max} 个，按意向先后）` : "未选择（可多选）"));
    chips.hidden = !multiple && !selected.length;
    input.placeholder = !multiple && selected.length ? "输入以更换" : placeholder;
    for (const t of selected) {
      chips.append(el("span", { class: "chip chip-sel" }, t.name, " ", el("span", { class: "chip-code", text: t.code }),
        el("button", {
          type: "button", class: "chip-x", title: "移除", "aria-label": `移除 ${t.name}`,
          onclick: () => { selected = selected.filter((s) => s.code !== t.code); renderChips(); },
        }, "×")));
    }
  }

  function choose(t) {
    if (multiple) {
      if (selected.some((s) => s.code === t.code)) return;
      if (max && selected.length >= max) {
        list.replaceChildren(el("li", { class: "picker-empty", text: `最多选择 ${max} 个工种，请先移除一个` }));
        list.hidden = false;
        return;
      }
      selected.push({ code: t.code, name: t.name });
    } else {
      selected = [{ code: t.code, name: t.name }];
      list.hidden = true;
      input.value = "";
    }
    renderChips();
    if (multiple) renderList(lastItems);
  }

  let lastItems = [];
  // The list shows only while the input has focus: an answer that arrives after Esc or Tab stays closed,
  // so the list never lingers over the form's buttons.
  const focused = () => root.contains(document.activeElement);
  function close() {
    clearTimeout(timer);
    seq += 1; // answers still on their way are dropped
    list.hidden = true;
  }
  function renderList(items) {
    lastItems = items;
    list.replaceChildren();
    if (!items.length) list.append(el("li", { class: "picker-empty", text: "没有找到匹配的工种" }));
    for (const t of items) {
      const on = selected.some((s) => s.code === t.code);
      list.append(el("li", { role: "option", "aria-selected": on ? "true" : "false" },
        el("button", { type: "button", class: on ? "on" : "", onclick: () => choose(t) },
          el("span", { class: "chip-code", text: t.code }), " ", t.name,
          t.focus ? badge("重点", "badge-warn") : null,
          el("span", { class: "muted", text: ` ${t.category || ""}` }))));
    }
    list.hidden = !focused();
  }

  async function search() {
    const my = ++seq;
    try {
      const items = await api("GET", "/api/trades", { query: { q: input.value.trim(), limit: 30 } });
      if (my === seq) renderList(items);
    } catch (err) {
      if (my !== seq) return;
      list.replaceChildren(el("li", { class: "picker-empty", text: problemText(err) }));
      list.hidden = !focused();
    }
  }

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 250); });
  input.addEventListener("focus", search);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !list.hidden) {
      e.preventDefault(); // a search box clears itself on Esc (and searches again): only close the list
      close();
    }
    if (e.key === "Enter") {
      e.preventDefault();
      if (lastItems.length === 1) choose(lastItems[0]);
    }
  });
  list.addEventListener("mousedown", (e) => e.preventDefault()); // keep focus in the input while choosing
  root.addEventListener("focusout", (e) => { if (!root.contains(e.relatedTarget)) close(); });
  renderChips();

  return {
    root,
    get codes() { return selected.map((s) => s.code); },
    get code() { return selected.length ? selected[0].code : ""; },
    set(items) { selected = items.map((t) => ({ code: t.code, name: t.name })); renderChips(); },
    clear() { selected = []; input.value = ""; list.hidden = true; renderChips(); },
  };
}

// ================================================================ 培训菜单

TABS.menu = {
  picker: null,
  init() {
    const toolbar = $("#menu-toolbar");
    const msg = $("#menu-msg");
    toolbar.replaceChildren();
    $("#menu-result").replaceChildren(el("p", { class: "empty", text: "请选择村。" }));
    const button = el("button", { type: "button", class: "btn btn-primary", text: "查看菜单" });
    this.picker = regionPicker({
      depth: "village", msgBox: msg,
      onChange: (value) => { if (value) this.load(value, button); },
    });
    button.addEventListener("click", () => {
      if (!this.picker.value) {
        showProblem(msg, localProblem([{ field: "village_code", message: "请先选择乡镇和村" }]), toolbar);
        return;
      }
      this.load(this.picker.value, button);
    });
    toolbar.append(this.picker.root, el("div", { class: "field field-actions" }, button));
  },
  reset() {
    $("#menu-toolbar").replaceChildren();
    $("#menu-result").replaceChildren();
    hideMsg($("#menu-msg"));
  },
  // The menu comes a page at a time (MENU_PAGE sessions); the pager steps through it in menu order.
  async load(villageCode, button, offset = 0) {
    const msg = $("#menu-msg");
    const out = $("#menu-result");
    const go = (next) => this.load(villageCode, button, next);
    await withBusy(button, () => loadInto(out, msg, $("#menu-toolbar"), async () => renderMenu(
      await api("GET", "/api/menu", { query: { village_code: villageCode, limit: MENU_PAGE, offset } }), go)));
  },
};

const MENU_PAGE = 50;

export function renderMenu(menu, go) {
  const items = menu.items || [];
  const total = menu.total ?? items.length;
  const head = el("div", { class: "result-head" },
    el("h3", {}, menu.village_name, " ", menu.key_poverty ? badge("重点村", "badge-red") : null),
    small(`村代码 ${menu.village_code} · 共 ${total} 个可报名培训班`));
  const pager = go && total > items.length ? pagerBar(menu, "个培训班", go) : null;
  if (!items.length) {
    return el("div", {}, head, pager, el("p", { class: "empty", text: "该村目前没有可报名的培训班。" }));
  }
  const rows = items.map((it) => {
    return el("tr", { class: it.in_package ? "row-package" : "" },
      td("培训班",
        el("div", { class: "cell-title", text: it.course_title }),
        el("div", { class: "cell-sub" },
          `${it.hours} 学时`, it.certificate ? " · 可取证" : "",
          it.skill_level ? ` · ${SKILL_LEVELS[it.skill_level] || it.skill_level}` : ""),
        it.in_package
          ? el("div", { class: "cell-badges" }, badge("资源包", "badge-green"),
            ...(it.package_names || []).map((n) => small(n, "pkg-name")))
          : null),
      td("学校", it.school_name),
      td("工种", el("div", { text: it.trade_name }), code(it.trade_code)),
      td("类型", it.course_kind_label || COURSE_KINDS[it.course_kind] || it.course_kind),
      td("日期", el("div", { class: "nowrap", text: dateRange(it.starts_on, it.ends_on) }),
        small(days(it.starts_on, it.ends_on))),
      td("地点", el("div", { text: `${it.township_name} ${it.village_name}` }), it.venue ? small(it.venue) : null),
      td("剩余名额", seatsCell(it)),
      td("距离", badge(NEARNESS_LABELS[it.nearness] || it.nearness, `near-${it.nearness}`)));
  });
  return el("div", {}, head, pager,
    table(["培训班", "学校", "工种", "类型", "日期", "地点", "剩余名额", "距离"], rows, { cls: "cards-on-phone" }),
    pager && items.length > 10 ? pagerBar(menu, "个培训班", go) : null);
}

// ================================================================ 工种

TABS.trades = {
  init() {
    const form = $("#trade-search");
    if (!form.dataset.bound) {
      form.dataset.bound = "1";
      form.addEventListener("submit", (e) => { e.preventDefault(); this.load(); });
    }
    this.load();
  },
  reset() {
    $("#trade-result").replaceChildren();
    hideMsg($("#trade-msg"));
  },
  async load() {
    const form = $("#trade-search");
    const msg = $("#trade-msg");
    const out = $("#trade-result");
    await loadInto(out, msg, form, async () => {
      const items = await api("GET", "/api/trades", {
        query: { q: ctl(form, "q").value.trim(), focus: ctl(form, "focus").checked ? "true" : "", limit: 500 },
      });
      const rows = items.map((t) => el("tr", {},
        td("代码", code(t.code)),
        td("名称", el("div", { class: "cell-title", text: t.name }),
          t.aliases && t.aliases.length ? small(`又称：${t.aliases.join("、")}`) : null),
        td("类别", t.category || "—"),
        td("重点工种", t.focus ? badge("重点", "badge-warn") : el("span", { class: "muted", text: "—" })),
        td("版本", t.edition ? `${t.edition} 版` : "—")));
      return [
        el("div", { class: "result-head" }, small(`找到 ${items.length} 个工种${items.length >= 500 ? "（仅显示前 500 个）" : ""}`)),
        items.length ? table(["代码", "名称", "类别", "重点工种", "版本"], rows, { cls: "cards-on-phone" })
          : el("p", { class: "empty", text: "没有找到匹配的工种。" })];
    });
  },
};
