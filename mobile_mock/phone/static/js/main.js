// The shell: configuration, session start, hash routes, header and tab bar, toasts and the error banner.

import { api, configure, describeError, isLoggedIn, logout, onAuthLost } from "./api.js";
import { chargesView, enterpriseView } from "./charges.js";
import { h, loading } from "./dom.js";
import { getLang, hasChosenLang, onLangChange, setLang, t } from "./i18n.js";
import { loginView, settingsView, trackView } from "./forms.js";
import { Push } from "./push.js";
import { errorView, inboxView, itemsView, itemView, shipmentsView, shipmentView } from "./views.js";

const ROUTES = [
  [/^#\/login$/, loginView, { public: true }],
  [/^#\/items$/, itemsView, { tab: "items" }],
  [/^#\/items\/(?<id>\d+)$/, itemView, { tab: "items" }],
  [/^#\/track$/, trackView, { tab: "items" }],
  [/^#\/shipments$/, shipmentsView, { tab: "shipments" }],
  [/^#\/shipments\/(?<id>\d+)$/, shipmentView, { tab: "shipments" }],
  [/^#\/charges$/, chargesView, { tab: "charges" }],
  [/^#\/charges\/enterprises\/(?<id>\d+)$/, enterpriseView, { tab: "charges" }],
  [/^#\/inbox$/, inboxView, { tab: "inbox" }],
  [/^#\/settings$/, settingsView, { tab: "settings" }],
];
const TABS = ["items", "shipments", "charges", "inbox", "settings"];
const TOAST_MS = 6000;

const $ = (id) => document.getElementById(id);
const kindsCache = {};
let renderSeq = 0;
let inboxRenderer = null;
let loggingOut = false;

const ctx = {
  me: null,
  state: {},
  push: new Push(),
  kinds() {
    const lang = getLang();
    kindsCache[lang] ||= api("GET", "/status-kinds").catch((error) => {
      delete kindsCache[lang];
      throw error;
    });
    return kindsCache[lang];
  },
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  onInboxChange(render) {
    inboxRenderer = render;
  },
  banner,
  toast,
  startSession,
  logout: endSession,
  switchLang,
};

function banner(error) {
  const box = $("banner");
  if (!error) {
    box.hidden = true;
    return;
  }
  const text = typeof error === "string" ? error : describeError(error);
  box.replaceChildren(h("span", {}, text),
    h("button", { type: "button", class: "close", "aria-label": "close", onclick: () => banner(null) }, "×"));
  box.hidden = false;
}

function toast({ title, body, target, nid, testid = "toast", urgent = false }) {
  const box = $("toasts");
  const el = h("div", { class: `toast${urgent ? " urgent" : ""}`, role: "status", "data-testid": testid,
    "data-notification-id": nid || null },
  h("b", {}, title), body ? h("div", { class: "body" }, body) : null);
  el.addEventListener("click", () => {
    el.remove();
    if (nid) {
      const entry = ctx.push.entries.find((e) => e.nid === nid);
      if (entry) ctx.push.markRead(entry).catch(banner);
    }
    if (target) ctx.navigate(target);
  });
  box.prepend(el);
  while (box.childElementCount > 3) box.lastElementChild.remove();
  setTimeout(() => el.remove(), TOAST_MS);
}

async function startSession() {
  ctx.me = await api("GET", "/me");
  if (!hasChosenLang()) setLang(ctx.me.locale, { silent: true });  // the profile's, until one is picked here
  try {
    await ctx.push.registerDevice();
  } catch (error) {
    if (!isLoggedIn()) throw error;
    banner(t("err.device", { detail: describeError(error) }));
  }
  ctx.push.start();
  chrome();
}

async function endSession() {
  loggingOut = true;
  ctx.push.reset();
  await logout();
  ctx.me = null;
  loggingOut = false;
  ctx.navigate("#/login");
}

function switchLang(lang) {
  setLang(lang);
  if (ctx.me && ctx.me.locale !== lang) {
    // Pushes are written in the profile's language: keep it in step with the phone's.
    api("PATCH", "/me", { body: { locale: lang } }).then((me) => { ctx.me = me; }).catch(banner);
  }
}

function chrome() {
  document.documentElement.lang = getLang();
  document.title = t("app.title");
  const current = currentRoute();
  const loggedIn = isLoggedIn();
  $("title").textContent = current?.[2].tab ? t(`tab.${current[2].tab}`) : t("app.title");
  const toggle = $("lang-toggle");
  toggle.textContent = getLang() === "en" ? "中文" : "EN";
  toggle.setAttribute("aria-label", t("settings.language"));
  $("tabs").hidden = !loggedIn;
  $("stream").hidden = !loggedIn;
  for (const tab of TABS) {
    const link = $(`tab-${tab}`);
    link.classList.toggle("on", current?.[2].tab === tab);
    link.querySelector(".label").textContent = t(`tab.${tab}`);
  }
  streamStatus();
  badge();
}

function streamStatus() {
  const dot = $("stream");
  dot.dataset.state = ctx.push.status;
  dot.dataset.received = String(ctx.push.received);
  dot.dataset.dropped = String(ctx.push.dropped);
  dot.title = t(`stream.${ctx.push.status}`);
}

function badge() {
  const count = ctx.push.unread();
  const el = $("unread-badge");
  el.textContent = count > 99 ? "99+" : String(count);
  el.hidden = count === 0;
  el.dataset.count = String(count);
}

function currentRoute() {
  const hash = location.hash || "#/items";
  for (const [pattern, view, options] of ROUTES) {
    const match = pattern.exec(hash);
    if (match) return [match.groups || {}, view, options];
  }
  return null;
}

async function route() {
  const seq = ++renderSeq;
  const found = currentRoute();
  if (!found) {
    location.replace("#/items");
    return;
  }
  const [params, view, options] = found;
  if (!options.public && !isLoggedIn()) {
    location.replace("#/login");
    return;
  }
  if (options.public && isLoggedIn()) {
    location.replace("#/items");
    return;
  }
  inboxRenderer = null;
  banner(null);
  chrome();
  const main = $("view");
  main.replaceChildren(loading());
  let node;
  try {
    node = await view(ctx, params);
  } catch (error) {
    if (error?.status === 401) return;  // the session ended; onAuthLost has gone to the login screen
    node = errorView(error);
  }
  if (seq !== renderSeq) return;  // another route started meanwhile
  main.replaceChildren(node);
  window.scrollTo(0, 0);
}

async function boot() {
  let config;
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    config = await response.json();
  } catch (error) {
    banner(t("err.network", { detail: error?.message || "config.json" }));
    return;
  }
  configure(config);
  onAuthLost(() => {
    if (loggingOut) return;
    ctx.push.reset();
    ctx.me = null;
    ctx.state.loginMessage = t("login.expired");
    ctx.navigate("#/login");
  });
  ctx.push.addEventListener("notify", ({ detail: entry }) => {
    toast({ title: entry.title, body: entry.body, nid: entry.nid, target: ctx.push.target(entry), urgent: entry.urgent });
    if (location.hash === ctx.push.target(entry) && location.hash.startsWith("#/items/")) route();  // its timeline grew
  });
  ctx.push.addEventListener("missed", ({ detail: n }) => toast({
    title: t("inbox.missed", { n }), target: "#/inbox", testid: "toast-missed",
  }));
  ctx.push.addEventListener("change", () => {
    badge();
    if (inboxRenderer) inboxRenderer();
  });
  ctx.push.addEventListener("status", streamStatus);
  ctx.push.addEventListener("error", ({ detail }) => banner(detail));
  $("lang-toggle").addEventListener("click", () => switchLang(getLang() === "en" ? "zh-CN" : "en"));
  onLangChange(() => route());
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { if (isLoggedIn()) ctx.push.start(); });
  window.addEventListener("unhandledrejection", (event) => banner(event.reason));
  if (isLoggedIn()) {
    try {
      await startSession();
    } catch (error) {
      if (error?.status !== 401) banner(error);
    }
  }
  route();
}

boot();
