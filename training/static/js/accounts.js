/* 账号 (admins): the accounts an admin manages (GET /api/users), disable / enable them and reset a password
 * (the new one is shown once, here, and never again). */
import { api, auth } from "./api.js";
import { ROLE_LABELS } from "./labels.js";
import { regionName, regionParent } from "./regions.js";
import { TABS } from "./tabs.js";
import { $, badge, dateTime, el, hideMsg, loadInto, showOk, showProblem, small, table, td, withBusy } from "./ui.js";

/** "吉米镇 拉莫村" for a village, "吉米镇" for a township, "甘洛县" for a county. */
async function placeName(code) {
  if (code.endsWith("000000") || code.endsWith("000")) return regionName(code);
  return `${await regionName(regionParent(code))} ${await regionName(code)}`;
}

async function scopeText(a) {
  if (a.role === "school") return a.school_name || "（学校已删除）";
  if (a.region_codes.length) return (await Promise.all(a.region_codes.map(placeName))).join("、");
  if (a.county_code) return regionName(`${a.county_code}000000`);
  return "全部县";
}

function statusBadges(a) {
  return [a.active ? badge("启用", "badge-green") : badge("已停用", "badge-red"),
    a.locked_until ? badge(`密码多次错误，锁定至 ${dateTime(a.locked_until)}`, "badge-amber") : null];
}

TABS.accounts = {
  init() { this.load(); },
  reset() {
    $("#accounts-result").replaceChildren();
    hideMsg($("#accounts-msg"));
  },
  async load(flash) {
    const msg = $("#accounts-msg");
    await loadInto($("#accounts-result"), msg, null, async () => {
      const accounts = await api("GET", "/api/users");
      const scopes = await Promise.all(accounts.map(scopeText));
      return this.render(accounts, scopes);
    });
    if (flash) showOk(msg, ...flash);
  },
  render(accounts, scopes) {
    if (!accounts.length) return el("p", { class: "empty", text: "没有可管理的账号。" });
    const rows = accounts.map((a, i) => {
      const box = el("div", { class: "msg", hidden: true, role: "alert" });
      const self = a.username === auth.user;
      // An admin account (one's own included) is changed only on the server (training users): the API refuses.
      const serverOnly = self || a.role === "admin" ? "管理员账号只能在服务器上用 training users 命令处理" : null;
      const toggle = el("button", {
        type: "button", class: a.active ? "btn btn-sm btn-danger" : "btn btn-sm", text: a.active ? "停用" : "启用",
        disabled: !!serverOnly, title: serverOnly,
      });
      toggle.addEventListener("click", () => withBusy(toggle, async () => {
        hideMsg(box);
        if (a.active && !window.confirm(`停用账号 ${a.username}？停用后该账号立即退出登录，不能再登录。`)) return;
        try {
          const done = await api("POST", `/api/users/${encodeURIComponent(a.id)}/${a.active ? "disable" : "enable"}`);
          await this.load([`账号 ${done.username} 已${done.active ? "启用" : "停用"}。`]);
        } catch (err) { showProblem(box, err); }
      }));
      const resetButton = el("button", { type: "button", class: "btn btn-sm", text: "重置密码", disabled: !!serverOnly, title: serverOnly });
      resetButton.addEventListener("click", () => withBusy(resetButton, async () => {
        hideMsg(box);
        if (!window.confirm(`为 ${a.username} 生成新密码？旧密码和已登录的会话立即失效。`)) return;
        try {
          const done = await api("POST", `/api/users/${encodeURIComponent(a.id)}/reset-password`);
          // Shown once: the server keeps only its hash, and the page forgets it when the list reloads.
          showOk(box, el("strong", { text: `${done.username} 的新密码：` }),
            el("code", { class: "code new-password", text: done.password }),
            el("p", { text: "只显示这一次，请现在告知本人，并请其登录后妥善保管。" }));
        } catch (err) { showProblem(box, err); }
      }));
      return el("tr", { dataset: { username: a.username } },
        td("用户名", el("div", { class: "cell-title", text: a.username }), self ? small("（您自己）") : null),
        td("角色", a.role_label || ROLE_LABELS[a.role] || "未知角色"),
        td("范围", scopes[i]),
        td("状态", statusBadges(a)),
        td("创建时间", el("span", { class: "nowrap", text: dateTime(a.created_at) })),
        td("操作", el("div", { class: "row-actions" }, toggle, resetButton), box));
    });
    return el("div", {}, el("p", { class: "muted", text: `共 ${accounts.length} 个账号。停用、启用和重置密码都记入审计日志。` }),
      table(["用户名", "角色", "范围", "状态", "创建时间", "操作"], rows, { cls: "cards-on-phone accounts-table" }));
  },
};
