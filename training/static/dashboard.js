/* 农村劳动力技能培训 · 工作台
 * Plain ES2020, no framework, no build step. Every piece of text that comes from the API is put into
 * the page with textContent / text nodes, never as HTML.
 */
"use strict";

(() => {
  // ---------------------------------------------------------------- constants

  const STORE = { token: "training.token", role: "training.role", user: "training.user", expires: "training.expires" };
  const ROLE_LABELS = { admin: "管理员", official: "官员", school: "学校", surveyor: "调查员" };
  const NEARNESS_LABELS = { same_village: "本村", same_township: "本乡镇", same_county: "本县" };
  const SKILL_LEVELS = {
    junior: "五级/初级工", intermediate: "四级/中级工", senior: "三级/高级工",
    technician: "二级/技师", senior_technician: "一级/高级技师",
  };
  const COURSE_KINDS = { long: "长期培训", short: "短期技能培训", entrepreneurship: "创业培训", practical: "农业实用技术" };
  const SESSION_STATUS = { draft: "草稿", published: "已发布", cancelled: "已取消" };
  // GB/T 4658 文化程度: the levels a course is likely to require (the API has no list endpoint for them).
  const EDUCATION_LEVELS = [
    ["90", "未上过学"], ["81", "小学毕业"], ["71", "初中毕业"], ["61", "普通高中毕业"], ["41", "中专毕业"],
    ["44", "职高毕业"], ["47", "技工学校毕业"], ["31", "大学专科毕业"], ["21", "大学本科毕业"],
  ];
  // Labels for API field names when the form that caused the error has no matching input.
  const FIELD_LABELS = {
    username: "用户名", password: "密码", name: "名称", trade_codes: "工种", trade_code: "工种",
    title: "名称", kind: "类型", hours: "学时", certificate: "是否发证", skill_level: "技能等级",
    min_age: "最低年龄", max_age: "最高年龄", min_education: "最低学历", description: "说明",
    quantity: "数量", school_id: "学校", course_id: "课程", starts_on: "开始日期", ends_on: "结束日期",
    village_code: "培训地点（村）", township_code: "乡镇", capacity: "招生人数", teacher_ids: "授课教师",
    schedule: "教学安排", venue: "具体地点", status: "状态", starts_from: "开始日期（起）",
    starts_to: "开始日期（止）", limit: "每页条数", offset: "跳过条数", parent_code: "上级区划",
    q: "关键词", "(body)": "请求内容",
  };
  const CAN_MANAGE_SCHOOLS = ["admin", "school"];
  const PAGE_SIZES = [20, 50, 100];

  // ---------------------------------------------------------------- DOM helpers

  const $ = (sel, root = document) => root.querySelector(sel);

  function append(node, kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      node.append(kid instanceof Node ? kid : String(kid));
    }
    return node;
  }

  /** el("td", {class: "x", text: apiValue}, child, ...): never parses HTML. */
  function el(tag, props, ...kids) {
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
  const ctl = (form, name) => form.elements.namedItem(name);

  let idCounter = 0;
  const uid = (prefix) => `${prefix}-${++idCounter}`;

  const badge = (text, kind = "") => el("span", { class: `badge ${kind}`.trim(), text });
  const small = (text, cls = "muted") => el("small", { class: cls, text });
  const code = (text) => el("code", { class: "code", text });

  function td(label, ...kids) {
    return el("td", { "data-label": label }, ...kids);
  }

  function table(headers, rows, { cls = "" } = {}) {
    return el("div", { class: "table-wrap" },
      el("table", { class: `data ${cls}`.trim() },
        el("thead", {}, el("tr", {}, headers.map((h) => typeof h === "string"
          ? el("th", { scope: "col", text: h })
          : el("th", { scope: "col", title: h.title }, h.text, el("span", { class: "hint", "aria-hidden": "true", text: " ⓘ" }))))),
        el("tbody", {}, rows)));
  }

  function tradeChip(t) {
    return el("span", { class: "chip", title: t.code }, t.name, " ", el("span", { class: "chip-code", text: t.code }));
  }

  function dateRange(from, to) {
    if (!from) return "—";
    return from === to ? from : `${from} 至 ${to}`;
  }

  function days(from, to) {
    const a = Date.parse(from);
    const b = Date.parse(to);
    if (Number.isNaN(a) || Number.isNaN(b) || b < a) return "";
    return `${Math.round((b - a) / 86400000) + 1} 天`;
  }

  // ---------------------------------------------------------------- session state

  const auth = {
    get token() { return sessionStorage.getItem(STORE.token); },
    get role() { return sessionStorage.getItem(STORE.role) || ""; },
    get user() { return sessionStorage.getItem(STORE.user) || ""; },
    get expired() {
      const exp = Number(sessionStorage.getItem(STORE.expires) || 0);
      return exp > 0 && Date.now() > exp;
    },
    save(username, body) {
      sessionStorage.setItem(STORE.token, body.access_token);
      sessionStorage.setItem(STORE.role, body.role || "");
      sessionStorage.setItem(STORE.user, username);
      const ttl = Number(body.expires_in);
      if (ttl > 0) sessionStorage.setItem(STORE.expires, String(Date.now() + ttl * 1000));
      else sessionStorage.removeItem(STORE.expires);
    },
    clear() { for (const key of Object.values(STORE)) sessionStorage.removeItem(key); },
  };
  const canManage = () => CAN_MANAGE_SCHOOLS.includes(auth.role);

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
  }

  function localProblem(errors, title = "请检查填写的内容") {
    return new ApiError(0, { title, errors });
  }

  /** The fetch behind api() and download(): returns the Response when it is 2xx, else throws ApiError. */
  async function request(method, path, { query, body, form, withAuth = true, accept, headers: extra } = {}) {
    if (withAuth && auth.expired) {
      const problem = { title: "登录已过期", detail: "登录已过期，请重新登录。" };
      sessionExpired(problem);
      throw new ApiError(401, problem);
    }
    let url = path;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v !== undefined && v !== null && v !== "") params.append(k, String(v));
      }
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    const headers = { Accept: accept || "application/json, application/problem+json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (withAuth && auth.token) headers.Authorization = `Bearer ${auth.token}`;
    if (extra) Object.assign(headers, extra);
    // A FormData body sets its own multipart Content-Type (with the boundary).
    const payload = form !== undefined ? form : body === undefined ? undefined : JSON.stringify(body);
    let res;
    try {
      res = await fetch(url, { method, headers, body: payload });
    } catch (_e) {
      throw new ApiError(0, { title: "无法连接服务器", detail: "请检查网络连接后重试。" });
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => "");
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (_e) { data = null; }
    }
    const problem = data && typeof data === "object" && !Array.isArray(data)
      ? data
      : { title: `请求失败（HTTP ${res.status}）`, detail: text.slice(0, 300) };
    if (!problem.status) problem.status = res.status;
    if (res.status === 401 && withAuth) sessionExpired(problem);
    throw new ApiError(res.status, problem);
  }

  async function api(method, path, options = {}) {
    const res = await request(method, path, options);
    const text = await res.text();
    if (!text) return null;
    try { return JSON.parse(text); } catch (_e) {
      throw new ApiError(res.status, { title: "服务器返回的内容无法识别", detail: text.slice(0, 300) });
    }
  }

  /** The file name in Content-Disposition: filename*=UTF-8''… first, then filename="…". */
  function dispositionName(header, fallback) {
    const value = header || "";
    const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(value);
    if (star) {
      try { return decodeURIComponent(star[1].trim()); } catch (_e) { /* fall through */ }
    }
    const plain = /filename\s*=\s*"?([^";]+)"?/.exec(value);
    return plain ? plain[1].trim() : fallback;
  }

  /** GET a file with the Authorization header, then save it through a temporary <a download>. */
  async function download(path, { query, fallbackName = "download.xlsx" } = {}) {
    const res = await request("GET", path, {
      query, accept: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/problem+json",
    });
    const blob = await res.blob();
    const name = dispositionName(res.headers.get("Content-Disposition"), fallbackName);
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    return { name, size: blob.size };
  }

  // ---------------------------------------------------------------- messages and field errors

  const LOCATION_LABELS = { body: "", query: "查询条件", path: "地址", header: "请求头", file: "文件", cookie: "Cookie" };

  function locationLabel(location) {
    const loc = String(location || "body").toLowerCase();
    for (const [key, label] of Object.entries(LOCATION_LABELS)) if (loc.includes(key)) return label;
    return loc;
  }

  /** "trade_codes[1]" -> {base: "trade_codes", label: "可教工种第 2 项"} using the form's own labels. */
  function describeField(field, form) {
    const m = /^([^[.]+)(?:\[(\d+)\])?(.*)$/.exec(String(field || ""));
    const base = m ? m[1] : String(field);
    let holder = null;
    if (form) {
      const nodes = [...form.querySelectorAll("[data-field]")];
      holder = nodes.find((node) => node.dataset.field === String(field || ""));
      if (holder) return { base, label: holder.dataset.label || String(field), holder };
      holder = nodes.find((node) => node.dataset.field === base) || null;
    }
    let label = (holder && holder.dataset.label) || FIELD_LABELS[base] || base;
    if (m && m[2] !== undefined) label += `第 ${Number(m[2]) + 1} 项`;
    if (m && m[3]) label += ` ${m[3]}`;
    return { base, label, holder };
  }

  function clearFieldErrors(form) {
    if (!form) return;
    for (const node of form.querySelectorAll(".field.invalid")) node.classList.remove("invalid");
    for (const node of form.querySelectorAll(".field-error")) node.remove();
  }

  function hideMsg(box) {
    if (!box) return;
    box.hidden = true;
    box.replaceChildren();
  }

  function showOk(box, ...content) {
    box.className = "msg msg-ok";
    box.replaceChildren();
    append(box, content);
    box.hidden = false;
  }

  function showInfo(box, ...content) {
    box.className = "msg msg-info";
    box.replaceChildren();
    append(box, content);
    box.hidden = false;
  }

  /** Show 加载中… in `out`, then what `produce` builds (a node or a list of nodes); if it fails, the
   *  problem in `msg`, with bad fields marked in `form`. Every list and search of the page loads this way. */
  async function loadInto(out, msg, form, produce) {
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
  function showProblem(box, err, form) {
    if (err && err.status === 401 && !form?.matches?.("#login-form")) return; // back at the login form already
    clearFieldErrors(form);
    const p = (err && err.problem) || { title: "出错了", detail: String((err && err.message) || err) };
    if (!(err instanceof ApiError)) console.error(err);
    const errors = Array.isArray(p.errors) ? p.errors : [];
    const rules = Array.isArray(p.rules) ? p.rules : [];
    box.className = "msg msg-error";
    box.replaceChildren();
    const head = el("div", { class: "msg-title" }, el("strong", { text: p.title || "请求失败" }));
    if (p.status && err.status) head.append(" ", small(`HTTP ${p.status}`, "msg-code"));
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
      for (const r of rules) list.append(el("li", {}, r.message || r.rule, r.rule ? small(`（${r.rule}）`) : null));
      box.append(list);
    }
    if (p.reference) box.append(el("p", { class: "muted", text: `错误编号：${p.reference}` }));
    box.hidden = false;
    if (typeof box.scrollIntoView === "function") box.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function problemText(err) {
    const p = (err && err.problem) || {};
    return p.detail || p.title || String((err && err.message) || err);
  }

  async function withBusy(button, fn) {
    const label = button ? button.textContent : "";
    if (button) { button.disabled = true; button.textContent = `${label}…`; }
    try { return await fn(); } finally {
      if (button) { button.disabled = false; button.textContent = label; }
    }
  }

  // ---------------------------------------------------------------- form building

  function field(label, control, { name, hint, wide = false, cls = "" } = {}) {
    const wrap = el("div", { class: `field ${wide ? "wide" : ""} ${cls}`.trim(), dataset: { field: name || "", label } });
    const focusable = ["INPUT", "SELECT", "TEXTAREA"].includes(control.tagName) ? control : null;
    if (focusable && !focusable.id) focusable.id = uid("f");
    wrap.append(el("label", focusable ? { for: focusable.id, text: label } : { text: label, class: "label-like" }));
    wrap.append(control);
    if (hint) wrap.append(small(hint, "hint"));
    return wrap;
  }

  function select(options, { placeholder, value } = {}) {
    const node = el("select", {});
    if (placeholder !== undefined) node.append(el("option", { value: "", text: placeholder }));
    for (const [v, text] of options) node.append(el("option", { value: v, text }));
    if (value !== undefined) node.value = value;
    return node;
  }

  /** Put key/value into body unless empty, so the API reports missing required fields itself. */
  function put(body, key, raw, kind = "text") {
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

  // ---------------------------------------------------------------- trade picker (GET /api/trades?q=)

  function tradePicker({ multiple = true, max = 0, placeholder = "输入工种名称、别名或代码搜索" } = {}) {
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
      list.hidden = false;
    }

    async function search() {
      const my = ++seq;
      try {
        const items = await api("GET", "/api/trades", { query: { q: input.value.trim(), limit: 30 } });
        if (my === seq) renderList(items);
      } catch (err) {
        if (my !== seq) return;
        list.replaceChildren(el("li", { class: "picker-empty", text: problemText(err) }));
        list.hidden = false;
      }
    }

    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 250); });
    input.addEventListener("focus", search);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") list.hidden = true;
      if (e.key === "Enter") {
        e.preventDefault();
        if (lastItems.length === 1) choose(lastItems[0]);
      }
    });
    list.addEventListener("mousedown", (e) => e.preventDefault()); // keep focus in the input while choosing
    root.addEventListener("focusout", (e) => { if (!root.contains(e.relatedTarget)) list.hidden = true; });
    renderChips();

    return {
      root,
      get codes() { return selected.map((s) => s.code); },
      get code() { return selected.length ? selected[0].code : ""; },
      set(items) { selected = items.map((t) => ({ code: t.code, name: t.name })); renderChips(); },
      clear() { selected = []; input.value = ""; list.hidden = true; renderChips(); },
    };
  }

  // ---------------------------------------------------------------- regions (county -> township -> village)

  const regionCache = new Map();
  function regions(parent) {
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
  function regionPicker({ depth = "village", optional = false, msgBox, onChange } = {}) {
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

  // ---------------------------------------------------------------- login / logout

  const views = { login: $("#login-view"), app: $("#app-view") };

  function showLogin(message) {
    views.app.hidden = true;
    views.login.hidden = false;
    $("#userbar").hidden = true;
    const box = $("#login-msg");
    if (message) showInfo(box, message); else hideMsg(box);
    const form = $("#login-form");
    clearFieldErrors(form);
    ctl(form, "password").value = "";
    (ctl(form, "username").value ? ctl(form, "password") : ctl(form, "username")).focus();
  }

  function sessionExpired(problem) {
    if (views.login && !views.login.hidden) return;
    auth.clear();
    resetApp();
    const why = problem && (problem.detail || problem.title);
    showLogin(why ? `登录已失效：${why}` : "登录已失效，请重新登录。");
  }

  function startApp() {
    views.login.hidden = true;
    views.app.hidden = false;
    $("#userbar").hidden = false;
    $("#user-name").textContent = auth.user;
    $("#user-role").textContent = ROLE_LABELS[auth.role] || auth.role || "未知角色";
    document.body.dataset.role = auth.role;
    for (const button of document.querySelectorAll(".tab[data-roles]")) {
      button.hidden = !button.dataset.roles.split(" ").includes(auth.role);
    }
    const tab = (location.hash || "").replace("#", "");
    activateTab(tabAllowed(tab) ? tab : "menu");
  }

  /** The caller's scope (GET /api/auth/me), fetched once per login. */
  let mePromise = null;
  function whoAmI() {
    if (!mePromise) mePromise = api("GET", "/api/auth/me").catch((err) => { mePromise = null; throw err; });
    return mePromise;
  }

  function tabAllowed(name) {
    if (!TABS[name]) return false;
    const button = document.querySelector(`.tab[data-tab="${name}"]`);
    return !(button && button.dataset.roles && !button.dataset.roles.split(" ").includes(auth.role));
  }

  $("#login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const box = $("#login-msg");
    const button = form.querySelector("button[type=submit]");
    const username = ctl(form, "username").value.trim();
    const password = ctl(form, "password").value;
    clearFieldErrors(form);
    if (!username || !password) {
      const errors = [];
      if (!username) errors.push({ field: "username", message: "请输入用户名" });
      if (!password) errors.push({ field: "password", message: "请输入密码" });
      showProblem(box, localProblem(errors), form);
      return;
    }
    await withBusy(button, async () => {
      try {
        const body = await api("POST", "/api/auth/token", { body: { username, password }, withAuth: false });
        auth.save(username, body);
        hideMsg(box);
        ctl(form, "password").value = "";
        startApp();
      } catch (err) {
        // The API's 401 title means "not logged in"; on the login form it simply means the login failed.
        if (err.status === 401) err.problem = { ...err.problem, title: "登录失败" };
        showProblem(box, err, form);
      }
    });
  });

  $("#logout").addEventListener("click", () => {
    auth.clear();
    resetApp();
    showLogin("您已退出登录。");
  });

  // ---------------------------------------------------------------- tabs

  const TABS = {};
  let currentTab = "";

  function activateTab(name) {
    if (!tabAllowed(name)) name = "menu";
    currentTab = name;
    for (const button of document.querySelectorAll(".tab")) {
      const on = button.dataset.tab === name;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.classList.toggle("active", on);
    }
    for (const key of Object.keys(TABS)) $(`#panel-${key}`).hidden = key !== name;
    if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
    const tab = TABS[name];
    if (!tab.started) { tab.started = true; tab.init(); }
  }

  for (const button of document.querySelectorAll(".tab")) {
    button.addEventListener("click", () => activateTab(button.dataset.tab));
  }

  function resetApp() {
    regionCache.clear();
    mePromise = null;
    for (const tab of Object.values(TABS)) { tab.started = false; if (tab.reset) tab.reset(); }
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
    async load(villageCode, button) {
      const msg = $("#menu-msg");
      const out = $("#menu-result");
      await withBusy(button, () => loadInto(out, msg, $("#menu-toolbar"), async () =>
        renderMenu(await api("GET", "/api/menu", { query: { village_code: villageCode } }))));
    },
  };

  function renderMenu(menu) {
    const items = menu.items || [];
    const head = el("div", { class: "result-head" },
      el("h3", {}, menu.village_name, " ", menu.key_poverty ? badge("重点村", "badge-red") : null),
      small(`村代码 ${menu.village_code} · 共 ${items.length} 个可报名培训班`));
    if (!items.length) return el("div", {}, head, el("p", { class: "empty", text: "该村目前没有可报名的培训班。" }));
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
    return el("div", {}, head,
      table(["培训班", "学校", "工种", "类型", "日期", "地点", "剩余名额", "距离"], rows, { cls: "cards-on-phone" }));
  }

  // ================================================================ 学校（四晒一亮）

  TABS.schools = {
    currentId: null,
    init() {
      const form = $("#school-search");
      if (!form.dataset.bound) {
        form.dataset.bound = "1";
        form.addEventListener("submit", (e) => { e.preventDefault(); this.loadList(ctl(form, "q").value.trim()); });
      }
      this.loadList("");
    },
    reset() {
      this.currentId = null;
      $("#school-list").replaceChildren();
      $("#school-detail").replaceChildren(el("p", { class: "empty", text: "请选择一所学校。" }));
      hideMsg($("#school-list-msg"));
    },
    async loadList(q) {
      const list = $("#school-list");
      const msg = $("#school-list-msg");
      hideMsg(msg);
      list.replaceChildren(el("li", { class: "loading", text: "加载中…" }));
      try {
        const page = await api("GET", "/api/schools", { query: { limit: 100, q } });
        list.replaceChildren();
        if (!page.items.length) list.append(el("li", { class: "empty", text: "没有找到学校。" }));
        for (const s of page.items) {
          list.append(el("li", {},
            el("button", {
              type: "button", class: s.id === this.currentId ? "school-item active" : "school-item",
              dataset: { id: s.id }, onclick: () => this.open(s.id),
            }, el("span", { class: "school-name", text: s.name }), small(s.kind_label || s.kind))));
        }
        if (page.total > page.items.length) {
          list.append(el("li", { class: "muted", text: `共 ${page.total} 所，仅显示前 ${page.items.length} 所，请用搜索缩小范围。` }));
        }
        if (!this.currentId && page.items.length && window.matchMedia("(min-width: 900px)").matches) {
          this.open(page.items[0].id);
        }
      } catch (err) {
        list.replaceChildren();
        showProblem(msg, err);
      }
    },
    async open(id, { keepMessage, formKey } = {}) {
      this.currentId = id;
      for (const b of document.querySelectorAll(".school-item")) b.classList.toggle("active", b.dataset.id === id);
      const out = $("#school-detail");
      if (!keepMessage) out.replaceChildren(el("p", { class: "loading", text: "加载中…" }));
      try {
        const detail = await api("GET", `/api/schools/${encodeURIComponent(id)}`);
        if (this.currentId !== id) return;
        out.replaceChildren(renderSchool(detail, formKey ? null : keepMessage));
        const card = formKey && out.querySelector(`details[data-key="${formKey}"]`);
        if (card) {
          card.open = true;
          const box = card.querySelector(".msg");
          showOk(box, keepMessage);
          box.scrollIntoView({ block: "nearest" });
        }
      } catch (err) {
        const box = el("div", { class: "msg" });
        out.replaceChildren(box);
        showProblem(box, err);
      }
    },
  };

  function tradeUnion(detail) {
    const map = new Map();
    const add = (t, key) => {
      if (!map.has(t.code)) map.set(t.code, { code: t.code, name: t.name, major: 0, teacher: 0, equipment: 0, course: 0 });
      map.get(t.code)[key] += 1;
    };
    for (const m of detail.majors) for (const t of m.trades || []) add(t, "major");
    for (const m of detail.teachers) for (const t of m.trades || []) add(t, "teacher");
    for (const m of detail.equipment) for (const t of m.trades || []) add(t, "equipment");
    for (const c of detail.courses) add({ code: c.trade_code, name: c.trade_name }, "course");
    return [...map.values()].sort((a, b) => a.code.localeCompare(b.code));
  }

  function section(title, count, ...content) {
    return el("section", { class: "card show-section" },
      el("h3", {}, title, count === null ? null : small(` ${count}`, "count")), content);
  }

  function mark(n) {
    return n ? el("span", { class: "yes", text: n > 1 ? `✓ ${n}` : "✓" }) : el("span", { class: "no", text: "—" });
  }

  function renderSchool(detail, flash) {
    const s = detail.school;
    const head = el("div", { class: "card school-head" },
      el("h3", {}, s.name, " ", badge(s.kind_label || s.kind)),
      el("dl", { class: "facts" },
        el("dt", { text: "地址" }), el("dd", { text: s.address || "—" }),
        el("dt", { text: "电话" }), el("dd", { text: s.phone || "—" })));
    const flashBox = el("div", { class: "msg", hidden: true, role: "status" });
    if (flash) showOk(flashBox, flash);

    const majors = section("晒专业", detail.majors.length, detail.majors.length
      ? table(["专业", "对应工种"], detail.majors.map((m) =>
        el("tr", {}, td("专业", m.name), td("对应工种", el("div", { class: "chips" }, m.trades.map(tradeChip))))), { cls: "cards-on-phone" })
      : el("p", { class: "empty", text: "尚未登记专业。" }));

    const union = tradeUnion(detail);
    const trades = section("晒工种", union.length, union.length
      ? table(["工种", "代码", "专业", "师资", "设备", "课程"], union.map((t) =>
        el("tr", { class: t.course && !t.teacher ? "row-warn" : "" },
          td("工种", t.name), td("代码", code(t.code)), td("专业", mark(t.major)), td("师资", mark(t.teacher)),
          td("设备", mark(t.equipment)), td("课程", mark(t.course)))))
      : el("p", { class: "empty", text: "尚无工种。" }),
    union.some((t) => t.course && !t.teacher)
      ? small("黄色行：有课程但没有能教该工种的教师，这类培训班无法发布。", "hint")
      : null);

    const teachers = section("晒师资", detail.teachers.length, detail.teachers.length
      ? table(["姓名", "职称", "技能等级", "可教工种"], detail.teachers.map((t) =>
        el("tr", {}, td("姓名", t.name), td("职称", t.title || "—"),
          td("技能等级", t.skill_level ? SKILL_LEVELS[t.skill_level] || t.skill_level : "—"),
          td("可教工种", el("div", { class: "chips" }, t.trades.map(tradeChip))))), { cls: "cards-on-phone" })
      : el("p", { class: "empty", text: "尚未登记教师。" }));

    const equipment = section("晒设备", detail.equipment.length, detail.equipment.length
      ? table(["设备", "数量", "适用工种"], detail.equipment.map((q) =>
        el("tr", {}, td("设备", q.name), td("数量", String(q.quantity)),
          td("适用工种", el("div", { class: "chips" }, q.trades.map(tradeChip))))), { cls: "cards-on-phone" })
      : el("p", { class: "empty", text: "尚未登记设备。" }));

    const manage = canManage();
    const courseHeaders = ["课程", "工种", "类型", "学时", "技能等级", "证书", "对象", "说明"];
    if (manage) courseHeaders.push("操作");
    const courses = section("课程", detail.courses.length, detail.courses.length
      ? table(courseHeaders, detail.courses.map((c) => {
        const ages = c.min_age !== null || c.max_age !== null
          ? `${c.min_age ?? "不限"}–${c.max_age ?? "不限"} 岁` : "";
        const who = [ages, c.min_education_name ? `${c.min_education_name}及以上` : ""].filter(Boolean).join("，");
        return el("tr", {},
          td("课程", el("div", { class: "cell-title", text: c.title })),
          td("工种", el("div", { text: c.trade_name }), code(c.trade_code)),
          td("类型", c.kind_label || COURSE_KINDS[c.kind] || c.kind),
          td("学时", String(c.hours)),
          td("技能等级", c.skill_level ? SKILL_LEVELS[c.skill_level] || c.skill_level : "—"),
          td("证书", c.certificate ? "可取证" : "—"),
          td("对象", who || "不限"),
          td("说明", c.description ? el("div", { class: "desc", text: c.description }) : "—"),
          manage ? td("操作", el("button", {
            type: "button", class: "btn btn-sm", text: "开班",
            title: "用该课程新建培训班（草稿）",
            onclick: () => openSessionCreate(s.id, c.id),
          })) : null);
      }), { cls: "cards-on-phone" })
      : el("p", { class: "empty", text: "尚未开设课程。" }));

    return el("div", {}, head, flashBox,
      el("div", { class: "show-grid" }, majors, trades, teachers, equipment),
      courses,
      manage ? schoolForms(s) : null);
  }

  // ---------------------------------------------------------------- school forms (school / admin)

  function formCard(key, title, form) {
    return el("details", { class: "card form-card", dataset: { key } }, el("summary", { text: title }), form);
  }

  function makeForm(build, submit) {
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

  function schoolForms(school) {
    const base = `/api/schools/${encodeURIComponent(school.id)}`;
    const done = (key, text) => TABS.schools.open(school.id, { keepMessage: text, formKey: key });

    const majorPicker = tradePicker();
    const majorForm = makeForm(() => [
      field("专业名称", el("input", { name: "name", maxlength: 100 }), { name: "name" }),
      field("对应工种", majorPicker.root, { name: "trade_codes", wide: true }),
    ], async (form) => {
      const body = { trade_codes: majorPicker.codes };
      put(body, "name", ctl(form, "name").value);
      const major = await api("POST", `${base}/majors`, { body });
      await done("major", `已新增专业“${major.name}”。`);
    });

    const teacherPicker = tradePicker();
    const teacherForm = makeForm(() => [
      field("姓名", el("input", { name: "name", maxlength: 100 }), { name: "name" }),
      field("职称", el("input", { name: "title", maxlength: 100, placeholder: "如：讲师、农艺师" }), { name: "title" }),
      field("技能等级", select(Object.entries(SKILL_LEVELS), { placeholder: "（无）" }), { name: "skill_level" }),
      field("可教工种", teacherPicker.root, { name: "trade_codes", wide: true }),
    ], async (form) => {
      const body = { trade_codes: teacherPicker.codes };
      put(body, "name", ctl(form, "name").value);
      put(body, "title", ctl(form, "title").value);
      put(body, "skill_level", form.querySelector("[data-field=skill_level] select").value);
      const teacher = await api("POST", `${base}/teachers`, { body });
      await done("teacher", `已新增教师“${teacher.name}”。`);
    });

    const equipmentPicker = tradePicker();
    const equipmentForm = makeForm(() => [
      field("设备名称", el("input", { name: "name", maxlength: 100 }), { name: "name" }),
      field("数量", el("input", { name: "quantity", type: "number", min: 1, max: 100000, step: 1, inputmode: "numeric" }),
        { name: "quantity" }),
      field("适用工种", equipmentPicker.root, { name: "trade_codes", wide: true }),
    ], async (form) => {
      const body = { trade_codes: equipmentPicker.codes };
      put(body, "name", ctl(form, "name").value);
      put(body, "quantity", ctl(form, "quantity").value, "int");
      const item = await api("POST", `${base}/equipment`, { body });
      await done("equipment", `已新增设备“${item.name}”。`);
    });

    const coursePicker = tradePicker({ multiple: false });
    const courseForm = makeForm(() => [
      field("课程名称", el("input", { name: "title", maxlength: 100 }), { name: "title" }),
      field("培训类型", select(Object.entries(COURSE_KINDS), { placeholder: "— 选择 —" }), { name: "kind" }),
      field("工种", coursePicker.root, { name: "trade_code", wide: true }),
      field("学时", el("input", { name: "hours", type: "number", min: 1, max: 5000, inputmode: "numeric" }), { name: "hours" }),
      field("技能等级", select(Object.entries(SKILL_LEVELS), { placeholder: "（不定级）" }), { name: "skill_level" }),
      field("结业发证", el("label", { class: "check" }, el("input", { type: "checkbox", name: "certificate" }), " 可取得职业技能等级证书"),
        { name: "certificate" }),
      field("最低年龄", el("input", { name: "min_age", type: "number", min: 0, max: 120, inputmode: "numeric" }), { name: "min_age" }),
      field("最高年龄", el("input", { name: "max_age", type: "number", min: 0, max: 120, inputmode: "numeric" }), { name: "max_age" }),
      field("最低学历", select(EDUCATION_LEVELS, { placeholder: "（不限）" }), { name: "min_education" }),
      field("课程说明", el("textarea", { name: "description", rows: 2, maxlength: 2000 }), { name: "description", wide: true }),
    ], async (form) => {
      const body = { school_id: school.id, certificate: ctl(form, "certificate").checked };
      put(body, "title", ctl(form, "title").value);
      put(body, "trade_code", coursePicker.code);
      put(body, "kind", form.querySelector("[data-field=kind] select").value);
      put(body, "hours", ctl(form, "hours").value, "int");
      put(body, "skill_level", form.querySelector("[data-field=skill_level] select").value);
      put(body, "min_age", ctl(form, "min_age").value, "int");
      put(body, "max_age", ctl(form, "max_age").value, "int");
      put(body, "min_education", form.querySelector("[data-field=min_education] select").value);
      put(body, "description", ctl(form, "description").value);
      const course = await api("POST", "/api/courses", { body });
      await done("course", `已新增课程“${course.title}”。可在课程表中点“开班”新建培训班。`);
    });

    return el("section", { class: "manage" },
      el("h3", { text: "维护本校信息" }),
      small(auth.role === "school"
        ? "学校账号只能修改本校信息；对其他学校提交会被拒绝（无权操作）。"
        : "管理员可维护本县各学校的信息。", "hint"),
      el("div", { class: "form-cards" },
        formCard("major", "＋ 新增专业（晒专业）", majorForm),
        formCard("teacher", "＋ 新增教师（晒师资）", teacherForm),
        formCard("equipment", "＋ 新增设备（晒设备）", equipmentForm),
        formCard("course", "＋ 新增课程", courseForm)));
  }

  // ================================================================ 培训班（亮时间表）

  TABS.sessions = {
    offset: 0,
    limit: 20,
    filters: {},
    township: null,
    trade: null,
    createForm: null,
    init() {
      const form = $("#session-filter");
      const msg = $("#session-msg");
      form.replaceChildren();
      this.township = regionPicker({ depth: "township", optional: true, msgBox: msg });
      this.trade = tradePicker({ multiple: false, placeholder: "全部工种（输入搜索）" });
      const status = select(Object.entries(SESSION_STATUS), { placeholder: "全部状态" });
      const from = el("input", { type: "date", name: "starts_from" });
      const to = el("input", { type: "date", name: "starts_to" });
      const size = select(PAGE_SIZES.map((n) => [String(n), `${n} 条`]), { value: String(this.limit) });
      const reset = el("button", { type: "button", class: "btn", text: "重置" });
      form.append(
        this.township.root,
        field("状态", status, { name: "status", cls: "field-narrow" }),
        field("工种", this.trade.root, { name: "trade_code", cls: "field-trade" }),
        field("开始日期（起）", from, { name: "starts_from" }),
        field("开始日期（止）", to, { name: "starts_to" }),
        field("每页", size, { name: "limit", cls: "field-narrow" }),
        el("div", { class: "field field-actions" },
          el("button", { type: "submit", class: "btn btn-primary", text: "查询" }), reset));
      form.onsubmit = (e) => {
        e.preventDefault();
        if (from.value && to.value && from.value > to.value) {
          showProblem(msg, localProblem([{ field: "starts_to", message: "不能早于“开始日期（起）”" }], "筛选条件有误"), form);
          return;
        }
        this.filters = {
          township_code: this.township.value, status: status.value, trade_code: this.trade.code,
          starts_from: from.value, starts_to: to.value,
        };
        this.limit = Number(size.value) || 20;
        this.offset = 0;
        this.load();
      };
      reset.onclick = async () => {
        status.value = ""; from.value = ""; to.value = ""; this.trade.clear();
        form.querySelector('[aria-label="乡镇"]').value = "";
        this.filters = {};
        this.offset = 0;
        this.load();
      };
      const slot = $("#session-create-slot");
      slot.replaceChildren();
      if (canManage()) slot.append(this.buildCreate());
      this.filters = {};
      this.offset = 0;
      this.load();
    },
    reset() {
      $("#session-filter").replaceChildren();
      $("#session-create-slot").replaceChildren();
      $("#session-result").replaceChildren();
      hideMsg($("#session-msg"));
      this.createForm = null;
    },
    async load() {
      const msg = $("#session-msg");
      const out = $("#session-result");
      const form = $("#session-filter");
      await loadInto(out, msg, form, async () => {
        const page = await api("GET", "/api/sessions", { query: { ...this.filters, limit: this.limit, offset: this.offset } });
        if (auth.role === "school" && !this.me) this.me = await whoAmI().catch(() => null);
        return this.render(page);
      });
    },
    render(page) {
      const items = page.items || [];
      const from = items.length ? page.offset + 1 : 0;
      const to = page.offset + items.length;
      const pager = () => el("div", { class: "pager" },
        el("span", { text: `共 ${page.total} 个培训班` + (items.length ? `，第 ${from}–${to} 个` : "") }),
        el("button", {
          type: "button", class: "btn btn-sm", text: "上一页", disabled: page.offset <= 0,
          onclick: () => { this.offset = Math.max(0, page.offset - page.limit); this.load(); },
        }),
        el("button", {
          type: "button", class: "btn btn-sm", text: "下一页", disabled: to >= page.total,
          onclick: () => { this.offset = page.offset + page.limit; this.load(); },
        }));
      if (!items.length) return el("div", {}, pager(), el("p", { class: "empty", text: "没有符合条件的培训班。" }));
      const manage = canManage();
      const headers = ["培训班", "学校", "工种", "日期", "地点", "名额", "教师", "状态"];
      if (manage || ROSTER_ROLES.includes(auth.role)) headers.push("操作");
      const rows = [];
      for (const s of items) rows.push(...this.row(s, manage, headers.length));
      return el("div", {}, pager(), table(headers, rows, { cls: "cards-on-phone" }), items.length > 10 ? pager() : null);
    },
    /** 取消培训班: admins, and the school that runs the session. */
    canCancel(s) {
      return auth.role === "admin" || (auth.role === "school" && !!this.me && this.me.school_id === s.school_id);
    },
    cancel(s, resultRow, box, slot) {
      hideMsg(box);
      const form = makeForm(() => [
        el("p", { class: "wide form-lead", text: `取消“${s.course_title}”（${dateRange(s.starts_on, s.ends_on)}）：已报名和候补的人一并取消，名额释放。取消后不能恢复。` }),
        field("取消原因", el("input", { type: "text", name: "reason", maxlength: 500 }), { name: "reason", wide: true }),
      ], async (f) => {
        const reason = ctl(f, "reason").value.trim();
        if (!reason) throw localProblem([{ field: "reason", message: "请填写取消原因" }]);
        const updated = await api("POST", `/api/sessions/${encodeURIComponent(s.id)}/cancel`, { body: { reason } });
        slot.replaceChildren();
        showOk(box, `“${updated.course_title}”（${dateRange(updated.starts_on, updated.ends_on)}）已取消，报名的人一并取消。`);
        resultRow.previousElementSibling.replaceWith(this.row(updated, canManage(), resultRow.firstChild.colSpan, resultRow)[0]);
      });
      form.querySelector("button[type=submit]").textContent = "确认取消";
      slot.replaceChildren(form);
      resultRow.hidden = false;
    },
    /** 报名名单: admins and officials, and the school that runs the session. */
    canRoster(s) {
      if (auth.role === "admin" || auth.role === "official") return true;
      return auth.role === "school" && !!this.me && this.me.school_id === s.school_id;
    },
    row(s, manage, span, reuse) {
      const resultRow = reuse || el("tr", { class: "row-result", hidden: true },
        el("td", { colspan: span }, el("div", { class: "msg", hidden: true, role: "alert" }), el("div", { class: "roster-slot" })));
      const box = resultRow.querySelector(".msg");
      const slot = resultRow.querySelector(".roster-slot");
      const ops = [];
      if (manage && s.status === "draft") {
        ops.push(el("button", {
          type: "button", class: "btn btn-sm btn-primary", text: "发布",
          onclick: (e) => this.publish(s, e.currentTarget, resultRow, box),
        }));
      }
      if ((s.status === "draft" || s.status === "published") && this.canCancel(s)) {
        ops.push(el("button", {
          type: "button", class: "btn btn-sm btn-danger", text: "取消培训班",
          onclick: () => this.cancel(s, resultRow, box, slot),
        }));
      }
      if (s.status === "published" && this.canRoster(s)) {
        const rosterButton = el("button", { type: "button", class: "btn btn-sm", text: "报名名单", "aria-expanded": "false" });
        rosterButton.addEventListener("click", () => {
          if (slot.childElementCount) {
            slot.replaceChildren();
            resultRow.hidden = box.hidden;
            rosterButton.setAttribute("aria-expanded", "false");
            return;
          }
          slot.append(rosterPanel(s));
          resultRow.hidden = false;
          rosterButton.setAttribute("aria-expanded", "true");
        });
        ops.push(rosterButton);
      }
      const showOps = manage || ROSTER_ROLES.includes(auth.role);
      const action = ops.length ? el("div", { class: "row-actions" }, ops) : el("span", { class: "muted", text: "—" });
      const row = el("tr", { class: `status-${s.status}` },
        td("培训班", el("div", { class: "cell-title", text: s.course_title }),
          el("div", { class: "cell-sub", text: COURSE_KINDS[s.course_kind] || s.course_kind }),
          s.schedule ? small(s.schedule) : null),
        td("学校", s.school_name),
        td("工种", el("div", { text: s.trade_name }), code(s.trade_code)),
        td("日期", el("div", { class: "nowrap", text: dateRange(s.starts_on, s.ends_on) }), small(days(s.starts_on, s.ends_on))),
        td("地点", el("div", { text: `${s.township_name} ${s.village_name}` }), s.venue ? small(s.venue) : null),
        td("名额", seatsCell(s)),
        td("教师", s.teachers && s.teachers.length ? s.teachers.map((t) => t.name).join("、") : el("span", { class: "warn-text", text: "未指定" })),
        td("状态", badge(s.status_label || SESSION_STATUS[s.status] || s.status, `status status-${s.status}`)),
        showOps ? td("操作", action) : null);
      return [row, resultRow];
    },
    async publish(s, button, resultRow, box) {
      resultRow.hidden = false;
      hideMsg(box);
      await withBusy(button, async () => {
        try {
          const updated = await api("POST", `/api/sessions/${encodeURIComponent(s.id)}/publish`);
          showOk(box, `“${updated.course_title}”（${dateRange(updated.starts_on, updated.ends_on)}）已发布，已进入相关村的培训菜单。`);
          const row = resultRow.previousElementSibling;
          const fresh = this.row(updated, true, resultRow.firstChild.colSpan, resultRow)[0];
          row.replaceWith(fresh);
        } catch (err) {
          showProblem(box, err);
        }
      });
    },

    // ---- 新建培训班 (POST /api/courses/{course_id}/sessions)
    buildCreate() {
      const msg = el("div", { class: "msg", hidden: true, role: "alert" });
      const schoolSel = select([], { placeholder: "加载中…" });
      const courseSel = select([], { placeholder: "— 先选学校 —" });
      const teacherBox = el("div", { class: "teacher-box" }, small("先选学校和课程。"));
      const village = regionPicker({ depth: "village", msgBox: msg });
      const button = el("button", { type: "submit", class: "btn btn-primary", text: "保存为草稿" });
      let courses = [];
      let teachers = [];

      const renderTeachers = () => {
        teacherBox.replaceChildren();
        const course = courses.find((c) => c.id === courseSel.value);
        if (!teachers.length) {
          teacherBox.append(small(schoolSel.value ? "该校尚未登记教师。" : "先选学校和课程。"));
          return;
        }
        for (const t of teachers) {
          const fits = course && (t.trade_codes || []).includes(course.trade_code);
          teacherBox.append(el("label", { class: `check teacher ${fits ? "fits" : ""}`.trim() },
            el("input", { type: "checkbox", name: "teacher_ids", value: t.id }),
            ` ${t.name}`, t.title ? small(`（${t.title}）`) : null,
            fits ? badge("可教本工种", "badge-green") : null));
        }
      };

      const loadSchool = async (schoolId, courseId) => {
        courses = [];
        teachers = [];
        courseSel.replaceChildren(el("option", { value: "", text: schoolId ? "加载中…" : "— 先选学校 —" }));
        renderTeachers();
        if (!schoolId) return;
        try {
          const [coursePage, teacherList] = await Promise.all([
            api("GET", "/api/courses", { query: { school_id: schoolId, limit: 500 } }),
            api("GET", `/api/schools/${encodeURIComponent(schoolId)}/teachers`),
          ]);
          courses = coursePage.items;
          teachers = teacherList;
          courseSel.replaceChildren(el("option", { value: "", text: courses.length ? "— 选择课程 —" : "（该校还没有课程）" }));
          for (const c of courses) {
            courseSel.append(el("option", { value: c.id, text: `${c.title}（${c.trade_name} ${c.trade_code}）` }));
          }
          if (courseId) courseSel.value = courseId;
          renderTeachers();
        } catch (err) {
          courseSel.replaceChildren(el("option", { value: "", text: "加载失败" }));
          showProblem(msg, err);
        }
      };

      schoolSel.addEventListener("change", () => loadSchool(schoolSel.value));
      courseSel.addEventListener("change", renderTeachers);

      const form = el("form", { class: "grid-form", novalidate: true },
        field("学校", schoolSel, { name: "school_id" }),
        field("课程", courseSel, { name: "course_id", wide: true }),
        field("开始日期", el("input", { type: "date", name: "starts_on" }), { name: "starts_on" }),
        field("结束日期", el("input", { type: "date", name: "ends_on" }), { name: "ends_on" }),
        field("招生人数", el("input", { type: "number", name: "capacity", min: 0, max: 10000, inputmode: "numeric" }), { name: "capacity" }),
        el("div", { class: "field wide region-field", dataset: { field: "village_code", label: "培训地点（村）" } },
          el("span", { class: "label-like", text: "培训地点（村）" }), village.root),
        field("具体地点", el("input", { name: "venue", maxlength: 200, placeholder: "如：村委会活动室" }), { name: "venue", wide: true }),
        el("div", { class: "field wide", dataset: { field: "teacher_ids", label: "授课教师" } },
          el("span", { class: "label-like", text: "授课教师（发布时至少要有一名能教该工种的教师）" }), teacherBox),
        field("教学安排", el("textarea", { name: "schedule", rows: 2, maxlength: 2000, placeholder: "如：每天 9:00-12:00、14:00-17:00" }),
          { name: "schedule", wide: true }),
        el("div", { class: "field field-actions wide" }, button),
        msg);

      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        hideMsg(msg);
        const missing = [];
        if (!schoolSel.value) missing.push({ field: "school_id", message: "请选择学校" });
        if (!courseSel.value) missing.push({ field: "course_id", message: "请选择课程" });
        if (missing.length) { showProblem(msg, localProblem(missing), form); return; }
        const body = {
          teacher_ids: [...teacherBox.querySelectorAll("input[name=teacher_ids]:checked")].map((i) => i.value),
        };
        put(body, "starts_on", ctl(form, "starts_on").value);
        put(body, "ends_on", ctl(form, "ends_on").value);
        put(body, "village_code", village.value);
        put(body, "capacity", ctl(form, "capacity").value, "int");
        put(body, "venue", ctl(form, "venue").value);
        put(body, "schedule", ctl(form, "schedule").value);
        await withBusy(button, async () => {
          try {
            const created = await api("POST", `/api/courses/${encodeURIComponent(courseSel.value)}/sessions`, { body });
            showOk(msg, `已保存草稿：“${created.course_title}”，${dateRange(created.starts_on, created.ends_on)}，${created.township_name}${created.village_name}。在下表中点“发布”后才会进入培训菜单。`);
            this.filters = { status: "draft" };
            const statusSel = $("#session-filter [data-field=status] select");
            if (statusSel) statusSel.value = "draft";
            this.offset = 0;
            await this.load();
          } catch (err) {
            showProblem(msg, err, form);
          }
        });
      });

      const schoolsReady = (async () => {
        try {
          const page = await api("GET", "/api/schools", { query: { limit: 100 } });
          schoolSel.replaceChildren(el("option", { value: "", text: "— 选择学校 —" }));
          for (const s of page.items) schoolSel.append(el("option", { value: s.id, text: s.name }));
          if (page.items.length === 1) { schoolSel.value = page.items[0].id; loadSchool(schoolSel.value); }
        } catch (err) {
          schoolSel.replaceChildren(el("option", { value: "", text: "加载失败" }));
          showProblem(msg, err);
        }
      })();

      const details = el("details", { class: "card form-card", id: "session-create" },
        el("summary", { text: "＋ 新建培训班（从课程开班，保存为草稿）" }), form);
      this.createForm = {
        details,
        async preset(schoolId, courseId) {
          details.open = true;
          await schoolsReady;
          schoolSel.value = schoolId;
          await loadSchool(schoolId, courseId);
        },
      };
      return details;
    },
  };

  // ---------------------------------------------------------------- 报名名单 / 考勤 / 结业 / 就业 (enrolment)

  const ROSTER_ROLES = ["admin", "official", "school"];
  const ENROL_STATUS_BADGES = {
    enrolled: "badge-green", waitlisted: "badge-amber", withdrawn: "", dropped: "badge-red", completed: "badge-blue",
    cancelled: "",
  };
  const ENROL_STATUS = { enrolled: "已报名", waitlisted: "候补", completed: "已结业", withdrawn: "已退出", dropped: "已除名", cancelled: "已取消" };
  const ROSTER_PAGE = 50;
  const PLACE_LABELS = { local: "本地就业", migrant: "外出务工" };
  Object.assign(FIELD_LABELS, {
    reason: "原因", completed_on: "结业日期", passed: "考核结果", certificate_no: "证书编号", override_reason: "出勤不足结业原因",
    employed_on: "就业日期", place: "就业地", employer: "就业单位", monthly_income: "月收入", date: "考勤日期",
    present: "出勤学员", person_id: "人员", source: "报名来源", session_id: "培训班",
  });

  /** A fresh Idempotency-Key: crypto.randomUUID where the page is a secure context, else from getRandomValues. */
  function newIdempotencyKey() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function clampDate(value, from, to) {
    if (from && value < from) return from;
    if (to && value > to) return to;
    return value;
  }

  function attendanceText(e) {
    if (!e.recorded_days) return "未记考勤";
    return `${e.attended_days}/${e.recorded_days} 天（${Math.round((e.attended_days / e.recorded_days) * 100)}%）`;
  }

  function completionCell(e) {
    if (e.status !== "completed") return [dash()];
    return [
      el("div", {}, e.completed_on || "", " ", e.passed ? badge("合格", "badge-green") : badge("不合格", "badge-red")),
      e.skill_level ? small(SKILL_LEVELS[e.skill_level] || e.skill_level) : null,
      e.certificate_no ? el("div", {}, code(e.certificate_no)) : null,
    ];
  }

  function statusCell(e) {
    return [badge(e.status_label || e.status, ENROL_STATUS_BADGES[e.status] || ""),
      e.reason ? el("div", { class: "desc" }, small(`原因：${e.reason}`)) : null];
  }

  /** The roster of a published session, with the school's actions, 记考勤 and 上传签到表. */
  function rosterPanel(s) {
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
      const today = todayLocal();
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
      const today = todayLocal();
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
      const today = todayLocal();
      const form = makeForm(() => [
        field("考勤日期", el("input", { type: "date", name: "date", min: s.starts_on, max: s.ends_on < today ? s.ends_on : today,
          value: clampDate(today, s.starts_on, s.ends_on) }), { name: "date" }),
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

    const root = el("div", { class: "roster" },
      el("div", { class: "roster-head" }, el("h4", { text: `报名名单 · ${s.course_title}` }),
        small(`${dateRange(s.starts_on, s.ends_on)} · ${s.school_name || ""}`),
        el("button", { type: "button", class: "btn btn-sm", text: "刷新", onclick: () => load() })),
      small(canAct ? "身份证号已打码。退出、除名后空出的名额自动给候补第一人。" : "身份证号已打码。官员只能查看。", "hint"),
      msg, list,
      canAct ? el("div", { class: "roster-tools" }, attendanceCard(), sheetCard()) : null);
    load();
    return root;
  }

  /** A person's trainings (GET /api/people/{id}/enrolments): status, dates, certificate, subsidy, employment. */
  function trainingsView(personId, name) {
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

  async function openSessionCreate(schoolId, courseId) {
    activateTab("sessions");
    const create = TABS.sessions.createForm;
    if (!create) return;
    await create.preset(schoolId, courseId);
    create.details.scrollIntoView({ block: "start", behavior: "smooth" });
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

  // ================================================================ 农户台账 / 两后生 / 台账导入导出 / 审计日志

  const SEES_PEOPLE = ["admin", "official", "surveyor"];
  const WRITES_PEOPLE = ["admin", "surveyor"];
  const canSeePeople = () => SEES_PEOPLE.includes(auth.role);
  const canWritePeople = () => WRITES_PEOPLE.includes(auth.role);
  const POVERTY_LABELS = { registered_poor: "建档立卡贫困户", lifted: "脱贫户", monitored: "监测户", ordinary: "一般农户" };
  const POVERTY_BADGES = { registered_poor: "badge-red", lifted: "badge-green", monitored: "badge-amber", ordinary: "" };
  const MONITOR_LABELS = { unstable: "脱贫不稳定户", marginal: "边缘易致贫户", sudden_hardship: "突发严重困难户" };
  const LABOUR_LABELS = { full: "劳动力", weak: "弱劳动力", lost: "丧失劳动力", none: "无劳动力" };
  const WORK_LABELS = { farming: "务农", local_work: "本地务工", migrant: "外出务工", unemployed: "无业", student: "在校学生" };
  const SEX_LABELS = { male: "男", female: "女" };
  const POVERTY_CAUSES = ["因病", "因残", "因学", "因灾", "缺劳力", "缺技术", "缺资金", "缺土地", "缺水", "交通条件落后",
    "自身发展动力不足"];
  const RELATIONS = ["户主", "配偶", "子女", "儿子", "女儿", "儿媳", "女婿", "孙子女", "父母", "兄弟姐妹", "其他"];
  const REVEAL_SECONDS = 30;
  const MAX_UPLOAD_MB = 40;
  const REJECTED_SHOWN = 1000;
  const AUDIT_ACTIONS = { create: "新增", update: "修改", publish: "发布", reveal: "查看完整号码", import: "导入" };
  const AUDIT_OBJECTS = {
    household: "农户", person: "人员", survey: "需求调查", ledger: "台账导入", ledger_export: "台账导出", school: "学校",
    major: "专业", teacher: "教师", equipment: "设备", course: "课程", session: "培训班", package: "培训资源包",
  };
  const AUDIT_KEYS = {
    fields: "字段", members: "成员数", household_id: "农户", person_id: "人员", rows: "行数", rejected_rows: "错误行数",
    mode: "方式", people: "人数", village_code: "村", source: "来源", surveyed_on: "调查日期", desired_trades: "意向工种",
    name: "名称", school_id: "学校", course_id: "课程", trade_codes: "工种", trade_code: "工种",
    households: "农户数", surveys: "调查数", households_created: "新增农户", households_updated: "更新农户",
    people_created: "新增人员", people_updated: "更新人员", surveys_created: "新增调查",
  };
  const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  Object.assign(FIELD_LABELS, {
    head_name: "户主姓名", household_no: "户编号", poverty_status: "家庭属性", lifted_year: "脱贫年度",
    monitor_type: "监测类型", risk_removed: "风险是否消除", poverty_causes: "致贫原因", members: "成员", phone: "电话",
    surveyed_on: "调查日期", desired_trades: "意向工种", training_kind: "培训类型", available_months: "可参训月份",
    can_board: "能否住校", wants_certificate: "想取得证书", wants_job: "希望推荐就业", notes: "备注",
    max_travel_km: "最远可到", file: "台账文件", mode: "导入方式", reveal: "含完整号码", lianghousheng: "两后生",
    since: "起始日期", until: "截止日期", actor: "操作人", action: "动作", object_type: "对象类型", object_id: "对象编号",
  });

  const pad2 = (n) => String(n).padStart(2, "0");
  function todayLocal() {
    const d = new Date();
    return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  }
  function dateTime(value) {
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return String(value || "—");
    return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  }
  const dash = () => el("span", { class: "muted", text: "—" });

  /** 名额: seats left of capacity, with how many hold a seat and wait, as the server counts them. */
  function seatsCell(x) {
    return [el("span", { class: x.seats_left <= 0 ? "seats seats-full" : "seats" }, `余 ${x.seats_left}/${x.capacity}`),
      small(`已报 ${x.enrolled ?? 0}` + (x.waitlisted ? ` · 候补 ${x.waitlisted}` : ""))];
  }

  /** 上一页 / 下一页 under a paged list ({items, total, limit, offset}). */
  function pagerBar(page, noun, go) {
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

  /** The parent whose children list holds a region code (12 digits): county -> null, township -> county, village -> township. */
  function regionParent(codeValue) {
    if (codeValue.endsWith("000000")) return null;
    if (codeValue.endsWith("000")) return `${codeValue.slice(0, 6)}000000`;
    return `${codeValue.slice(0, 9)}000`;
  }

  async function regionName(codeValue) {
    try {
      const found = (await regions(regionParent(codeValue))).find((r) => r.code === codeValue);
      return found ? found.name : codeValue;
    } catch (_e) {
      return codeValue;
    }
  }

  /** code -> name for the villages of a list (one cached /api/regions call per township). */
  async function villageNames(codes) {
    const names = new Map();
    const townships = [...new Set(codes.filter((c) => /^\d{12}$/.test(c || "")).map(regionParent))];
    await Promise.all(townships.map(async (t) => {
      try { for (const r of await regions(t)) names.set(r.code, r.name); } catch (_e) { /* names stay codes */ }
    }));
    return names;
  }

  let educationPromise = null;
  function educationLevels() {
    if (!educationPromise) {
      educationPromise = api("GET", "/api/education-levels").catch((err) => { educationPromise = null; throw err; });
    }
    return educationPromise;
  }

  function triSelect(placeholder = "（未填）") {
    return select([["true", "是"], ["false", "否"]], { placeholder });
  }
  const triValue = (node) => (node.value === "" ? undefined : node.value === "true");

  function povertyCell(h) {
    const parts = [badge(h.poverty_status_label || POVERTY_LABELS[h.poverty_status] || h.poverty_status,
      POVERTY_BADGES[h.poverty_status] || "")];
    if (h.poverty_status === "lifted" && h.lifted_year) parts.push(small(`${h.lifted_year} 年脱贫`));
    if (h.poverty_status === "monitored") {
      const extra = [MONITOR_LABELS[h.monitor_type] || h.monitor_type, h.risk_removed === true ? "风险已消除"
        : h.risk_removed === false ? "风险未消除" : ""].filter(Boolean).join(" · ");
      if (extra) parts.push(small(extra));
    }
    return parts;
  }

  function needCell(need) {
    if (!need) return el("span", { class: "muted", text: "未调查" });
    const names = need.desired_trade_names && need.desired_trade_names.length
      ? need.desired_trade_names.join("、") : "（未填意向工种）";
    const bits = [need.training_kind ? COURSE_KINDS[need.training_kind] || need.training_kind : "",
      need.available_months && need.available_months.length ? `${need.available_months.join("、")} 月` : ""]
      .filter(Boolean).join(" · ");
    return [el("div", { text: names }), bits ? small(bits) : null, small(`调查于 ${need.surveyed_on}`)];
  }

  function lhsCell(p) {
    return p.lianghousheng
      ? el("span", { class: "badge badge-amber lhs", title: p.lianghousheng_reason || "两后生", tabindex: "0" }, "两后生")
      : el("span", { class: "muted", title: p.lianghousheng_reason || "", text: "—" });
  }

  /**
   * The 操作 cell of a person (surveyors and admins): 查看完整号码 (POST /reveal: shown in place for 30 s,
   * then masked again) and 录入需求调查 (a form in the row below).
   */
  function personActions(p, { idNode, phoneNode, note, resultRow, box, formSlot, onSurveyed }) {
    const buttons = [];
    /** One form or view at a time in the row below; a second click on the same button closes it. */
    const slotButton = (text, build) => {
      const button = el("button", { type: "button", class: "btn btn-sm", text, "aria-expanded": "false" });
      button.addEventListener("click", () => {
        const open = formSlot.childElementCount && formSlot.dataset.owner === text;
        formSlot.replaceChildren();
        for (const b of buttons) b.setAttribute("aria-expanded", "false");
        if (open) { resultRow.hidden = box.hidden; return; }
        formSlot.dataset.owner = text;
        formSlot.append(build());
        resultRow.hidden = false;
        button.setAttribute("aria-expanded", "true");
        const first = formSlot.querySelector("input, select");
        if (first) first.focus();
      });
      buttons.push(button);
      return button;
    };
    const trainingsButton = slotButton("培训记录", () => trainingsView(p.id, p.name));
    const recommendButton = slotButton("推荐培训班", () => recommendationsView(p));
    if (!canWritePeople()) return el("div", { class: "row-actions" }, recommendButton, trainingsButton);
    let timer = null;
    let left = 0;
    const revealButton = el("button", { type: "button", class: "btn btn-sm", text: "查看完整号码", title: "查看会记入审计日志" });
    const remask = () => {
      clearInterval(timer);
      timer = null;
      idNode.textContent = p.id_number;
      phoneNode.textContent = p.phone || "—";
      idNode.classList.remove("revealed");
      phoneNode.classList.remove("revealed");
      note.hidden = true;
      revealButton.textContent = "查看完整号码";
      revealButton.title = "查看会记入审计日志";
    };
    const tick = () => { note.textContent = `已记入审计日志 · ${left} 秒后重新打码`; };
    revealButton.addEventListener("click", async () => {
      if (timer) { remask(); return; }
      resultRow.hidden = !formSlot.childElementCount;
      hideMsg(box);
      let revealed = null;
      await withBusy(revealButton, async () => {
        try {
          revealed = await api("POST", `/api/people/${encodeURIComponent(p.id)}/reveal`);
        } catch (err) {
          resultRow.hidden = false;
          showProblem(box, err);
        }
      });
      if (!revealed) return;
      idNode.textContent = revealed.id_number;
      phoneNode.textContent = revealed.phone || "—";
      idNode.classList.add("revealed");
      if (revealed.phone) phoneNode.classList.add("revealed");
      left = REVEAL_SECONDS;
      note.hidden = false;
      tick();
      revealButton.textContent = "隐藏";
      revealButton.title = "立即重新打码";
      timer = setInterval(() => {
        left -= 1;
        if (left <= 0 || !idNode.isConnected) remask(); else tick();
      }, 1000);
    });

    const surveyButton = slotButton("录入需求调查", () => surveyForm(p, onSurveyed));
    const enrolButton = slotButton("报名", () => enrolForm(p));
    enrolButton.classList.add("btn-primary");
    return el("div", { class: "row-actions" }, revealButton, surveyButton, enrolButton, recommendButton, trainingsButton);
  }

  /** 报名: pick a published session, POST with an Idempotency-Key that is kept when the same click is retried. */
  function enrolForm(p) {
    const sessionSel = select([], { placeholder: "加载中…" });
    let key = null;
    let keyFor = "";
    const form = makeForm(() => [
      el("p", { class: "wide form-lead", text: `为 ${p.name} 报名已发布的培训班。有名额即录取，满员则按报名先后候补。` }),
      field("培训班", sessionSel, { name: "session_id", wide: true }),
    ], async (f, box) => {
      if (!sessionSel.value) throw localProblem([{ field: "session_id", message: "请选择培训班" }]);
      if (keyFor !== sessionSel.value || !key) { key = newIdempotencyKey(); keyFor = sessionSel.value; }
      try {
        const e = await api("POST", `/api/sessions/${encodeURIComponent(sessionSel.value)}/enrolments`, {
          body: { person_id: p.id, source: "surveyor" }, headers: { "Idempotency-Key": key },
        });
        key = null; // answered: the next click is a new sign-up
        if (e.status === "waitlisted") {
          showInfo(box, el("strong", { text: `${e.person_name} 已进入候补：候补第 ${e.waitlist_position} 位` }),
            el("p", { text: `“${e.course_title}”（${dateRange(e.starts_on, e.ends_on)}）已满员；有人退出时按候补顺序递补。` }));
        } else {
          showOk(box, el("strong", { text: `${e.person_name} 已报名` }),
            el("p", { text: `“${e.course_title}”（${dateRange(e.starts_on, e.ends_on)}），状态：${e.status_label || e.status}。` }));
        }
      } catch (err) {
        // No answer (network) or a server error: keep the key so that retrying cannot sign up twice.
        if (err.status >= 400 && err.status < 500) key = null;
        throw err;
      }
    });
    form.querySelector("button[type=submit]").textContent = "报名";
    (async () => {
      try {
        const page = await api("GET", "/api/sessions", { query: { status: "published", limit: 100 } });
        const items = page.items || [];
        sessionSel.replaceChildren(el("option", { value: "", text: items.length ? "— 选择培训班 —" : "（没有已发布的培训班）" }));
        for (const s of items) {
          sessionSel.append(el("option", {
            value: s.id,
            text: `${s.course_title} · ${s.school_name} · ${dateRange(s.starts_on, s.ends_on)} · ${s.township_name}${s.village_name} · ${s.seats_left > 0 ? `余 ${s.seats_left}/${s.capacity}` : `已满，候补 ${s.waitlisted ?? 0} 人，可候补`}`,
          }));
        }
        if (page.total > items.length) sessionSel.append(el("option", { value: "", disabled: true, text: `……共 ${page.total} 个，仅列出前 ${items.length} 个` }));
      } catch (err) {
        sessionSel.replaceChildren(el("option", { value: "", text: "加载失败" }));
        showProblem(form.querySelector(".msg"), err, form);
      }
    })();
    return form;
  }

  /** A row per person plus a hidden row below it for messages and the survey form. */
  function personRows(p, columns, { span, onSurveyed }) {
    const idNode = el("span", { class: "code id-number", text: p.id_number });
    const phoneNode = el("span", { class: "code", text: p.phone || "—" });
    const note = el("small", { class: "reveal-note", hidden: true, role: "status" });
    const box = el("div", { class: "msg", hidden: true, role: "alert" });
    const formSlot = el("div", { class: "survey-slot" });
    const resultRow = el("tr", { class: "row-result", hidden: true }, el("td", { colspan: span }, box, formSlot));
    const cells = {
      name: () => td("姓名", el("div", { class: "cell-title", text: p.name }), p.ethnicity ? small(p.ethnicity) : null),
      id: () => td("身份证号", idNode, note),
      sex: () => td("性别", SEX_LABELS[p.sex] || p.sex),
      age: () => td("年龄", String(p.age)),
      relation: () => td("与户主关系", p.relation),
      education: () => td("文化程度", p.education_name || p.education,
        p.in_school ? small("在校") : p.left_school_year ? small(`${p.left_school_year} 年离校`) : null),
      labour: () => td("劳动能力", LABOUR_LABELS[p.labour_capacity] || p.labour_capacity),
      work: () => td("务工状况", WORK_LABELS[p.work_status] || p.work_status),
      phone: () => td("电话", phoneNode),
      lhs: () => td("两后生", lhsCell(p)),
      reason: () => td("两后生原因", el("div", { class: "desc", text: p.lianghousheng_reason || "—" })),
      need: () => td("当前培训需求", needCell(p.current_need)),
    };
    const row = el("tr", { class: p.lianghousheng ? "row-lhs" : "", dataset: { person: p.id } },
      columns.map((c) => (typeof c === "function" ? c(p) : cells[c]())),
      td("操作", personActions(p, { idNode, phoneNode, note, resultRow, box, formSlot, onSurveyed })));
    return [row, resultRow];
  }

  // ---------------------------------------------------------------- 培训需求调查 (POST /api/people/{id}/surveys)

  function surveyForm(p, onSurveyed) {
    const trades = tradePicker({ max: 3 });
    const months = el("div", { class: "months" });
    for (let m = 1; m <= 12; m += 1) {
      months.append(el("label", { class: "check" }, el("input", { type: "checkbox", name: "available_months", value: m }), `${m}月`));
    }
    const kind = select(Object.entries(COURSE_KINDS), { placeholder: "（未填）" });
    const board = triSelect();
    const cert = triSelect();
    const job = triSelect();
    const form = makeForm(() => [
      el("div", { class: "wide form-title" }, el("strong", { text: `为 ${p.name} 录入培训需求调查` }),
        small(" 每次调查都会保留，最新一次为当前需求。", "hint")),
      field("调查日期", el("input", { type: "date", name: "surveyed_on", value: todayLocal(), max: todayLocal() }),
        { name: "surveyed_on" }),
      field("培训类型", kind, { name: "training_kind" }),
      field("能否住校", board, { name: "can_board" }),
      field("想取得职业技能等级证书", cert, { name: "wants_certificate" }),
      field("培训后希望推荐就业", job, { name: "wants_job" }),
      field("最远可到（公里）", el("input", { type: "number", name: "max_travel_km", min: 0, max: 2000, inputmode: "numeric" }),
        { name: "max_travel_km" }),
      field("意向工种（最多 3 个，按意向先后选）", trades.root, { name: "desired_trades", wide: true }),
      field("可参训月份", months, { name: "available_months", wide: true, hint: "都不选表示任何月份都可以。" }),
      field("备注", el("textarea", { name: "notes", rows: 2, maxlength: 2000 }), { name: "notes", wide: true }),
    ], async (f) => {
      const body = {
        desired_trades: trades.codes,
        available_months: [...months.querySelectorAll("input:checked")].map((i) => Number(i.value)),
      };
      put(body, "surveyed_on", ctl(f, "surveyed_on").value);
      put(body, "training_kind", kind.value);
      put(body, "max_travel_km", ctl(f, "max_travel_km").value, "int");
      for (const [key, node] of [["can_board", board], ["wants_certificate", cert], ["wants_job", job]]) {
        const v = triValue(node);
        if (v !== undefined) body[key] = v;
      }
      put(body, "notes", ctl(f, "notes").value);
      if (!body.surveyed_on) throw localProblem([{ field: "surveyed_on", message: "请填写调查日期" }]);
      const survey = await api("POST", `/api/people/${encodeURIComponent(p.id)}/surveys`, { body });
      const names = survey.desired_trade_names && survey.desired_trade_names.length
        ? `意向工种：${survey.desired_trade_names.join("、")}` : "未填意向工种";
      await onSurveyed(`已为 ${p.name} 录入培训需求调查（${survey.surveyed_on}，${names}）。`);
    });
    form.classList.add("survey-form");
    form.querySelector("button[type=submit]").textContent = "保存调查";
    return form;
  }

  // ---------------------------------------------------------------- 登记农户 (POST /api/households)

  function householdForm(onCreated) {
    const msgTop = el("div", { class: "msg", hidden: true, role: "alert" });
    const village = regionPicker({ depth: "village", msgBox: msgTop });
    const status = select(Object.entries(POVERTY_LABELS), { placeholder: "— 选择 —" });
    const monitor = select(Object.entries(MONITOR_LABELS), { placeholder: "— 选择 —" });
    const risk = triSelect();
    const liftedField = field("脱贫年度", el("input", { type: "number", name: "lifted_year", min: 2013, max: 2100, inputmode: "numeric" }),
      { name: "lifted_year" });
    const monitorField = field("监测类型", monitor, { name: "monitor_type" });
    const riskField = field("风险是否已消除", risk, { name: "risk_removed" });
    const causes = el("div", { class: "checks" }, POVERTY_CAUSES.map((c) => el("label", { class: "check" },
      el("input", { type: "checkbox", name: "poverty_causes", value: c }), c)));
    const causesField = field("致贫原因", causes, { name: "poverty_causes", wide: true, hint: "可多选；一般农户不填。" });
    const relationList = el("datalist", { id: uid("relations") }, RELATIONS.map((r) => el("option", { value: r })));
    const memberBox = el("div", { class: "members wide" });
    const blocks = [];
    let educationOptions = [];
    educationLevels().then((levels) => {
      educationOptions = levels.map((l) => [l.code, `${l.name}（${l.code}）`]);
      for (const b of blocks) b.fillEducation();
    }).catch((err) => showProblem(msgTop, err));

    const syncStatus = () => {
      liftedField.hidden = status.value !== "lifted";
      monitorField.hidden = status.value !== "monitored";
      riskField.hidden = status.value !== "monitored";
      causesField.hidden = status.value === "ordinary";
    };
    status.addEventListener("change", syncStatus);

    function renumber() {
      blocks.forEach((b, i) => {
        b.legend.textContent = i === 0 ? "成员 1（一般为户主本人）" : `成员 ${i + 1}`;
        b.remove.hidden = blocks.length === 1;
        for (const node of b.root.querySelectorAll("[data-key]")) {
          node.dataset.field = `members[${i}].${node.dataset.key}`;
          node.dataset.label = `成员 ${i + 1} ${node.dataset.keyLabel}`;
        }
      });
    }

    function addMember(defaults = {}) {
      const c = {
        name: el("input", { maxlength: 100, autocomplete: "off" }),
        id_number: el("input", { maxlength: 40, autocomplete: "off", spellcheck: "false", inputmode: "text", placeholder: "18 位，末位可为 X" }),
        relation: el("input", { maxlength: 20, list: relationList.id, value: defaults.relation || "" }),
        ethnicity: el("input", { maxlength: 20, placeholder: "如：彝族" }),
        education: select([], { placeholder: "加载中…" }),
        in_school: el("input", { type: "checkbox" }),
        left_school_year: el("input", { type: "number", min: 1940, max: 2100, inputmode: "numeric" }),
        labour_capacity: select(Object.entries(LABOUR_LABELS), { placeholder: "— 选择 —" }),
        work_status: select(Object.entries(WORK_LABELS), { placeholder: "— 选择 —" }),
        phone: el("input", { type: "tel", maxlength: 20, autocomplete: "off" }),
      };
      c.in_school.addEventListener("change", () => { if (c.in_school.checked) c.work_status.value = "student"; });
      const mf = (label, key, control, opts = {}) => {
        const node = field(label, control, { name: key, ...opts });
        node.dataset.key = key;
        node.dataset.keyLabel = label;
        return node;
      };
      const legend = el("legend", {});
      const block = {
        c, legend,
        remove: el("button", {
          type: "button", class: "btn btn-sm", text: "删除此成员",
          onclick: () => {
            blocks.splice(blocks.indexOf(block), 1);
            block.root.remove();
            renumber();
          },
        }),
        fillEducation() {
          const keep = c.education.value;
          c.education.replaceChildren(el("option", { value: "", text: "— 选择 —" }));
          for (const [v, t] of educationOptions) c.education.append(el("option", { value: v, text: t }));
          c.education.value = keep;
        },
      };
      block.root = el("fieldset", { class: "member" }, legend,
        el("div", { class: "grid-form" },
          mf("姓名", "name", c.name),
          mf("身份证号", "id_number", c.id_number, { cls: "field-id" }),
          mf("与户主关系", "relation", c.relation),
          mf("民族", "ethnicity", c.ethnicity),
          mf("文化程度", "education", c.education),
          mf("是否在校", "in_school", el("label", { class: "check" }, c.in_school, " 在校学生")),
          mf("离校年份", "left_school_year", c.left_school_year),
          mf("劳动能力", "labour_capacity", c.labour_capacity),
          mf("务工状况", "work_status", c.work_status),
          mf("电话", "phone", c.phone),
          el("div", { class: "field field-actions" }, block.remove)));
      if (educationOptions.length) block.fillEducation();
      blocks.push(block);
      memberBox.append(block.root);
      renumber();
      return block;
    }

    const headName = el("input", { name: "head_name", maxlength: 100, autocomplete: "off" });
    let lastHead = "";
    headName.addEventListener("input", () => {
      const first = blocks[0];
      if (first && (first.c.name.value === "" || first.c.name.value === lastHead)) first.c.name.value = headName.value;
      lastHead = headName.value;
    });

    const form = makeForm(() => [
      el("div", { class: "field wide region-field", dataset: { field: "village_code", label: "村" } },
        el("span", { class: "label-like", text: "所在村" }), village.root),
      field("户主姓名", headName, { name: "head_name" }),
      field("户编号", el("input", { name: "household_no", maxlength: 40, autocomplete: "off", placeholder: "本县唯一，可不填" }),
        { name: "household_no" }),
      field("家庭属性", status, { name: "poverty_status" }),
      liftedField, monitorField, riskField,
      field("户联系电话", el("input", { name: "phone", type: "tel", maxlength: 20, autocomplete: "off" }), { name: "phone" }),
      causesField,
      el("div", { class: "wide members-head" }, el("h4", { text: "家庭成员" }),
        small("身份证号须为 18 位，性别和出生日期按身份证号自动得出。", "hint")),
      memberBox,
      el("div", { class: "wide" }, el("button", {
        type: "button", class: "btn btn-sm", text: "＋ 添加成员",
        onclick: () => addMember().c.name.focus(),
      }), relationList),
      msgTop,
    ], async (f, msg) => {
      const members = blocks.map((b) => {
        const m = { in_school: b.c.in_school.checked };
        put(m, "name", b.c.name.value);
        put(m, "id_number", b.c.id_number.value.replace(/\s+/g, "").toUpperCase());
        put(m, "relation", b.c.relation.value);
        put(m, "ethnicity", b.c.ethnicity.value);
        put(m, "education", b.c.education.value);
        put(m, "left_school_year", b.c.left_school_year.value, "int");
        put(m, "labour_capacity", b.c.labour_capacity.value);
        put(m, "work_status", b.c.work_status.value);
        put(m, "phone", b.c.phone.value);
        return m;
      });
      const body = { members };
      put(body, "village_code", village.value);
      put(body, "head_name", headName.value);
      put(body, "household_no", ctl(f, "household_no").value);
      put(body, "poverty_status", status.value);
      put(body, "phone", ctl(f, "phone").value);
      if (status.value === "lifted") put(body, "lifted_year", ctl(f, "lifted_year").value, "int");
      if (status.value === "monitored") {
        put(body, "monitor_type", monitor.value);
        const removed = triValue(risk);
        if (removed !== undefined) body.risk_removed = removed;
      }
      if (status.value !== "ordinary") {
        body.poverty_causes = [...causes.querySelectorAll("input:checked")].map((i) => i.value);
      }
      if (!village.value) throw localProblem([{ field: "village_code", message: "请选择乡镇和村" }]);
      let created;
      try {
        created = await api("POST", "/api/households", { body });
      } catch (err) {
        // 409 names the member in its detail ("members[1] 的身份证号已登记…"): say 成员 2, and mark that member's ID field.
        const m = err.status === 409 && /members\[(\d+)\]/.exec(err.problem.detail || "");
        if (m) err.problem.detail = err.problem.detail.replace(/members\[(\d+)\]\s*/g, (_s, i) => `成员 ${Number(i) + 1} `);
        showProblem(msg, err, f);
        const holder = m && [...f.querySelectorAll("[data-field]")].find((n) => n.dataset.field === `members[${m[1]}].id_number`);
        if (holder) {
          holder.classList.add("invalid");
          holder.append(el("div", { class: "field-error", text: "该身份证号已登记" }));
        }
        if (err.status === 409 && err.problem.existing_household_id) {
          msg.append(el("p", {}, el("button", {
            type: "button", class: "btn btn-sm", text: "查看已登记的农户",
            onclick: () => TABS.registry.openHousehold(err.problem.existing_household_id),
          })));
        }
        return;
      }
      // Start again with an empty form for the next household in the same village.
      for (const b of blocks.splice(0)) b.root.remove();
      addMember({ relation: "户主" });
      for (const name of ["household_no", "phone", "lifted_year"]) ctl(f, name).value = "";
      headName.value = "";
      lastHead = "";
      status.value = "";
      syncStatus();
      for (const box of causes.querySelectorAll("input")) box.checked = false;
      showOk(msg, `已登记农户：户主 ${created.head_name}（${created.village_name}，${created.members.length} 人）。`);
      await onCreated(created);
    });
    form.querySelector("button[type=submit]").textContent = "登记农户";
    addMember({ relation: "户主" });
    syncStatus();
    return {
      root: el("details", { class: "card form-card", id: "household-create" },
        el("summary", { text: "＋ 登记农户（户主及全部家庭成员）" }), form),
      setVillage: (v) => village.setVillage(v),
    };
  }

  // ---------------------------------------------------------------- 农户台账 tab

  TABS.registry = {
    view: "households",
    filters: {},
    limit: 20,
    offset: 0,
    picker: null,
    openId: null,
    create: null,
    init() {
      const toolbar = $("#registry-toolbar");
      const msg = $("#registry-msg");
      toolbar.replaceChildren();
      $("#registry-result").replaceChildren();
      $("#registry-detail").replaceChildren();
      $("#registry-create-slot").replaceChildren();
      this.showScope();
      if (!canSeePeople()) {
        toolbar.hidden = true;
        return;
      }
      toolbar.hidden = false;
      this.view = "households";
      this.filters = {};
      this.offset = 0;
      this.openId = null;

      const views = el("div", { class: "seg", role: "group", "aria-label": "查看方式" },
        el("button", { type: "button", class: "seg-btn on", dataset: { view: "households" }, "aria-pressed": "true", text: "按户查看" }),
        el("button", { type: "button", class: "seg-btn", dataset: { view: "lhs" }, "aria-pressed": "false", text: "两后生名单" }));
      this.picker = regionPicker({ depth: "village", optional: true, msgBox: msg });
      const status = select(Object.entries(POVERTY_LABELS), { placeholder: "全部" });
      const q = el("input", { type: "search", name: "q", placeholder: "姓名", maxlength: 50 });
      const size = select(PAGE_SIZES.map((n) => [String(n), `${n} 条`]), { value: String(this.limit) });
      const search = el("button", { type: "button", class: "btn btn-primary", text: "查询" });
      const statusField = field("家庭属性", status, { name: "poverty_status", cls: "field-narrow" });
      const qField = field("姓名", q, { name: "q", cls: "field-narrow" });
      qField.hidden = true;
      toolbar.append(
        el("div", { class: "field field-views" }, el("span", { class: "label-like", text: "查看" }), views),
        this.picker.root, statusField, qField,
        field("每页", size, { name: "limit", cls: "field-narrow" }),
        el("div", { class: "field field-actions" }, search));

      const run = () => {
        clearFieldErrors(toolbar);
        hideMsg(msg);
        if (this.picker.township && !this.picker.value) {
          showProblem(msg, localProblem([{
            field: "village_code", message: "列表只能按村筛选；乡镇也不选则列出您范围内的全部",
          }], "请选择村"), toolbar);
          return;
        }
        this.filters = { village_code: this.picker.value };
        if (this.view === "households") this.filters.poverty_status = status.value;
        else this.filters.q = q.value.trim();
        this.limit = Number(size.value) || 20;
        this.offset = 0;
        this.load();
      };
      search.addEventListener("click", run);
      q.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); run(); } });
      for (const b of views.querySelectorAll(".seg-btn")) {
        b.addEventListener("click", () => {
          if (this.view === b.dataset.view) return;
          this.view = b.dataset.view;
          for (const o of views.querySelectorAll(".seg-btn")) {
            o.classList.toggle("on", o === b);
            o.setAttribute("aria-pressed", o === b ? "true" : "false");
          }
          statusField.hidden = this.view !== "households";
          qField.hidden = this.view === "households";
          $("#registry-detail").replaceChildren();
          this.openId = null;
          run();
        });
      }

      if (canWritePeople()) {
        this.create = householdForm(async (created) => {
          await this.picker.setVillage(created.village_code);
          this.filters = { village_code: created.village_code };
          status.value = "";
          this.offset = 0;
          await this.load();
          await this.openHousehold(created.id, { scroll: false });
        });
        $("#registry-create-slot").append(this.create.root);
      }
      this.load();
    },
    reset() {
      $("#registry-toolbar").replaceChildren();
      $("#registry-result").replaceChildren();
      $("#registry-detail").replaceChildren();
      $("#registry-create-slot").replaceChildren();
      const scope = $("#registry-scope");
      scope.hidden = true;
      scope.replaceChildren();
      hideMsg($("#registry-msg"));
      this.create = null;
      this.openId = null;
    },
    /** Who sees what, from GET /api/auth/me; a school gets the note instead of the lists. */
    async showScope() {
      const box = $("#registry-scope");
      box.hidden = true;
      box.replaceChildren();
      let me;
      try { me = await whoAmI(); } catch (err) { showProblem($("#registry-msg"), err); return; }
      if (me.role === "school") {
        let schoolName = "本校";
        if (me.school_id) {
          try { schoolName = (await api("GET", `/api/schools/${encodeURIComponent(me.school_id)}`)).school.name; } catch (_e) { /* keep 本校 */ }
        }
        box.className = "msg msg-info scope-note";
        box.append(el("strong", { text: `${schoolName}：暂无可查看的农户和人员。` }),
          el("p", { text: "学校账号只能看到报名或参加本校培训班的人员；报名功能上线后，这些人员会列在这里。农户台账由调查员和乡镇、县里的工作人员维护。" }));
        box.hidden = false;
        return;
      }
      let where;
      if (me.role === "admin") where = me.counties ? `${(await Promise.all(me.counties.map((c) => regionName(`${c}000000`)))).join("、")}全部农户` : "所有县的农户";
      else {
        const names = await Promise.all((me.region_codes || []).map(async (c) => {
          if (c.endsWith("000000") || c.endsWith("000")) return regionName(c);
          return `${await regionName(regionParent(c))} ${await regionName(c)}`;
        }));
        where = names.length ? names.join("、") : "（未分配区域）";
      }
      const what = canWritePeople()
        ? "可登记农户、录入培训需求调查、查看完整号码（每次查看都记入审计日志）。"
        : "只读：可查看打码后的身份证号和电话，不能修改台账。";
      box.className = "scope-note";
      box.append(el("span", { class: "muted", text: "您的范围：" }), el("strong", { text: where }), " ", small(what, "muted"));
      box.hidden = false;
    },
    load() {
      return this.view === "households" ? this.loadHouseholds() : this.loadLhs();
    },
    async loadHouseholds() {
      const msg = $("#registry-msg");
      const out = $("#registry-result");
      await loadInto(out, msg, $("#registry-toolbar"), async () => this.renderHouseholds(
        await api("GET", "/api/households", { query: { ...this.filters, limit: this.limit, offset: this.offset } })));
    },
    renderHouseholds(page) {
      const items = page.items || [];
      const go = (offset) => { this.offset = offset; this.loadHouseholds(); };
      const head = el("div", { class: "result-head" }, el("h3", { text: "农户" }),
        small(this.filters.village_code ? "本村农户" : "您范围内的全部农户"));
      if (!items.length) {
        return el("div", {}, head, pagerBar(page, "户", go), el("p", {
          class: "empty",
          text: canWritePeople() ? "没有符合条件的农户。可用上方“登记农户”或“台账导入导出”录入。" : "没有符合条件的农户。",
        }));
      }
      const rows = items.map((h) => {
        const lhs = h.members.filter((m) => m.lianghousheng).length;
        const open = el("button", { type: "button", class: "btn btn-sm", text: "查看成员" });
        const row = el("tr", { class: h.id === this.openId ? "row-click row-active" : "row-click", dataset: { household: h.id } },
          td("户编号", h.household_no ? code(h.household_no) : dash()),
          td("户主", el("div", { class: "cell-title", text: h.head_name }), h.phone ? small(`电话 ${h.phone}`) : null),
          td("村", h.village_name),
          td("家庭属性", povertyCell(h)),
          td("成员", el("span", { class: "seats", text: `${h.members.length} 人` }),
            lhs ? el("div", { class: "cell-badges" }, badge(`两后生 ${lhs}`, "badge-amber")) : null),
          td("操作", open));
        row.addEventListener("click", () => this.openHousehold(h.id));
        return row;
      });
      return el("div", {}, head, pagerBar(page, "户", go),
        table(["户编号", "户主", "村", "家庭属性", "成员", "操作"], rows, { cls: "cards-on-phone households" }),
        items.length > 10 ? pagerBar(page, "户", go) : null);
    },
    async openHousehold(id, { flash, scroll = true } = {}) {
      this.openId = id;
      for (const r of document.querySelectorAll("#registry-result tr[data-household]")) {
        r.classList.toggle("row-active", r.dataset.household === id);
      }
      const out = $("#registry-detail");
      if (!flash) out.replaceChildren(el("p", { class: "loading", text: "加载成员…" }));
      try {
        const h = await api("GET", `/api/households/${encodeURIComponent(id)}`);
        if (this.openId !== id) return;
        out.replaceChildren(this.renderHousehold(h, flash));
        if (scroll && !flash) out.scrollIntoView({ block: "start", behavior: "smooth" });
      } catch (err) {
        const box = el("div", { class: "msg" });
        out.replaceChildren(box);
        showProblem(box, err);
      }
    },
    renderHousehold(h, flash) {
      const flashBox = el("div", { class: "msg", hidden: true, role: "status" });
      if (flash) showOk(flashBox, flash);
      const writer = canWritePeople();
      const columns = ["name", "id", "sex", "age", "relation", "education", "labour", "work", "phone", "lhs", "need"];
      const headers = ["姓名", "身份证号", "性别", "年龄", "与户主关系", "文化程度", "劳动能力", "务工状况", "电话", "两后生", "当前培训需求"];
      headers.push("操作");
      const onSurveyed = (text) => this.openHousehold(h.id, { flash: text });
      const rows = h.members.flatMap((p) => personRows(p, columns, { span: headers.length, onSurveyed }));
      return el("div", { class: "card household-card" },
        el("div", { class: "household-head" },
          el("h3", {}, `户主 ${h.head_name}`, h.household_no ? small(` 户编号 ${h.household_no}`, "count") : null),
          el("button", {
            type: "button", class: "btn btn-sm", text: "收起",
            onclick: () => {
              this.openId = null;
              $("#registry-detail").replaceChildren();
              for (const r of document.querySelectorAll("#registry-result tr.row-active")) r.classList.remove("row-active");
            },
          })),
        el("dl", { class: "facts" },
          el("dt", { text: "村" }), el("dd", {}, h.village_name, " ", code(h.village_code)),
          el("dt", { text: "家庭属性" }), el("dd", {}, povertyCell(h)),
          el("dt", { text: "户联系电话" }), el("dd", { class: "code", text: h.phone || "—" }),
          h.poverty_causes && h.poverty_causes.length ? [el("dt", { text: "致贫原因" }), el("dd", { text: h.poverty_causes.join("、") })] : null,
          el("dt", { text: "登记时间" }), el("dd", { text: dateTime(h.created_at) })),
        flashBox,
        el("div", { class: "result-head" }, el("h3", { text: `家庭成员（${h.members.length} 人）` }),
          small(writer ? "身份证号和电话已打码；“查看完整号码”显示 30 秒后自动重新打码，每次查看都记入审计日志。"
            : "身份证号和电话已打码。", "hint")),
        h.members.length ? table(headers, rows, { cls: "cards-on-phone members-table" })
          : el("p", { class: "empty", text: "该户还没有登记成员。" }));
    },
    async loadLhs() {
      const msg = $("#registry-msg");
      const out = $("#registry-result");
      await loadInto(out, msg, $("#registry-toolbar"), async () => {
        const page = await api("GET", "/api/people", {
          query: { lianghousheng: "true", village_code: this.filters.village_code, q: this.filters.q, limit: this.limit, offset: this.offset },
        });
        const names = await villageNames((page.items || []).map((p) => p.village_code));
        return this.renderLhs(page, names);
      });
    },
    renderLhs(page, names) {
      const items = page.items || [];
      const go = (offset) => { this.offset = offset; this.loadLhs(); };
      const head = el("div", { class: "result-head" }, el("h3", { text: "两后生名单" }),
        small("脱贫户、监测户等家庭中初中或高中毕业后未继续升学的子女，宜引导参加劳动预备制培训。", "hint"));
      if (!items.length) return el("div", {}, head, pagerBar(page, "人", go), el("p", { class: "empty", text: "没有符合条件的两后生。" }));
      const village = (p) => td("村", names.get(p.village_code) || p.village_code);
      const household = (p) => td("农户", el("button", {
        type: "button", class: "btn btn-sm", text: "查看本户",
        onclick: () => this.openHousehold(p.household_id),
      }));
      const columns = ["name", village, "id", "sex", "age", "education", "work", "phone", "reason", "need", household];
      const headers = ["姓名", "村", "身份证号", "性别", "年龄", "文化程度", "务工状况", "电话", "两后生原因", "当前培训需求", "农户"];
      headers.push("操作");
      const onSurveyed = async (text) => {
        await this.loadLhs();
        showOk($("#registry-msg"), text);
      };
      const rows = items.flatMap((p) => personRows(p, columns, { span: headers.length, onSurveyed }));
      return el("div", {}, head, pagerBar(page, "人", go),
        table(headers, rows, { cls: "cards-on-phone members-table" }),
        items.length > 10 ? pagerBar(page, "人", go) : null);
    },
  };

  // ---------------------------------------------------------------- 台账导入导出 tab

  function importResult(r) {
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

  // ---------------------------------------------------------------- 审计日志 tab (admins)

  function changesCell(changes) {
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

  // ================================================================ 推荐与分批次 (recommendations)
  // Kept apart from the rest: a person's recommendations (opened from the registry's person row), a
  // session's candidates for its school, and a village's or township's proposed batch with accept.

  const SIGNS_UP = ["admin", "surveyor", "school"];
  const BATCH_ROLES = ["admin", "official", "surveyor"];
  const percent = (x) => `${Math.round(x * 100)}%`;
  // The model's score is P(报名 | 推荐) × P(结业 | 报名): a ranking figure, not a completion chance, so a
  // clerk should not read "2%" as "2% of finishing".
  const SCORE_HELP = "推荐分＝模型估计的“推荐后会报名”的可能性 × “报名后能结业”的可能性，只用于排序比较；"
    + "不是此人结业的把握（多数人推荐后并不报名，所以分数普遍偏低）。";
  const SCORE_HEADER = { text: "推荐分", title: SCORE_HELP };
  const scoreCell = (x) => td("推荐分", el("span", { title: SCORE_HELP, text: percent(x) }));
  const reasonChips = (reasons) => (reasons && reasons.length
    ? el("div", { class: "chips" }, reasons.map((r) => el("span", { class: "chip", text: r })))
    : dash());

  /** Why a list is empty, and what the hard rules took out before scoring. */
  function excludedNote(body, noun) {
    const parts = [];
    if (body.empty_reason) parts.push(el("p", { class: "empty", text: body.empty_reason }));
    if (body.excluded && body.excluded.length) {
      parts.push(el("p", { class: "muted" }, `按报名规则排除：`,
        body.excluded.map((e, i) => `${i ? "；" : ""}${e.message}（${e.count} ${noun}）`)));
    }
    return parts;
  }

  /** One-click sign-up from something shown: carries its recommendation_id, retried safely with one key. */
  function signUpButton(sessionId, personId, recommendationId, box, label = "一键报名") {
    const button = el("button", { type: "button", class: "btn btn-sm btn-primary", text: label });
    let key = null;
    button.addEventListener("click", () => withBusy(button, async () => {
      hideMsg(box);
      key = key || newIdempotencyKey();
      try {
        const e = await api("POST", `/api/sessions/${encodeURIComponent(sessionId)}/enrolments`, {
          body: { person_id: personId, source: "recommended", recommendation_id: recommendationId },
          headers: { "Idempotency-Key": key },
        });
        key = null;
        button.disabled = true;
        button.textContent = e.status === "waitlisted" ? `候补第 ${e.waitlist_position} 位` : "已报名";
        showOk(box, el("strong", { text: `${e.person_name} ${e.status === "waitlisted" ? "已进入候补" : "已报名"}` }),
          el("p", { text: `“${e.course_title}”（${dateRange(e.starts_on, e.ends_on)}）` }));
      } catch (err) {
        if (err.status >= 400 && err.status < 500) key = null;
        showProblem(box, err);
      }
    }));
    return button;
  }

  /** A person's recommended sessions with reasons (GET /api/people/{id}/recommendations). */
  function recommendationsView(p) {
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
  function candidatesCard() {
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
        const query = { status: "published", limit: 100, starts_from: todayLocal() };
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
  function batchCard() {
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

  function renderBatch(a, msg, show) {
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

  // ---------------------------------------------------------------- start

  window.addEventListener("hashchange", () => {
    const tab = location.hash.replace("#", "");
    if (!views.app.hidden && TABS[tab] && tab !== currentTab) activateTab(tab);
  });

  if (auth.token && !auth.expired) startApp();
  else {
    const wasExpired = auth.token && auth.expired;
    auth.clear();
    showLogin(wasExpired ? "登录已过期，请重新登录。" : "");
  }
})();
