/* 农村劳动力技能培训 · 工作台: the entry module. Plain ES modules, no framework, no build step; every piece of
 * text from the API goes into the page with textContent / text nodes, never as HTML.
 * Each slice module registers its tab in TABS when imported; the order of the tabs is the page's. */
import { auth } from "./api.js";
import { showLogin, startApp } from "./auth.js";
import "./progress.js";
import "./catalogue.js";
import "./schools.js";
import "./sessions.js";
import "./registry.js";
import "./recommendations.js";
import "./ledger.js";
import "./accounts.js";
import "./audit.js";

if (auth.token && !auth.expired) startApp();
else {
  const wasExpired = auth.token && auth.expired;
  auth.clear();
  showLogin(wasExpired ? "登录已过期，请重新登录。" : "");
}
