// The REST API (another origin, allowed through CORS) and this mock's /devices (same origin).
// Bearer tokens live in sessionStorage; a 401 triggers one POST /auth/refresh, then one retry,
// else the session is over and the page goes back to the login screen.

import { getLang, t } from "./i18n.js";
import { store } from "./session.js";

const config = { apiUrl: "", pushUrl: "" };
let authLost = () => {};
let refreshing = null;
// Answers that carried an ETag, by URL and language: asked again with If-None-Match, a 304 means this copy is
// still right and nothing is downloaded or parsed again. Kept in memory for this session only.
const cached = new Map();

export function configure({ api_url, push_url }) {
  config.apiUrl = api_url.replace(/\/$/, "");
  config.pushUrl = (push_url || location.origin).replace(/\/$/, "");
}

export function pushUrl() {
  return config.pushUrl;
}

export function onAuthLost(callback) {
  authLost = callback;
}

export class ApiError extends Error {
  constructor({ status = 0, message = "", fields = {}, other = {}, network = false, retryAfter = null, detail = "" }) {
    super(message || detail || `HTTP ${status}`);
    this.status = status;            // 0 when the request never got an answer
    this.fields = fields;            // errors.json: {field: [reason, ...]}
    this.other = other;              // errors in other locations (query, headers)
    this.network = network;
    this.retryAfter = retryAfter;
    this.detail = detail;
  }
}

export function isLoggedIn() {
  return Boolean(store.get("auth")?.access_token);
}

function url(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, value);
  }
  const qs = params.toString();
  return `${config.apiUrl}${path}${qs ? `?${qs}` : ""}`;
}

async function send(target, init) {
  try {
    return await fetch(target, init);
  } catch (error) {
    throw new ApiError({ network: true, detail: error?.message || String(error) });
  }
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const errors = (body && typeof body.errors === "object" && body.errors) || {};
  const { json: fields = {}, ...other } = errors;
  // FCM-shaped errors from the mock: {"error": {"message": ...}}
  const message = body?.message || body?.error?.message || response.statusText || "";
  const retry = response.headers.get("Retry-After");
  return new ApiError({ status: response.status, message, fields, other, retryAfter: retry ? Number(retry) : null });
}

async function refreshOnce() {
  const refreshToken = store.get("auth")?.refresh_token;
  if (!refreshToken) return false;
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const response = await send(url("/auth/refresh"), {
          method: "POST",
          headers: { Authorization: `Bearer ${refreshToken}`, Accept: "application/json", "Accept-Language": getLang() },
        });
        if (!response.ok) return false;
        const tokens = await response.json();
        store.set("auth", { ...store.get("auth"), access_token: tokens.access_token });
        return true;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

/** Call the API; returns the parsed JSON (null for 204), throws ApiError. */
export async function api(method, path, { body, query, idempotencyKey, auth = true, retried = false } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": getLang() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const access = store.get("auth")?.access_token;
  if (auth && access) headers.Authorization = `Bearer ${access}`;
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  const target = url(path, query);
  const key = `${headers["Accept-Language"]} ${target}`;
  const kept = method === "GET" ? cached.get(key) : undefined;
  if (kept) headers["If-None-Match"] = kept.etag;
  const response = await send(target, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 304 && kept) return structuredClone(kept.body);
  if (response.status === 401 && auth) {
    if (!retried && (await refreshOnce())) {
      return api(method, path, { body, query, idempotencyKey, auth, retried: true });
    }
    const error = await errorFrom(response);
    store.remove("auth");
    authLost(error);
    throw error;
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return null;
  const answer = await response.json();
  const etag = response.headers.get("ETag");
  if (method === "GET" && etag) cached.set(key, { etag, body: structuredClone(answer) });
  return answer;
}

export async function login(phone, password) {
  const tokens = await api("POST", "/auth/login", { body: { phone, password }, auth: false });
  store.set("auth", { access_token: tokens.access_token, refresh_token: tokens.refresh_token });
  cached.clear();  // another user may log in on this phone
  return tokens;
}

export async function logout() {
  try {
    await api("POST", "/auth/logout", { retried: true });  // no refresh just to log out
  } catch {
    // the session ends on this phone whatever the server said
  }
  store.remove("auth");
  cached.clear();
}

/** A device token from the FCM-compatible endpoint: what the Firebase SDK would hand a real app. */
export async function issueDeviceToken() {
  const response = await send(`${config.pushUrl}/devices`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
  });
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()).token;
}

/** What the mock knows of a token: "issued", "deleted" (the app was "uninstalled") or "unknown" (mock restarted). */
export async function deviceState(token) {
  const response = await send(`${config.pushUrl}/devices/${encodeURIComponent(token)}`, { method: "GET" });
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()).state;
}

/** The error in words, for a banner or next to a form. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return String(error?.message || error);
  if (error.network) return t("err.network", { detail: error.detail || "offline" });
  // The server says it in the reader's language (Accept-Language); our own words only when it says nothing.
  if (error.status === 429) return error.message || t("err.rate", { seconds: error.retryAfter ?? 60 });
  if (error.status === 404) return t("err.not_found");
  if (error.status >= 500) return t("err.server", { status: error.status, message: error.message });
  const extra = Object.entries(error.other || {}).flatMap(([where, fields]) =>
    Object.entries(fields || {}).map(([field, reasons]) => `${where}.${field}: ${[].concat(reasons).join("; ")}`));
  return [error.message, ...extra].filter(Boolean).join(" · ");
}
