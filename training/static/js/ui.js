import { ApiError } from "./api.js";
import { FIELD_LABELS } from "./labels.js";

// ---------------------------------------------------------------- DOM helpers

export const $ = (sel, root = document) => root.querySelector(sel);

export function append(node, kids) {
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    node.append(kid instanceof Node ? kid : String(kid));
  }
  return node;
}

/** el("td", {class: "x", text: apiValue}, child, ...): never parses HTML. */
export function el(tag, props, ...kids) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "value" || key === "checked" || key === "disabled" || key === "hidden" || key === "selected") {
      node[key] = value;
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  return append(node, kids);
}

/** A form's control by name: named access on the form itself can hit built-in properties (name, title). */
export const ctl = (form, name) => form.elements.namedItem(name);

export let idCounter = 0;
export const uid = (prefix) => `${prefix}-${++idCounter}`;

export const badge = (text, kind = "") => el("span", { class: `badge ${kind}`.trim(), text });
export const small = (text, cls = "muted") => el("small", { class: cls, text });
export const code = (text) => el("code", { class: "code", text });

export function td(label, ...kids) {
  return el("td", { "data-label": label }, ...kids);
}

export function table(headers, rows, { cls = "" } = {}) {
  return el("div", { class: "table-wrap" },
    el("table", { class: `data ${cls}`.trim() },
      el("thead", {}, el("tr", {}, headers.map((h) => typeof h === "string"
        ? el("th", { scope: "col", text: h })
        : el("th", { scope: "col", title: h.title }, h.text, el("span", { class: "hint", "aria-hidden": "true", text: " ⓘ" }))))),
      el("tbody", {}, rows)));
}

export function tradeChip(t) {
  return el("span", { class: "chip", title: t.code }, t.name, " ", el("span", { class: "chip-code", text: t.code }));
}

export function dateRange(from, to) {
  if (!from) return "—";
  return from === to ? from : `${from} 至 ${to}`;
}

export function days(from, to) {
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b) || b < a) return "";
  return `${Math.round((b - a) / 86400000) + 1} 天`;
}

// ---------------------------------------------------------------- messages and field errors

export const LOCATION_LABELS = { body: "", query: "查询条件", path: "地址", header: "请求头", file: "文件", cookie: "Cookie" };

export function locationLabel(location) {
  const loc = String(location || "body").toLowerCase();
  for (const [key, label] of Object.entries(LOCATION_LABELS)) if (loc.includes(key)) return label;
  return "";
}

/** "trade_codes[1]" -> {base: "trade_codes", label: "可教工种第 2 项"} using the form's own labels. */
export function describeField(field, form) {
  const m = /^([^[.]+)(?:\[(\d+)\])?(.*)$/.exec(String(field || ""));
  const base = m ? m[1] : String(field);
  let holder = null;
  if (form) {
    const nodes = [...form.querySelectorAll("[data-field]")];
    holder = nodes.find((node) => node.dataset.field === String(field || ""));
    if (holder) return { base, label: holder.dataset.label || String(field), holder };
    holder = nodes.find((node) => node.dataset.field === base) || null;
  }
  // An unknown API key is not shown to a clerk: the message beside it says what is wrong.
  let label = (holder && holder.dataset.label) || FIELD_LABELS[base] || "填写的内容";
  if (m && m[2] !== undefined) label += `第 ${Number(m[2]) + 1} 项`;
  return { base, label, holder };
}

export function clearFieldErrors(form) {
  if (!form) return;
  for (const node of form.querySelectorAll(".field.invalid")) node.classList.remove("invalid");
  for (const node of form.querySelectorAll(".field-error")) node.remove();
}

export function hideMsg(box) {
  if (!box) return;
  box.hidden = true;
  box.replaceChildren();
}

export function showOk(box, ...content) {
  box.className = "msg msg-ok";
  box.replaceChildren();
  append(box, content);
  box.hidden = false;
}

export function showInfo(box, ...content) {
  box.className = "msg msg-info";
  box.replaceChildren();
  append(box, content);
  box.hidden = false;
}

/** Show 加载中… in `out`, then what `produce` builds (a node or a list of nodes); if it fails, the
 *  problem in `msg`, with bad fields marked in `form`. Every list and search of the page loads this way. */
export async function loadInto(out, msg, form, produce) {
  hideMsg(msg);
  clearFieldErrors(form);
  out.replaceChildren(el("p", { class: "loading", text: "加载中…" }));
  try {
    out.replaceChildren(...[].concat(await produce()));
  } catch (err) {
    out.replaceChildren();
    showProblem(msg, err, form);
  }
}

/** Show an API problem (title, detail, errors[], rules[]) in `box`; mark bad fields of `form`. */
export function showProblem(box, err, form) {
  if (err && err.status === 401 && !form?.matches?.("#login-form")) return; // back at the login form already
  clearFieldErrors(form);
  const p = (err && err.problem) || { title: "出错了", detail: String((err && err.message) || err) };
  if (!(err instanceof ApiError)) console.error(err);
  const errors = Array.isArray(p.errors) ? p.errors : [];
  const rules = Array.isArray(p.rules) ? p.rules : [];
  box.className = "msg msg-error";
  box.replaceChildren();
  const head = el("div", { class: "msg-title" }, el("strong", { text: p.title || "请求失败" }));
  box.append(head);
  if (p.detail && !errors.length && !rules.length) box.append(el("p", { text: p.detail }));
  if (errors.length) {
    const list = el("ul", { class: "msg-list" });
    for (const e of errors) {
      const { label, holder } = describeField(e.field, form);
      const where = locationLabel(e.location);
      list.append(el("li", {}, el("b", { text: label }), "：", e.message || "内容不正确",
        where ? small(`（${where}）`) : null));
      if (holder) {
        holder.classList.add("invalid");
        holder.append(el("div", { class: "field-error", text: e.message || "内容不正确" }));
      }
    }
    box.append(list);
  }
  if (rules.length) {
    if (p.detail) {
      const lead = String(p.detail).split("：")[0];
      if (lead && lead.length < 40) box.append(el("p", { text: `${lead}：` }));
    }
    const list = el("ul", { class: "msg-list" });
    for (const r of rules) list.append(el("li", { text: r.message || "不满足报名条件" }));
    box.append(list);
  }
  if (p.reference) box.append(el("p", { class: "muted", text: `错误编号：${p.reference}` }));
  box.hidden = false;
  if (typeof box.scrollIntoView === "function") box.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

export function problemText(err) {
  const p = (err && err.problem) || {};
  return p.detail || p.title || String((err && err.message) || err);
}

export async function withBusy(button, fn) {
  const label = button ? button.textContent : "";
  if (button) { button.disabled = true; button.textContent = `${label}…`; }
  try { return await fn(); } finally {
    if (button) { button.disabled = false; button.textContent = label; }
  }
}

// ---------------------------------------------------------------- form building

export function field(label, control, { name, hint, wide = false, cls = "" } = {}) {
  const wrap = el("div", { class: `field ${wide ? "wide" : ""} ${cls}`.trim(), dataset: { field: name || "", label } });
  const focusable = ["INPUT", "SELECT", "TEXTAREA"].includes(control.tagName) ? control : null;
  if (focusable && !focusable.id) focusable.id = uid("f");
  wrap.append(el("label", focusable ? { for: focusable.id, text: label } : { text: label, class: "label-like" }));
  wrap.append(control);
  if (hint) wrap.append(small(hint, "hint"));
  return wrap;
}

export function select(options, { placeholder, value } = {}) {
  const node = el("select", {});
  if (placeholder !== undefined) node.append(el("option", { value: "", text: placeholder }));
  for (const [v, text] of options) node.append(el("option", { value: v, text }));
  if (value !== undefined) node.value = value;
  return node;
}

/** Put key/value into body unless empty, so the API reports missing required fields itself. */
export function put(body, key, raw, kind = "text") {
  if (raw === undefined || raw === null) return;
  if (kind === "int") {
    const s = String(raw).trim();
    if (s === "") return;
    const n = Number(s);
    body[key] = Number.isFinite(n) ? n : s;
    return;
  }
  const s = String(raw).trim();
  if (s !== "") body[key] = s;
}

// ---------------------------------------------------------------- school forms (school / admin)

export function formCard(key, title, form) {
  return el("details", { class: "card form-card", dataset: { key } }, el("summary", { text: title }), form);
}

export function makeForm(build, submit) {
  const msg = el("div", { class: "msg", hidden: true, role: "alert" });
  const button = el("button", { type: "submit", class: "btn btn-primary", text: "提交" });
  const form = el("form", { class: "grid-form", novalidate: true });
  const parts = build(form);
  append(form, parts);
  form.append(el("div", { class: "field field-actions wide" }, button), msg);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    hideMsg(msg);
    await withBusy(button, async () => {
      try {
        await submit(form, msg);
      } catch (err) {
        showProblem(msg, err, form);
      }
    });
  });
  return form;
}

export const pad2 = (n) => String(n).padStart(2, "0");
/** Today in the county's time zone, as the server rendered the page: the browser's clock may be in another zone
 *  (a date picker defaulting to the browser's "today" offered a day the server refuses). */
export function countyToday() {
  const served = document.body.dataset.today || "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(served)) return served;
  const d = new Date();
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}
export function dateTime(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value || "—");
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
export const dash = () => el("span", { class: "muted", text: "—" });

/** 名额: seats left of capacity, with how many hold a seat and wait, as the server counts them. */
export function seatsCell(x) {
  return [el("span", { class: x.seats_left <= 0 ? "seats seats-full" : "seats" }, `余 ${x.seats_left}/${x.capacity}`),
    small(`已报 ${x.enrolled ?? 0}` + (x.waitlisted ? ` · 候补 ${x.waitlisted}` : ""))];
}

/** 上一页 / 下一页 under a paged list ({items, total, limit, offset}). */
export function pagerBar(page, noun, go) {
  const items = page.items || [];
  const from = items.length ? page.offset + 1 : 0;
  const to = page.offset + items.length;
  return el("div", { class: "pager" },
    el("span", { text: `共 ${page.total} ${noun}` + (items.length ? `，第 ${from}–${to} 条` : "") }),
    el("button", {
      type: "button", class: "btn btn-sm", text: "上一页", disabled: page.offset <= 0,
      onclick: () => go(Math.max(0, page.offset - page.limit)),
    }),
    el("button", {
      type: "button", class: "btn btn-sm", text: "下一页", disabled: to >= page.total,
      onclick: () => go(page.offset + page.limit),
    }));
}
