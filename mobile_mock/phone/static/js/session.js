// Everything the page keeps lives in sessionStorage (this tab, until it closes): tokens, the device token,
// the inbox with the notification ids already shown, and the cursors of the push stream and the inbox.

const PREFIX = "swm.";

export const store = {
  get(key, fallback = null) {
    try {
      const raw = sessionStorage.getItem(PREFIX + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    if (value === null || value === undefined) sessionStorage.removeItem(PREFIX + key);
    else sessionStorage.setItem(PREFIX + key, JSON.stringify(value));
  },
  remove(...keys) {
    for (const key of keys) sessionStorage.removeItem(PREFIX + key);
  },
};

export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();  // secure contexts (127.0.0.1, https)
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
