// The reading screens: my items, one item with its timeline, my shipments, the inbox.
// Each view is `async (ctx, params) => Node`; ctx carries the profile, the kinds, the push client and helpers.

import { api, describeError } from "./api.js";
import { h, itemCard, loading, stageBadge } from "./dom.js";
import { formatTime, stageText, t } from "./i18n.js";
import { uuid } from "./session.js";

const PAGE = 20;

export async function itemsView(ctx) {
  const kinds = await ctx.kinds();
  const list = h("div", { class: "list", "data-testid": "items-list" });
  const more = h("button", { class: "more", type: "button", "data-testid": "items-more", hidden: true }, t("items.more"));
  const empty = h("p", { class: "empty", "data-testid": "items-empty", hidden: true }, t("items.empty"));
  const filter = h("select", { "data-testid": "kind-filter", "aria-label": t("items.all_kinds") },
    h("option", { value: "" }, t("items.all_kinds")),
    kinds.map((k) => h("option", { value: k.key }, `${k.number}. ${k.name}`)));
  filter.value = ctx.state.kindFilter || "";
  const claims = h("div", { class: "list claims", "data-testid": "claims-list", hidden: true });
  let cursor = null;

  // What I tracked but the agency has not (yet) named my company in: the item's status stays hidden until it does.
  async function loadClaims() {
    try {
      const { claims: mine } = await api("GET", "/clearances/claims", { query: { limit: 20 } });
      const open = mine.filter((c) => c.state !== "confirmed");
      const names = Object.fromEntries(kinds.map((k) => [k.key, k.name]));
      claims.replaceChildren(...(open.length ? [h("h3", {}, t("claims.title"))] : []),
        ...open.map((c) => h("div", { class: "card claim", "data-testid": "claim-row", "data-reference": c.reference,
          "data-state": c.state },
        h("div", { class: "row" }, h("b", {}, names[c.kind] || c.kind), " ", h("span", { class: "mono" }, c.reference)),
        h("div", { class: "small muted" }, t(`claim.${c.state}`)))));
      claims.hidden = !open.length;
    } catch (error) {
      ctx.banner(error);
    }
  }

  async function load(reset) {
    more.disabled = true;
    try {
      const page = await api("GET", "/clearances", {
        query: { limit: PAGE, kind: filter.value || undefined, cursor: reset ? undefined : cursor },
      });
      if (reset) list.replaceChildren();
      list.append(...page.items.map((item) => itemCard(item, ctx.me?.time_zone)));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      empty.hidden = list.childElementCount > 0;
    } catch (error) {
      ctx.banner(error);
    } finally {
      more.disabled = false;
    }
  }

  filter.addEventListener("change", () => {
    ctx.state.kindFilter = filter.value;
    load(true);
  });
  more.addEventListener("click", () => load(false));
  await Promise.all([load(true), loadClaims()]);
  return h("section", { class: "view", "data-testid": "items-view" },
    h("div", { class: "toolbar" }, filter,
      h("a", { class: "button primary", href: "#/track", "data-testid": "track-open" }, t("items.track"))),
    claims, list, empty, more);
}

function estimateRow(e, tz, now) {
  const late = Date.parse(e.p90_at) < now ? "very_late" : Date.parse(e.p50_at) < now ? "late" : null;
  return h("li", { class: `estimate-row${late ? " overdue" : ""}`, "data-testid": "estimate-row",
    "data-stage": e.stage, "data-late": late },
  h("div", { class: "row" },
    h("span", { class: `badge stage-${e.stage}`, "data-testid": "estimate-stage" }, e.stage_label || stageText(e.stage)),
    late ? h("span", { class: "late", "data-testid": "estimate-late" }, t(`estimate.${late}`)) : null),
  h("div", { class: "when" },
    h("b", { "data-testid": "estimate-expected", "data-at": e.p50_at },
      t("estimate.expected", { time: formatTime(e.p50_at, tz) })),
    h("span", { class: "muted", "data-testid": "estimate-p90", "data-at": e.p90_at },
      t("estimate.p90", { time: formatTime(e.p90_at, tz) }))),
  h("div", { class: "small muted", "data-testid": "estimate-basis" }, e.customs_office
    ? t("estimate.based_office", { n: e.samples, office: e.customs_office })
    : t("estimate.based_kind", { n: e.samples })));
}

/** The "expected" card, or null when the item awaits nothing (over, no receipt yet, or nothing ahead). */
function estimateBlock(estimate, tz) {
  const now = Date.now();
  const rows = estimate.expected.map((e) => estimateRow(e, tz, now));
  if (!rows.length && !estimate.awaiting.length) return null;
  return h("div", { class: "card estimate", "data-testid": "estimate" },
    h("h3", {}, t("estimate.title")),
    rows.length
      ? h("ul", { class: "estimates" }, rows)
      : h("p", { class: "muted small", "data-testid": "estimate-empty" }, t("estimate.empty")));
}

export async function itemView(ctx, { id }) {
  // Asked for alongside the item but shown when it comes: the statistics behind it may be slower than the
  // item, and the item must show whatever becomes of them. Caught at once, so a 404 leaves nothing unhandled.
  const estimating = api("GET", `/clearances/${id}/estimate`).catch(() => null);
  const [item, timeline, subscriptions] = await Promise.all([
    api("GET", `/clearances/${id}`),
    api("GET", `/clearances/${id}/timeline`),
    api("GET", "/subscriptions").catch(() => []),
  ]);
  const tz = ctx.me?.time_zone;
  const events = [...timeline.events].reverse();  // the agency's order, newest on top
  const parties = item.parties.map((p) => h("li", {}, h("span", { class: "role" }, t(`role.${p.role}`)), " ",
    p.company ? p.company.name : (p.uscc || p.customs_code)));
  let subscription = subscriptions.find((s) => s.scope === "item" && s.target_id === item.id) || null;

  const mute = h("input", { type: "checkbox", "data-testid": "item-mute" });
  const details = h("input", { type: "checkbox", "data-testid": "item-details" });
  const show = () => {
    mute.checked = Boolean(subscription?.muted);
    details.checked = subscription ? !subscription.milestones_only : false;
  };
  show();
  async function save() {
    mute.disabled = details.disabled = true;
    try {
      subscription = await api("POST", "/subscriptions", {
        body: { scope: "item", target_id: item.id, muted: mute.checked, milestones_only: !details.checked },
        idempotencyKey: uuid(),
      });
    } catch (error) {
      ctx.banner(error);
    } finally {
      show();
      mute.disabled = details.disabled = false;
    }
  }
  mute.addEventListener("change", save);
  details.addEventListener("change", save);

  // data-estimate tells a watcher when the estimate has settled: loading, shown, empty, none or failed.
  const estimateSlot = h("div", { class: "estimate-slot", hidden: true });
  const view = h("section", { class: "view", "data-testid": "item-detail", "data-item-id": item.id,
    "data-estimate": "loading" },
    h("a", { class: "back", href: "#/items" }, t("item.back")),
    h("div", { class: "card detail" },
      h("div", { class: "row" }, h("span", { class: "kind" }, item.kind_name), stageBadge(item.stage, item.stage_label)),
      h("div", { class: "reference big", "data-testid": "item-reference" }, item.reference),
      h("dl", {},
        h("dt", {}, t("item.status")),
        h("dd", { "data-testid": "item-status" }, item.current_code
          ? [h("b", { class: "mono" }, item.current_code), " ", item.status_label || ""]
          : t("items.no_status"), item.unknown_code ? h("span", { class: "warn" }, ` (${t("item.unknown_code")})`) : null),
        item.agency_note ? [h("dt", {}, t("item.note")), h("dd", {}, item.agency_note)] : null,
        item.agency_updated_at ? [h("dt", {}, t("item.updated")), h("dd", {}, formatTime(item.agency_updated_at, tz))] : null,
        item.shipment_id ? [h("dt", {}, t("item.shipment")),
          h("dd", {}, h("a", { href: `#/shipments/${item.shipment_id}` }, `#${item.shipment_id}`))] : null,
        h("dt", {}, t("item.parties")), h("dd", {}, h("ul", { class: "parties" }, parties)))),
    estimateSlot,
    h("div", { class: "card push-prefs" }, h("h3", {}, t("item.push")),
      h("label", { class: "switch" }, mute, t("item.mute")),
      h("label", { class: "switch" }, details, t("item.details"))),
    h("h3", { class: "section" }, t("item.timeline")),
    events.length
      ? h("ol", { class: "timeline", "data-testid": "timeline" }, events.map((e) =>
        h("li", { "data-testid": "timeline-event", "data-code": e.native_code, "data-event-id": e.id },
          h("div", { class: "row" },
            h("span", { class: "code" }, h("b", { class: "mono" }, e.native_code), " ", e.label || ""),
            stageBadge(e.stage, e.stage_label)),
          e.note ? h("div", { class: "note", "data-testid": "timeline-note" }, e.note) : null,
          h("div", { class: "row small muted" }, h("span", {}, formatTime(e.agency_time, tz)),
            e.milestone ? h("span", { class: "milestone" }, t("item.milestone")) : null))))
      : h("p", { class: "empty" }, t("item.timeline_empty")));

  estimating.then((estimate) => {
    if (!estimate) {
      view.dataset.estimate = "failed";  // not shown: the item is what matters, its expectation is extra
      return;
    }
    const block = estimateBlock(estimate, tz);
    if (block) estimateSlot.replaceChildren(block);
    estimateSlot.hidden = !block;
    view.dataset.estimate = !block ? "none" : estimate.expected.length ? "shown" : "empty";
  }).catch(() => {
    view.dataset.estimate = "failed";  // an answer of an unexpected shape: not shown either
  });
  return view;
}

export async function shipmentsView(ctx) {
  const list = h("div", { class: "list", "data-testid": "shipments-list" });
  const more = h("button", { class: "more", type: "button", "data-testid": "shipments-more", hidden: true }, t("items.more"));
  let offset = 0;
  async function load() {
    try {
      const page = await api("GET", "/shipments", { query: { limit: PAGE, offset } });
      offset += page.length;
      list.append(...page.map((s) => h("a", { class: "card", href: `#/shipments/${s.id}`, "data-testid": "shipment-row" },
        h("div", { class: "reference" }, s.label || s.bill_of_lading || s.container_no || `#${s.id}`),
        h("div", { class: "small muted" },
          s.bill_of_lading ? `${t("shipments.bl")} ${s.bill_of_lading}  ` : "",
          s.container_no ? `${t("shipments.container")} ${s.container_no}` : ""))));
      more.hidden = page.length < PAGE;
    } catch (error) {
      ctx.banner(error);
    }
  }
  more.addEventListener("click", load);
  await load();
  return h("section", { class: "view", "data-testid": "shipments-view" }, list,
    list.childElementCount ? null : h("p", { class: "empty" }, t("shipments.empty")), more);
}

export async function shipmentView(ctx, { id }) {
  const s = await api("GET", `/shipments/${id}`);
  return h("section", { class: "view", "data-testid": "shipment-detail" },
    h("a", { class: "back", href: "#/shipments" }, t("item.back")),
    h("div", { class: "card detail" },
      h("div", { class: "reference big" }, s.label || s.bill_of_lading || s.container_no || `#${s.id}`),
      h("dl", {},
        s.bill_of_lading ? [h("dt", {}, t("shipments.bl")), h("dd", { class: "mono" }, s.bill_of_lading)] : null,
        s.container_no ? [h("dt", {}, t("shipments.container")), h("dd", { class: "mono" }, s.container_no)] : null)),
    h("h3", { class: "section" }, t("shipments.items")),
    h("div", { class: "list" }, s.items.map((item) => itemCard(item, ctx.me?.time_zone))),
    s.items.length ? null : h("p", { class: "empty" }, t("items.empty")));
}

export async function inboxView(ctx) {
  const list = h("div", { class: "list", "data-testid": "inbox-list" });
  const readAll = h("button", { type: "button", class: "link", "data-testid": "inbox-read-all" }, t("inbox.read_all"));
  readAll.addEventListener("click", () => ctx.push.markAllRead().catch(ctx.banner));
  function render() {
    const entries = ctx.push.entries;
    list.replaceChildren(...entries.map((entry) => h("a", {
      class: `card note-entry${entry.read ? "" : " unread"}${entry.urgent ? " urgent" : ""}`,
      href: ctx.push.target(entry), "data-testid": "inbox-entry", "data-notification-id": entry.nid,
      "data-inbox-id": entry.id ?? "",
      "data-read": entry.read ? "true" : "false",
      onclick: () => { ctx.push.markRead(entry).catch(ctx.banner); },
    },
    h("div", { class: "row" }, h("b", {}, entry.title),
      entry.data?.stage ? stageBadge(entry.data.stage) : null),
    h("div", { class: "body" }, entry.body),
    h("div", { class: "small muted" }, formatTime(entry.created_at, ctx.me?.time_zone)))));
    if (!entries.length) list.append(h("p", { class: "empty", "data-testid": "inbox-empty" }, t("inbox.empty")));
    readAll.disabled = ctx.push.unread() === 0;
  }
  render();
  ctx.onInboxChange(render);
  return h("section", { class: "view", "data-testid": "inbox-view" },
    h("div", { class: "toolbar end" }, readAll), list);
}

export function errorView(error) {
  return h("section", { class: "view" }, h("p", { class: "form-error", "data-testid": "view-error" }, describeError(error)));
}

export { loading };
