// Pushes: the device token, the live stream from the FCM-compatible endpoint, and the in-app inbox.
//
// Every push carries data.notification_id; the API's inbox rows carry the same id. The page shows each id
// at most once: `seen` holds every id shown this session (sessionStorage), whether it came live, from the
// stream's own replay after a reconnect, or from the API's catch-up (GET /me/notifications?after=<last id>).

import { api, deviceState, issueDeviceToken, pushUrl } from "./api.js";
import { store } from "./session.js";

const APP_VERSION = "phone-web/1.0";
const MAX_ENTRIES = 200;       // inbox entries kept in the page
const MAX_SEEN = 2000;         // notification ids remembered for dedupe
const CATCH_UP_PAGE = 100;
const CATCH_UP_PAGES = 10;
const REOPEN_MS = 3000;        // when the browser gave up on the stream (EventSource retries by itself otherwise)

function deepLinkTarget(data, itemId) {
  const match = /^swm:\/\/clearances\/(\d+)$/.exec(data?.deep_link || "");
  if (match) return `#/items/${match[1]}`;
  const charge = /^swm:\/\/port-charges\/enterprises\/(\d+)$/.exec(data?.deep_link || "");
  if (charge) return `#/charges/enterprises/${charge[1]}`;
  return itemId ? `#/items/${itemId}` : "#/inbox";
}

export class Push extends EventTarget {
  constructor() {
    super();
    this.source = null;
    this.reopenTimer = null;
    this.catchUpTimer = null;
    this.catching = null;
    this.again = false;
    this.status = "offline";
    this.pendingReads = 0;
    this.received = 0;   // deliveries that reached the page
    this.dropped = 0;    // of which duplicates (a notification_id already shown)
    this.load();
  }

  load() {
    this.entries = store.get("inbox", []);            // newest first
    this.seen = new Set(store.get("seen", []));
    this.lastInboxId = store.get("inboxCursor", null); // null: the inbox was never loaded in this session
    this.serverUnread = store.get("serverUnread", 0);
  }

  save() {
    this.entries.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || (b.id || 0) - (a.id || 0));
    this.entries = this.entries.slice(0, MAX_ENTRIES);
    store.set("inbox", this.entries);
    store.set("seen", [...this.seen].slice(-MAX_SEEN));
    store.set("inboxCursor", this.lastInboxId);
    store.set("serverUnread", this.serverUnread);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  get device() {
    return store.get("device");
  }

  /** Get a token once per session from the mock's POST /devices, then register it with the API. */
  async registerDevice() {
    let device = store.get("device");
    if (device?.token && (await deviceState(device.token)) !== "issued") device = null;  // FCM would refresh it
    if (!device?.token) {
      device = { token: await issueDeviceToken(), seq: 0 };
      store.set("device", device);
    }
    const registered = await api("POST", "/devices", {
      body: { platform: "web", token: device.token, app_version: APP_VERSION },
    });
    store.set("device", { ...store.get("device"), id: registered.id, platform: registered.platform });
    return registered;
  }

  start() {
    const device = store.get("device");
    if (!device?.token) return;
    this.stop();
    const after = device.seq || 0;
    const source = new EventSource(`${pushUrl()}/devices/${encodeURIComponent(device.token)}/stream?after=${after}`);
    this.source = source;
    this.setStatus("connecting");
    source.onopen = () => {
      this.setStatus("live");
      this.catchUp();  // on every (re)connect: what the API has that the stream may not have brought
    };
    source.onmessage = (event) => this.onDelivery(event);
    source.onerror = () => {
      if (source !== this.source) return;
      if (source.readyState === EventSource.CLOSED) {
        this.setStatus("offline");
        this.reopenTimer = setTimeout(() => this.start(), REOPEN_MS);
      } else {
        this.setStatus("connecting");  // the browser reconnects by itself, sending Last-Event-ID
      }
    };
  }

  stop() {
    clearTimeout(this.reopenTimer);
    clearTimeout(this.catchUpTimer);
    if (this.source) this.source.close();
    this.source = null;
    this.setStatus("offline");
  }

  /** Logging out: forget this user's inbox; the device token stays with the tab (it is the phone's). */
  reset() {
    this.stop();
    store.remove("inbox", "seen", "inboxCursor", "serverUnread");
    this.load();
    this.emit("change");
  }

  setStatus(status) {
    this.status = status;
    this.emit("status", status);
  }

  onDelivery(event) {
    let delivery;
    try {
      delivery = JSON.parse(event.data);
    } catch {
      return;
    }
    const device = store.get("device");
    if (device && delivery.seq > (device.seq || 0)) store.set("device", { ...device, seq: delivery.seq });
    this.received += 1;
    const message = delivery.message || {};
    const data = message.data || {};
    const nid = data.notification_id || delivery.name;
    if (this.seen.has(nid)) {
      this.dropped += 1;
      this.emit("status", this.status);
      return;
    }
    const entry = {
      nid,
      id: null,  // the API's inbox id, known after the next catch-up
      title: message.notification?.title || data.reference || "",
      body: message.notification?.body || "",
      data,
      item_id: data.item_id ? Number(data.item_id) : null,
      created_at: new Date((delivery.received_at || Date.now() / 1000) * 1000).toISOString(),
      read: false,
      urgent: message.android?.priority === "high",
    };
    this.seen.add(nid);
    this.entries.unshift(entry);
    this.save();
    this.emit("notify", entry);
    this.emit("change");
    this.emit("status", this.status);
    // Learn the inbox id (for "mark read") and the unread count soon, once a burst has settled.
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = setTimeout(() => this.catchUp(), 300);
  }

  /** Merge one row of the API's inbox; returns true when it is new to this page. A push read here before
   *  its row was known is marked read in the API now (the promise goes to `reads`, awaited before counting). */
  merge(row, reads) {
    const existing = this.entries.find((e) => e.nid === row.notification_id);
    if (existing) {
      const readHere = existing.read && !row.read_at;
      Object.assign(existing, {
        id: row.id, title: row.title, body: row.body, data: row.data, item_id: row.item_id,
        read: existing.read || Boolean(row.read_at), urgent: row.urgent,
      });
      if (readHere) reads.push(this.reading(api("POST", `/me/notifications/${row.id}/read`)));
      return false;
    }
    if (this.seen.has(row.notification_id)) return false;  // shown before, since dropped from the list
    this.seen.add(row.notification_id);
    this.entries.push({
      nid: row.notification_id, id: row.id, title: row.title, body: row.body, data: row.data,
      item_id: row.item_id, created_at: row.created_at, read: Boolean(row.read_at), urgent: row.urgent,
    });
    return true;
  }

  /** GET /me/notifications?after=<last inbox id seen> until nothing is left, then the unread count. */
  catchUp() {
    if (this.catching) {
      this.again = true;
      return this.catching;
    }
    this.catching = (async () => {
      try {
        do {
          this.again = false;
          await this.catchUpOnce();
        } while (this.again);
      } catch (error) {
        if (error?.status !== 401) this.emit("error", error);
      } finally {
        this.catching = null;
      }
    })();
    return this.catching;
  }

  async catchUpOnce() {
    let added = 0;
    const reads = [];
    if (this.lastInboxId === null) {
      // First time in this session: the newest page; after that, only what came after it.
      const page = await api("GET", "/me/notifications", { query: { limit: 50 } });
      for (const row of page.items) this.merge(row, reads);
      this.lastInboxId = Math.max(0, ...page.items.map((row) => row.id));
    } else {
      for (let n = 0; n < CATCH_UP_PAGES; n += 1) {
        const page = await api("GET", "/me/notifications", { query: { after: this.lastInboxId, limit: CATCH_UP_PAGE } });
        for (const row of page.items) if (this.merge(row, reads)) added += 1;
        if (page.items.length) this.lastInboxId = Math.max(this.lastInboxId, ...page.items.map((row) => row.id));
        if (page.items.length < CATCH_UP_PAGE) break;
      }
    }
    await Promise.allSettled(reads);
    await this.refreshUnread();
    this.save();
    if (added) this.emit("missed", added);
    this.emit("change");
  }

  /** Unread: the API's count, plus pushes whose inbox row this page has not matched yet. */
  unread() {
    return this.serverUnread + this.entries.filter((e) => e.id === null && !e.read).length;
  }

  /** The API's unread count, unless a "mark read" is still on its way (its own refresh comes after it). */
  async refreshUnread() {
    const { unread } = await api("GET", "/me/notifications/unread-count");
    if (this.pendingReads === 0) this.serverUnread = unread;
  }

  reading(request) {
    this.pendingReads += 1;
    return request.finally(() => { this.pendingReads -= 1; });
  }

  async markRead(entry) {
    if (entry.read) return;
    entry.read = true;
    this.save();
    this.emit("change");
    if (entry.id === null) return;  // the next catch-up marks it read in the API once it knows its row
    await this.reading(api("POST", `/me/notifications/${entry.id}/read`));
    await this.refreshUnread();
    this.save();
    this.emit("change");
  }

  async markAllRead() {
    const result = await api("POST", "/me/notifications/read-all");
    this.serverUnread = result.unread;
    for (const entry of this.entries) entry.read = true;
    this.save();
    this.emit("change");
  }

  target(entry) {
    return deepLinkTarget(entry.data, entry.item_id);
  }
}
