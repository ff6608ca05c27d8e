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
        el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
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

  async function api(method, path, { query, body, withAuth = true } = {}) {
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
    const headers = { Accept: "application/json, application/problem+json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (withAuth && auth.token) headers.Authorization = `Bearer ${auth.token}`;
    let res;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (_e) {
      throw new ApiError(0, { title: "无法连接服务器", detail: "请检查网络连接后重试。" });
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (_e) { data = null; }
    }
    if (!res.ok) {
      const problem = data && typeof data === "object" && !Array.isArray(data)
        ? data
        : { title: `请求失败（HTTP ${res.status}）`, detail: text.slice(0, 300) };
      if (!problem.status) problem.status = res.status;
      if (res.status === 401 && withAuth) sessionExpired(problem);
      throw new ApiError(res.status, problem);
    }
    return data;
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
      for (const node of form.querySelectorAll("[data-field]")) {
        if (node.dataset.field === base) { holder = node; break; }
      }
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

  function tradePicker({ multiple = true, placeholder = "输入工种名称、别名或代码搜索" } = {}) {
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
      if (!selected.length && multiple) chips.append(small("未选择（可多选）"));
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
        if (!selected.some((s) => s.code === t.code)) selected.push({ code: t.code, name: t.name });
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
        fill(village, items, items.length ? "— 选择村 —" : "（该乡镇没有村）");
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
    const tab = (location.hash || "").replace("#", "");
    activateTab(TABS[tab] ? tab : "menu");
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
      hideMsg(msg);
      clearFieldErrors($("#menu-toolbar"));
      out.replaceChildren(el("p", { class: "loading", text: "加载中…" }));
      await withBusy(button, async () => {
        try {
          const menu = await api("GET", "/api/menu", { query: { village_code: villageCode } });
          out.replaceChildren(renderMenu(menu));
        } catch (err) {
          out.replaceChildren();
          showProblem(msg, err);
        }
      });
    },
  };

  function renderMenu(menu) {
    const items = menu.items || [];
    const head = el("div", { class: "result-head" },
      el("h3", {}, menu.village_name, " ", menu.key_poverty ? badge("重点村", "badge-red") : null),
      small(`村代码 ${menu.village_code} · 共 ${items.length} 个可报名培训班`));
    if (!items.length) return el("div", {}, head, el("p", { class: "empty", text: "该村目前没有可报名的培训班。" }));
    const rows = items.map((it) => {
      const full = it.seats_left <= 0;
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
        td("剩余名额", el("span", { class: full ? "seats seats-full" : "seats" }, `${it.seats_left}/${it.capacity}`)),
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
      hideMsg(msg);
      clearFieldErrors(form);
      out.replaceChildren(el("p", { class: "loading", text: "加载中…" }));
      try {
        const page = await api("GET", "/api/sessions", { query: { ...this.filters, limit: this.limit, offset: this.offset } });
        out.replaceChildren(this.render(page));
      } catch (err) {
        out.replaceChildren();
        showProblem(msg, err, form);
      }
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
      if (manage) headers.push("操作");
      const rows = [];
      for (const s of items) rows.push(...this.row(s, manage, headers.length));
      return el("div", {}, pager(), table(headers, rows, { cls: "cards-on-phone" }), items.length > 10 ? pager() : null);
    },
    row(s, manage, span) {
      const resultRow = el("tr", { class: "row-result", hidden: true }, el("td", { colspan: span }));
      const box = el("div", { class: "msg", role: "alert" });
      resultRow.firstChild.append(box);
      let action = null;
      if (manage) {
        action = s.status === "draft"
          ? el("button", {
            type: "button", class: "btn btn-sm btn-primary", text: "发布",
            onclick: (e) => this.publish(s, e.currentTarget, resultRow, box),
          })
          : el("span", { class: "muted", text: "—" });
      }
      const row = el("tr", { class: `status-${s.status}` },
        td("培训班", el("div", { class: "cell-title", text: s.course_title }),
          el("div", { class: "cell-sub", text: COURSE_KINDS[s.course_kind] || s.course_kind }),
          s.schedule ? small(s.schedule) : null),
        td("学校", s.school_name),
        td("工种", el("div", { text: s.trade_name }), code(s.trade_code)),
        td("日期", el("div", { class: "nowrap", text: dateRange(s.starts_on, s.ends_on) }), small(days(s.starts_on, s.ends_on))),
        td("地点", el("div", { text: `${s.township_name} ${s.village_name}` }), s.venue ? small(s.venue) : null),
        td("名额", el("span", { class: s.seats_left <= 0 ? "seats seats-full" : "seats" }, `${s.seats_left}/${s.capacity}`)),
        td("教师", s.teachers && s.teachers.length ? s.teachers.map((t) => t.name).join("、") : el("span", { class: "warn-text", text: "未指定" })),
        td("状态", badge(s.status_label || SESSION_STATUS[s.status] || s.status, `status status-${s.status}`)),
        manage ? td("操作", action) : null);
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
          const fresh = this.row(updated, true, resultRow.firstChild.colSpan)[0];
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
      hideMsg(msg);
      clearFieldErrors(form);
      out.replaceChildren(el("p", { class: "loading", text: "加载中…" }));
      try {
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
        out.replaceChildren(
          el("div", { class: "result-head" }, small(`找到 ${items.length} 个工种${items.length >= 500 ? "（仅显示前 500 个）" : ""}`)),
          items.length ? table(["代码", "名称", "类别", "重点工种", "版本"], rows, { cls: "cards-on-phone" })
            : el("p", { class: "empty", text: "没有找到匹配的工种。" }));
      } catch (err) {
        out.replaceChildren();
        showProblem(msg, err, form);
      }
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
