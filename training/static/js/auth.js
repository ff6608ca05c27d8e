import { api, auth, localProblem, onExpired } from "./api.js";
import { ROLE_LABELS } from "./labels.js";
import { activateTab, resetApp, tabAllowed } from "./tabs.js";
import { $, clearFieldErrors, ctl, hideMsg, showInfo, showProblem, withBusy } from "./ui.js";

const LANDING = { admin: "progress", official: "progress", surveyor: "registry", school: "sessions" };

// ---------------------------------------------------------------- login / logout

export const views = { login: $("#login-view"), app: $("#app-view") };

export function showLogin(message) {
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

export function sessionExpired(problem) {
  if (views.login && !views.login.hidden) return;
  auth.clear();
  resetApp();
  const why = problem && (problem.detail || problem.title);
  showLogin(why ? `登录已失效：${why}` : "登录已失效，请重新登录。");
}
onExpired(sessionExpired);

export function startApp() {
  views.login.hidden = true;
  views.app.hidden = false;
  $("#userbar").hidden = false;
  $("#user-name").textContent = auth.user;
  $("#user-role").textContent = ROLE_LABELS[auth.role] || "未知角色";
  document.body.dataset.role = auth.role;
  for (const button of document.querySelectorAll(".tab[data-roles]")) {
    button.hidden = !button.dataset.roles.split(" ").includes(auth.role);
  }
  const tab = (location.hash || "").replace("#", "");
  // Each role lands where its work is: officials on progress, surveyors on their villages (农户台账 opens
  // on 我的村 for them), schools on their own sessions.
  const landing = LANDING[auth.role];
  activateTab(tabAllowed(tab) ? tab : tabAllowed(landing) ? landing : "menu");
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
