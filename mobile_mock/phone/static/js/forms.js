// The screens that send: log in, track a new item, settings (language, quiet hours, subscriptions, log out).

import { api, describeError, login } from "./api.js";
import { clearErrors, field, formError, h, showErrors } from "./dom.js";
import { getLang, t } from "./i18n.js";
import { uuid } from "./session.js";

export function loginView(ctx) {
  const phone = h("input", { type: "tel", inputmode: "numeric", autocomplete: "username", "data-testid": "login-phone",
    value: ctx.state.lastPhone || "" });
  const password = h("input", { type: "password", autocomplete: "current-password", "data-testid": "login-password" });
  const submit = h("button", { type: "submit", class: "primary wide", "data-testid": "login-submit" }, t("login.submit"));
  const form = h("form", { class: "card form", novalidate: true },
    field("phone", t("login.phone"), phone),
    field("password", t("login.password"), password),
    formError(), submit,
    h("p", { class: "small muted" }, t("login.hint")));
  if (ctx.state.loginMessage) form.querySelector("[data-testid=form-error]").textContent = ctx.state.loginMessage;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    ctx.state.loginMessage = null;
    submit.disabled = true;
    submit.textContent = t("login.busy");
    try {
      ctx.state.lastPhone = phone.value.trim();
      await login(phone.value.trim(), password.value);
      await ctx.startSession();
      ctx.navigate("#/items");
    } catch (error) {
      showErrors(form, error);
    } finally {
      submit.disabled = false;
      submit.textContent = t("login.submit");
    }
  });
  return h("section", { class: "view login", "data-testid": "login-view" },
    h("div", { class: "brand" }, h("div", { class: "logo" }, "单"),
      h("h1", {}, t("app.title")), h("p", { class: "muted" }, t("app.subtitle"))),
    form);
}

export async function trackView(ctx) {
  const kinds = await ctx.kinds();
  const kind = h("select", { "data-testid": "track-kind" },
    kinds.map((k) => h("option", { value: k.key }, `${k.number}. ${k.name}`)));
  kind.value = ctx.state.trackKind || kinds[0]?.key;
  const format = h("div", { class: "hint", "data-testid": "track-format" });
  const showFormat = () => {
    const k = kinds.find((x) => x.key === kind.value);
    format.textContent = k ? t("track.format", { name: k.reference.name, example: k.reference.example }) : "";
  };
  showFormat();
  const reference = h("input", { type: "text", autocomplete: "off", spellcheck: "false", "data-testid": "track-reference" });
  const role = h("select", { "data-testid": "track-role" },
    ["declarant", "consignee", "consignor", "agent"].map((r) => h("option", { value: r }, t(`role.${r}`))));
  const consignee = h("input", { type: "text", autocomplete: "off", maxlength: 30, "data-testid": "track-consignee" });
  const agent = h("input", { type: "text", autocomplete: "off", maxlength: 30, "data-testid": "track-agent" });
  const submit = h("button", { type: "submit", class: "primary wide", "data-testid": "track-submit" }, t("track.submit"));
  const form = h("form", { class: "card form", novalidate: true },
    field("kind", t("track.kind"), kind, format),
    field("reference", t("track.reference"), reference),
    field("my_role", t("track.my_role"), role),
    field("consignee", t("track.consignee"), consignee),
    field("agent", t("track.agent"), agent),
    formError(), submit);
  kind.addEventListener("change", () => {
    ctx.state.trackKind = kind.value;
    showFormat();
  });

  // The same body sent again (a retry after a network error) keeps its Idempotency-Key; a changed body gets a new one.
  let lastBody = null;
  let key = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const parties = [];
    const names = {};
    for (const [partyRole, input] of [["consignee", consignee], ["agent", agent]]) {
      if (!input.value.trim()) continue;
      names[`parties.${parties.length}.uscc`] = partyRole;
      names[`parties.${parties.length}.role`] = partyRole;
      names[`parties.${parties.length}`] = partyRole;
      parties.push({ role: partyRole, uscc: input.value.trim().toUpperCase() });
    }
    const body = { kind: kind.value, reference: reference.value.trim(), my_role: role.value, parties };
    const text = JSON.stringify(body);
    if (text !== lastBody) {
      lastBody = text;
      key = uuid();
    }
    submit.disabled = true;
    submit.textContent = t("track.busy");
    try {
      const answer = await api("POST", "/clearances", { body, idempotencyKey: key });
      lastBody = null;
      // 200: the agency names my company, here is the item; 202: a claim, shown until the agency confirms it.
      ctx.toast(answer.state
        ? { title: t("track.claimed", { reference: answer.reference }), target: "#/items" }
        : { title: t("track.done", { reference: answer.reference }), target: `#/items/${answer.id}` });
      ctx.state.kindFilter = "";
      ctx.navigate("#/items");
    } catch (error) {
      showErrors(form, error, names);
    } finally {
      submit.disabled = false;
      submit.textContent = t("track.submit");
    }
  });
  return h("section", { class: "view", "data-testid": "track-view" },
    h("a", { class: "back", href: "#/items" }, t("item.back")), h("h2", {}, t("track.title")), form);
}

export async function settingsView(ctx) {
  const [settings, subscriptions] = await Promise.all([
    api("GET", "/me/notification-settings"),
    api("GET", "/subscriptions"),
  ]);

  // Language: the UI switches at once; the profile follows, so pushes come in it too.
  const langs = h("div", { class: "segmented", role: "radiogroup" },
    [["zh-CN", "中文"], ["en", "English"]].map(([code, label]) => h("button", {
      type: "button", class: getLang() === code ? "on" : "", "data-testid": `settings-lang-${code}`,
      "aria-pressed": getLang() === code ? "true" : "false", onclick: () => ctx.switchLang(code),
    }, label)));

  const start = h("input", { type: "time", "data-testid": "quiet-start", value: settings.quiet_start || "" });
  const end = h("input", { type: "time", "data-testid": "quiet-end", value: settings.quiet_end || "" });
  const saved = h("span", { class: "small ok", "data-testid": "quiet-saved" });
  const quiet = h("form", { class: "form", novalidate: true },
    h("p", { class: "small muted" }, t("settings.quiet_hint")),
    h("div", { class: "pair" }, field("quiet_start", t("settings.quiet_start"), start),
      field("quiet_end", t("settings.quiet_end"), end)),
    formError(),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary", "data-testid": "quiet-save" }, t("settings.save")),
      h("button", { type: "button", class: "link", "data-testid": "quiet-clear", onclick: () => putQuiet(null, null) },
        t("settings.clear")), saved));
  async function putQuiet(from, until) {
    clearErrors(quiet);
    saved.textContent = "";
    try {
      const result = await api("PUT", "/me/notification-settings", { body: { quiet_start: from, quiet_end: until } });
      start.value = result.quiet_start || "";
      end.value = result.quiet_end || "";
      saved.textContent = t("settings.saved");
    } catch (error) {
      showErrors(quiet, error);
    }
  }
  quiet.addEventListener("submit", (event) => {
    event.preventDefault();
    putQuiet(start.value || null, end.value || null);
  });

  const subsList = h("div", { class: "list", "data-testid": "subscriptions" });
  function renderSubs(rows) {
    subsList.replaceChildren(...rows.map((s) => subscriptionRow(ctx, s, () => reloadSubs())));
    if (!rows.length) subsList.append(h("p", { class: "small muted" }, t("settings.subs_empty")));
  }
  async function reloadSubs() {
    try {
      renderSubs(await api("GET", "/subscriptions"));
    } catch (error) {
      ctx.banner(error);
    }
  }
  renderSubs(subscriptions);
  const companyId = ctx.me?.company?.id;
  const subscribeCompany = companyId ? h("button", {
    type: "button", class: "link", "data-testid": "subscribe-company",
    onclick: async () => {
      try {
        await api("POST", "/subscriptions", { body: { scope: "company", target_id: companyId }, idempotencyKey: uuid() });
        reloadSubs();
      } catch (error) {
        ctx.banner(error);
      }
    },
  }, t("settings.subscribe_company")) : null;

  const device = ctx.push.device;
  const logout = h("button", { type: "button", class: "danger wide", "data-testid": "logout", onclick: () => ctx.logout() },
    t("settings.logout"));

  return h("section", { class: "view", "data-testid": "settings-view" },
    h("div", { class: "card" }, h("h3", {}, t("settings.language")), langs),
    h("div", { class: "card" }, h("h3", {}, t("settings.quiet")), quiet),
    h("div", { class: "card" }, h("h3", {}, t("settings.subscriptions")), subsList, subscribeCompany),
    h("div", { class: "card" }, h("h3", {}, t("settings.device")),
      h("div", { class: "small", "data-testid": "device-info" },
        device?.id ? t("device.registered", { platform: device.platform || "web" }) : t("device.none")),
      device?.token ? h("div", { class: "small mono muted", "data-testid": "device-token" }, maskToken(device.token)) : null,
      h("div", { class: "small muted" }, t(`stream.${ctx.push.status}`))),
    h("div", { class: "card" }, h("h3", {}, t("settings.account")),
      h("div", {}, ctx.me?.name || ""), h("div", { class: "small muted" }, ctx.me?.phone || "",
        ctx.me?.company ? ` · ${ctx.me.company.name}` : ""), logout));
}

function subscriptionRow(ctx, s, changed) {
  const muted = h("input", { type: "checkbox", "data-testid": "sub-muted" });
  muted.checked = s.muted;
  const milestones = h("input", { type: "checkbox", "data-testid": "sub-milestones" });
  milestones.checked = s.milestones_only;
  const problem = h("div", { class: "field-error" });
  async function patch(body) {
    problem.textContent = "";
    try {
      await api("PATCH", `/subscriptions/${s.id}`, { body });
      changed();
    } catch (error) {
      muted.checked = s.muted;
      milestones.checked = s.milestones_only;
      problem.textContent = describeError(error);
    }
  }
  muted.addEventListener("change", () => patch({ muted: muted.checked }));
  milestones.addEventListener("change", () => patch({ milestones_only: milestones.checked }));
  const target = s.scope === "item"
    ? h("a", { href: `#/items/${s.target_id}` }, `${t("sub.item")} #${s.target_id}`)
    : s.scope === "shipment"
      ? h("a", { href: `#/shipments/${s.target_id}` }, `${t("sub.shipment")} #${s.target_id}`)
      : h("span", {}, t("sub.company"));
  return h("div", { class: "sub-row", "data-testid": "subscription-row", "data-scope": s.scope, "data-target": s.target_id },
    h("div", { class: "row" }, target, h("span", { class: "small muted" }, s.kinds ? s.kinds.join(", ") : t("sub.kinds_all"))),
    h("div", { class: "row small" },
      h("label", { class: "switch" }, muted, t("sub.muted")),
      h("label", { class: "switch" }, milestones, t("sub.milestones_only")),
      h("button", { type: "button", class: "link danger", "data-testid": "sub-delete", onclick: async () => {
        try {
          await api("DELETE", `/subscriptions/${s.id}`);
          changed();
        } catch (error) {
          problem.textContent = describeError(error);
        }
      } }, t("sub.delete"))),
    problem);
}


/** Enough of the push token to tell devices apart (as the desk shows it), never the whole of it on screen. */
export function maskToken(token) {
  return token.length > 16 ? `${token.slice(0, 6)}…${token.slice(-4)}` : `…${token.slice(-2)}`;
}
