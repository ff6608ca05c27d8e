import { CAN_MANAGE_SCHOOLS } from "./labels.js";

export const STORE = { token: "training.token", role: "training.role", user: "training.user", expires: "training.expires" };
// ---------------------------------------------------------------- session state

export const auth = {
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
export const canManage = () => CAN_MANAGE_SCHOOLS.includes(auth.role);

// ---------------------------------------------------------------- API

// What a clerk is told when the server's answer has no Chinese title of its own (a proxy's error page,
// a gateway timeout): the meaning of the status, never the number.
const STATUS_TITLES = {
  400: "请求有误", 401: "登录已失效", 403: "无权操作", 404: "未找到", 409: "与已有数据冲突",
  413: "文件太大", 415: "文件格式不支持", 422: "数据不符合要求", 429: "操作太频繁",
};
const STATUS_DETAILS = {
  401: "请重新登录。", 403: "当前账号没有这项权限。", 404: "要找的记录不存在或已被删除。",
  413: "请换一个较小的文件再试。", 429: "请稍等片刻再试。",
};
const hasChinese = (text) => typeof text === "string" && /[\u4e00-\u9fff]/.test(text);

export function statusTitle(status) {
  if (STATUS_TITLES[status]) return STATUS_TITLES[status];
  return status >= 500 ? "服务器暂时无法处理" : "请求失败";
}

export function statusDetail(status) {
  if (STATUS_DETAILS[status]) return STATUS_DETAILS[status];
  return status >= 500 ? "服务器出错了，请稍后重试；如果一直这样，请联系管理员。" : "请稍后重试。";
}

/** What to do when the server says the login is no longer valid (the page shell sets it). */
let expiredHandler = () => {};
export function onExpired(handler) {
  expiredHandler = handler;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || statusTitle(status));
    this.status = status;
    this.problem = problem || {};
  }
}

export function localProblem(errors, title = "请检查填写的内容") {
  return new ApiError(0, { title, errors });
}

/** The fetch behind api() and download(): returns the Response when it is 2xx, else throws ApiError. */
export async function request(method, path, { query, body, form, withAuth = true, accept, headers: extra } = {}) {
  if (withAuth && auth.expired) {
    const problem = { title: "登录已过期", detail: "登录已过期，请重新登录。" };
    expiredHandler(problem);
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
    : { detail: statusDetail(res.status) };
  if (!problem.status) problem.status = res.status;
  // A clerk reads the title: keep the server's Chinese one, never a bare status or an English reason phrase.
  if (!hasChinese(problem.title)) problem.title = statusTitle(res.status);
  if (problem.detail && !hasChinese(problem.detail)) problem.detail = statusDetail(res.status);
  if (res.status === 401 && withAuth) expiredHandler(problem);
  throw new ApiError(res.status, problem);
}

export async function api(method, path, options = {}) {
  const res = await request(method, path, options);
  const text = await res.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch (_e) {
    throw new ApiError(res.status, { title: "服务器返回的内容无法识别", detail: "请稍后重试；如果一直这样，请联系管理员。" });
  }
}

/** The file name in Content-Disposition: filename*=UTF-8''… first, then filename="…". */
export function dispositionName(header, fallback) {
  const value = header || "";
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(value);
  if (star) {
    try { return decodeURIComponent(star[1].trim()); } catch (_e) { /* fall through */ }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(value);
  return plain ? plain[1].trim() : fallback;
}

/** GET a file with the Authorization header, then save it through a temporary <a download>. */
export async function download(path, { query, fallbackName = "download.xlsx" } = {}) {
  const res = await request("GET", path, {
    query, accept: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/problem+json",
  });
  const blob = await res.blob();
  const name = dispositionName(res.headers.get("Content-Disposition"), fallbackName);
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return { name, size: blob.size };
}

/** The caller's scope (GET /api/auth/me), fetched once per login. */
let mePromise = null;
export function whoAmI() {
  if (!mePromise) mePromise = api("GET", "/api/auth/me").catch((err) => { mePromise = null; throw err; });
  return mePromise;
}

/** Forget the caller's scope (at logout or when the login expires). */
export function forgetMe() {
  mePromise = null;
}
