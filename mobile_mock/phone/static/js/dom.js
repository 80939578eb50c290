// Building elements without innerHTML (agency notes and references are data, never markup), and forms'
// error display: the API's errors.json.<field> next to the field, the rest above the button.

import { describeError, ApiError } from "./api.js";
import { formatTime, stageText, t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value") el.value = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function stageBadge(stage, label) {
  return h("span", { class: `badge stage-${stage || "none"}`, "data-testid": "stage-badge", "data-stage": stage || "" },
    label || stageText(stage));
}

/** One item as a card: kind, reference, stage badge, native code and label. */
export function itemCard(item, timeZone) {
  const status = item.current_code
    ? h("span", { class: "code" }, h("b", {}, item.current_code), " ", item.status_label || "")
    : h("span", { class: "muted" }, t("items.no_status"));
  return h("a", { class: "card item", href: `#/items/${item.id}`, "data-testid": "item-row", "data-item-id": item.id,
    "data-reference": item.reference },
  h("div", { class: "row" }, h("span", { class: "kind", "data-testid": "item-kind" }, item.kind_name || item.kind),
    stageBadge(item.stage, item.stage_label)),
  h("div", { class: "reference", "data-testid": "item-reference" }, item.reference),
  h("div", { class: "row small" }, status,
    item.agency_updated_at ? h("span", { class: "muted" }, formatTime(item.agency_updated_at, timeZone)) : null));
}

export function field(name, label, input, hint) {
  input.id ||= `f-${name}`;
  input.name ||= name;
  return h("div", { class: "field", "data-field": name },
    h("label", { for: input.id }, label), input, hint || null,
    h("div", { class: "field-error", "data-testid": `field-error-${name}`, "data-error-for": name, role: "alert" }));
}

export function formError() {
  return h("div", { class: "form-error", "data-testid": "form-error", role: "alert" });
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const top = form.querySelector("[data-testid=form-error]");
  if (top) top.replaceChildren();
}

/** Show an ApiError on a form: reasons next to their fields (`names` maps API field names to form fields). */
export function showErrors(form, error, names = {}) {
  clearErrors(form);
  const unplaced = [];
  const fields = error instanceof ApiError ? error.fields : {};
  for (const [apiField, reasons] of Object.entries(fields || {})) {
    const name = names[apiField] ?? apiField;
    const text = [].concat(reasons).flatMap((r) => (typeof r === "object" ? Object.values(r).flat() : [r])).join("; ");
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (slot) {
      slot.textContent = text;
      slot.closest(".field")?.querySelector("input, select")?.setAttribute("aria-invalid", "true");
    } else {
      unplaced.push(`${apiField}: ${text}`);
    }
  }
  const top = form.querySelector("[data-testid=form-error]");
  if (!top) return;
  const lines = [describeError(error)];
  if (Object.keys(fields || {}).length) lines.push(t("err.fields"));
  top.replaceChildren(...lines.map((line) => h("div", {}, line)), ...unplaced.map((line) => h("div", { class: "mono" }, line)));
}

export function loading() {
  return h("div", { class: "loading", "data-testid": "loading" }, t("items.loading"));
}
