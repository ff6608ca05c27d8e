import { auth, forgetMe } from "./api.js";
import { regionCache } from "./regions.js";
import { $ } from "./ui.js";

export function tabAllowed(name) {
  if (!TABS[name]) return false;
  const button = document.querySelector(`.tab[data-tab="${name}"]`);
  return !(button && button.dataset.roles && !button.dataset.roles.split(" ").includes(auth.role));
}
// ---------------------------------------------------------------- tabs

export const TABS = {};
export let currentTab = "";

export function activateTab(name) {
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

export function resetApp() {
  regionCache.clear();
  forgetMe();
  for (const tab of Object.values(TABS)) { tab.started = false; if (tab.reset) tab.reset(); }
}

// ---------------------------------------------------------------- start

window.addEventListener("hashchange", () => {
  const tab = location.hash.replace("#", "");
  if (!$("#app-view").hidden && TABS[tab] && tab !== currentTab) activateTab(tab);
});
