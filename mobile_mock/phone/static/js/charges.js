// 收费公示 (port charges): pick a port, compare one fee item across its enterprises, open an enterprise's
// catalogue on a date and its history, search by name, follow an enterprise or an item. Its texts live here.

import { api } from "./api.js";
import { h } from "./dom.js";
import { formatTime, getLang } from "./i18n.js";

const STRINGS = {
  "zh-CN": {
    port: "港口",
    item: "收费项目",
    compare: "各企业收费对比",
    spread: "最低 {min} · 中位 {median} · 最高 {max}（{count} 家）",
    enterprises: "收费企业",
    catalogue: "收费目录",
    history: "历史版本",
    on: "查询日期",
    search: "按项目名称搜索（中文或英文）",
    search_go: "搜索",
    results: "搜索结果",
    none: "暂无数据。",
    follow_item: "关注此项目价格",
    follow_enterprise: "关注该企业收费",
    following: "已关注 ✓",
    unfollow: "取消关注",
    followed: "已关注：价格变动时会推送通知",
    unfollowed: "已取消关注",
    basis: "依据",
    from: "{from} 起",
    until: "至 {to}",
    back: "‹ 返回",
    more: "加载更多",
    per: "每{unit}",
  },
  en: {
    port: "Port",
    item: "Fee item",
    compare: "Compared across enterprises",
    spread: "min {min} · median {median} · max {max} ({count} enterprises)",
    enterprises: "Charging enterprises",
    catalogue: "Catalogue",
    history: "History",
    on: "On date",
    search: "Search fee items by name (Chinese or English)",
    search_go: "Search",
    results: "Results",
    none: "Nothing here yet.",
    follow_item: "Follow this item's price",
    follow_enterprise: "Follow this enterprise's charges",
    following: "Following ✓",
    unfollow: "Unfollow",
    followed: "Following: a push when a price changes",
    unfollowed: "No longer following",
    basis: "Basis",
    from: "from {from}",
    until: "until {to}",
    back: "‹ Back",
    more: "Load more",
    per: "per {unit}",
  },
};
const UNITS = {
  "zh-CN": { teu: "TEU", feu: "FEU", container: "箱", ticket: "票", tonne: "吨", cbm: "立方米", vessel_call: "艘次",
    day: "天", hour: "小时", set: "套" },
  en: { teu: "TEU", feu: "FEU", container: "container", ticket: "ticket", tonne: "tonne", cbm: "m³",
    vessel_call: "vessel call", day: "day", hour: "hour", set: "set" },
};

export function tc(key, vars = {}) {
  const table = STRINGS[getLang()] || STRINGS["zh-CN"];
  const text = table[key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

const zh = () => getLang() !== "en";
const name = (row, prefix = "name") => (zh() ? row[`${prefix}_zh`] : row[`${prefix}_en`] || row[`${prefix}_zh`]);
const unit = (key) => (UNITS[getLang()] || UNITS.en)[key] || key;
const money = (row) => `${row.currency} ${row.price}`;
const today = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);  // China's date

async function myFollows() {
  return api("GET", "/port-charges/follows");
}

/** A follow button: shows whether I follow the target, and toggles it. */
function followButton(ctx, follows, body, testid, label) {
  const match = (f) => (body.enterprise_id ? f.enterprise_id === body.enterprise_id
    : f.port_id === body.port_id && f.code === body.code);
  let current = follows.find(match) || null;
  const button = h("button", { type: "button", class: "follow", "data-testid": testid });
  const paint = () => {
    button.textContent = current ? tc("following") : label;
    button.dataset.following = current ? "true" : "false";
    button.title = current ? tc("unfollow") : label;
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (current) {
        await api("DELETE", `/port-charges/follows/${current.id}`);
        current = null;
        ctx.toast({ title: tc("unfollowed"), testid: "toast-follow" });
      } else {
        current = await api("POST", "/port-charges/follows", { body });
        ctx.toast({ title: tc("followed"), testid: "toast-follow" });
      }
      paint();
    } catch (error) {
      ctx.banner(error);
    } finally {
      button.disabled = false;
    }
  });
  paint();
  return button;
}

function feeRow(row, testid, { showEnterprise = false, rank = null } = {}) {
  const dates = [tc("from", { from: row.effective_from }), row.effective_to ? tc("until", { to: row.effective_to }) : null]
    .filter(Boolean).join(" ");
  return h(showEnterprise ? "a" : "div", {
    class: "card fee", "data-testid": testid, "data-code": row.code, "data-price": row.price,
    "data-enterprise-id": row.enterprise_id, href: showEnterprise ? `#/charges/enterprises/${row.enterprise_id}` : null,
  },
  h("div", { class: "row" },
    h("b", {}, rank ? `${rank}. ` : "", showEnterprise ? name(row, "enterprise_name") : name(row)),
    h("span", { class: "price", "data-testid": "fee-price" }, money(row), " ", h("small", {}, tc("per", { unit: unit(row.unit) })))),
  h("div", { class: "small muted" }, showEnterprise ? `${row.code} · ${name(row)}` : row.code, " · ", dates),
  row.basis && !showEnterprise ? h("div", { class: "small muted" }, `${tc("basis")}: ${row.basis}`) : null);
}

/** #/charges: a port, one item compared across its enterprises, the enterprises, and the search. */
export async function chargesView(ctx) {
  const state = (ctx.state.charges ||= {});
  const [{ items: ports }, follows] = await Promise.all([api("GET", "/port-charges/ports", { query: { limit: 100 } }),
    myFollows()]);
  const portSelect = h("select", { "data-testid": "port-select", "aria-label": tc("port") },
    ports.map((p) => h("option", { value: p.id }, `${name(p)} (${p.customs_office})`)));
  const itemSelect = h("select", { "data-testid": "fee-select", "aria-label": tc("item") });
  const comparison = h("div", { class: "list", "data-testid": "compare-list" });
  const spread = h("p", { class: "spread", "data-testid": "spread" });
  const followSlot = h("div", { class: "follow-slot" });
  const enterprises = h("div", { class: "list", "data-testid": "enterprise-list" });
  const results = h("div", { class: "list", "data-testid": "search-results" });
  const query = h("input", { type: "search", "data-testid": "charge-search", placeholder: tc("search"),
    "aria-label": tc("search"), value: state.q || "" });
  if (state.port && ports.some((p) => String(p.id) === state.port)) portSelect.value = state.port;

  async function compare() {
    const port = Number(portSelect.value);
    state.code = itemSelect.value;
    if (!state.code) {
      comparison.replaceChildren(h("p", { class: "empty" }, tc("none")));
      spread.textContent = "";
      followSlot.replaceChildren();
      return;
    }
    const result = await api("GET", `/port-charges/ports/${port}/compare`, { query: { code: state.code, limit: 100 } });
    comparison.replaceChildren(...result.items.map((row, i) => feeRow(row, "compare-row", { showEnterprise: true, rank: i + 1 })));
    spread.replaceChildren(...result.spread.map((s) => h("span", { "data-currency": s.currency },
      `${s.currency} · `, tc("spread", { min: s.min, median: s.median, max: s.max, count: s.count }))));
    followSlot.replaceChildren(followButton(ctx, follows, { port_id: port, code: state.code }, "follow-item",
      tc("follow_item")));
  }

  async function choosePort() {
    state.port = portSelect.value;
    const port = Number(portSelect.value);
    const [{ items }, listed] = await Promise.all([
      api("GET", `/port-charges/ports/${port}/fee-items`, { query: { limit: 100 } }),
      api("GET", `/port-charges/ports/${port}/enterprises`, { query: { limit: 100 } }),
    ]);
    itemSelect.replaceChildren(...items.map((i) => h("option", { value: i.code }, `${name(i)} · ${i.code}`)));
    if (items.some((i) => i.code === state.code)) itemSelect.value = state.code;
    else if (items.some((i) => i.code === "THC-40")) itemSelect.value = "THC-40";
    enterprises.replaceChildren(...listed.items.map((e) => h("a", { class: "card enterprise", href: `#/charges/enterprises/${e.id}`,
      "data-testid": "enterprise-row", "data-enterprise-id": e.id }, h("b", {}, name(e)))));
    await compare();
  }

  async function search(event) {
    event?.preventDefault();
    state.q = query.value.trim();
    if (!state.q) {
      results.replaceChildren();
      return;
    }
    const found = await api("GET", "/port-charges/search", { query: { q: state.q, port_id: portSelect.value, limit: 50 } });
    results.replaceChildren(...(found.items.length ? found.items.map((row) => feeRow(row, "search-row", { showEnterprise: true }))
      : [h("p", { class: "empty", "data-testid": "search-empty" }, tc("none"))]));
  }

  const guard = (fn) => () => fn().catch(ctx.banner);
  portSelect.addEventListener("change", guard(choosePort));
  itemSelect.addEventListener("change", guard(compare));
  if (ports.length) await choosePort();
  if (state.q) await search();
  return h("section", { class: "view charges", "data-testid": "charges-view" },
    h("div", { class: "toolbar" }, portSelect),
    h("form", { class: "toolbar", "data-testid": "charge-search-form", onsubmit: (e) => search(e).catch(ctx.banner) },
      query, h("button", { type: "submit", class: "button" }, tc("search_go"))),
    results,
    h("h3", {}, tc("compare")),
    h("div", { class: "toolbar" }, itemSelect, followSlot),
    spread, comparison,
    h("h3", {}, tc("enterprises")),
    enterprises);
}

/** #/charges/enterprises/<id>: the catalogue on a date, its history, and the follow button. */
export async function enterpriseView(ctx, { id }) {
  const [enterprise, follows] = await Promise.all([api("GET", `/port-charges/enterprises/${id}`), myFollows()]);
  const day = h("input", { type: "date", "data-testid": "catalogue-date", value: today(), "aria-label": tc("on") });
  const rows = h("div", { class: "list", "data-testid": "catalogue-list" });
  const history = h("div", { class: "list", "data-testid": "history-list" });
  const more = h("button", { type: "button", class: "more", "data-testid": "history-more", hidden: true }, tc("more"));
  let cursor = null;

  async function load() {
    const page = await api("GET", `/port-charges/enterprises/${id}/catalogue`, { query: { on: day.value || undefined, limit: 100 } });
    rows.replaceChildren(...(page.items.length ? page.items.map((row) => feeRow(row, "fee-row"))
      : [h("p", { class: "empty", "data-testid": "catalogue-empty" }, tc("none"))]));
  }

  async function loadHistory(reset) {
    const page = await api("GET", `/port-charges/enterprises/${id}/history`, { query: { limit: 20, cursor: reset ? undefined : cursor } });
    if (reset) history.replaceChildren();
    history.append(...page.items.map((row) => h("div", { class: "history-row small", "data-testid": "history-row",
      "data-code": row.code, "data-price": row.price },
    h("span", { class: "mono" }, row.code), " ", money(row), " · ", tc("from", { from: row.effective_from }),
    row.effective_to ? ` ${tc("until", { to: row.effective_to })}` : "",
    h("span", { class: "muted" }, ` (${formatTime(row.published_at, ctx.me?.time_zone)})`))));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }

  day.addEventListener("change", () => load().catch(ctx.banner));
  more.addEventListener("click", () => loadHistory(false).catch(ctx.banner));
  await Promise.all([load(), loadHistory(true)]);
  return h("section", { class: "view enterprise", "data-testid": "enterprise-view", "data-enterprise-id": id },
    h("a", { href: "#/charges", class: "back" }, tc("back")),
    h("h2", { "data-testid": "enterprise-name" }, name(enterprise)),
    followButton(ctx, follows, { enterprise_id: Number(id) }, "follow-enterprise", tc("follow_enterprise")),
    h("h3", {}, tc("catalogue")),
    h("div", { class: "toolbar" }, h("label", { for: "catalogue-date" }, tc("on")), Object.assign(day, { id: "catalogue-date" })),
    rows,
    h("h3", {}, tc("history")),
    history, more);
}
