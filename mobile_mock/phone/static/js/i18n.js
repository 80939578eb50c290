// UI strings in zh-CN and en. Labels of kinds, codes and stages come from the API (Accept-Language).

import { store } from "./session.js";

export const LANGS = ["zh-CN", "en"];

const STRINGS = {
  "zh-CN": {
    "app.title": "掌上单一窗口",
    "app.subtitle": "国际贸易单一窗口 · 通关状态",
    "login.phone": "手机号",
    "login.password": "密码",
    "login.submit": "登录",
    "login.busy": "正在登录…",
    "login.hint": "演示账号：13800000002 / demo-pass-2026",
    "login.expired": "登录已过期，请重新登录。",
    "tab.items": "我的事项",
    "tab.shipments": "我的货物",
    "tab.charges": "收费公示",
    "tab.inbox": "消息",
    "tab.settings": "设置",
    "items.all_kinds": "全部类别",
    "items.more": "加载更多",
    "items.empty": "暂无事项。",
    "claims.title": "等待海关确认",
    "claim.pending_confirmation": "等待主管部门确认贵司为相关方",
    "claim.not_confirmed": "主管部门的数据未列贵司为相关方",
    "items.track": "＋ 跟踪新事项",
    "items.no_status": "待回执",
    "items.loading": "加载中…",
    "item.back": "‹ 返回",
    "item.reference": "编号",
    "item.status": "当前状态",
    "item.note": "机构备注",
    "item.updated": "机构更新时间",
    "item.parties": "相关方",
    "item.timeline": "状态时间线",
    "item.timeline_empty": "尚无回执。",
    "item.milestone": "关键节点",
    "item.unknown_code": "机构发送了未知代码",
    "item.push": "推送",
    "item.mute": "静音此事项",
    "item.details": "也推送细节状态",
    "item.shipment": "所属货物",
    "estimate.title": "预计完成时间",
    "estimate.expected": "预计 {time}",
    "estimate.p90": "90%：{time} 前",
    "estimate.based_office": "基于 {n} 票（海关 {office}）",
    "estimate.based_kind": "基于同类事项 {n} 件",
    "estimate.late": "晚于通常",
    "estimate.very_late": "晚于九成同类",
    "estimate.empty": "历史数据不足，暂无法预计。",
    "role.declarant": "申报人",
    "role.consignee": "收货人",
    "role.consignor": "发货人",
    "role.agent": "代理人",
    "role.owner": "消费使用/生产销售单位",
    "role.carrier": "承运人",
    "track.title": "跟踪新事项",
    "track.kind": "类别",
    "track.reference": "编号",
    "track.format": "格式：{name}，例如 {example}",
    "track.my_role": "我方角色",
    "track.consignee": "收货人统一社会信用代码（可选）",
    "track.agent": "代理人统一社会信用代码（可选）",
    "track.submit": "开始跟踪",
    "track.busy": "提交中…",
    "track.done": "已开始跟踪 {reference}",
    "track.claimed": "已提交 {reference}，待主管部门确认贵司为相关方后显示",
    "track.already": "已在跟踪 {reference}",
    "shipments.empty": "暂无货物。",
    "shipments.bl": "提单号",
    "shipments.container": "集装箱号",
    "shipments.items": "通关事项",
    "inbox.title": "消息",
    "inbox.empty": "暂无消息。",
    "inbox.read_all": "全部已读",
    "inbox.missed": "离线期间收到 {n} 条消息",
    "settings.language": "语言",
    "settings.quiet": "免打扰时段",
    "settings.quiet_hint": "期间的常规推送会在结束后合并为一条；紧急状态照常推送。",
    "settings.quiet_start": "开始",
    "settings.quiet_end": "结束",
    "settings.save": "保存",
    "settings.clear": "关闭免打扰",
    "settings.saved": "已保存",
    "settings.subscriptions": "订阅",
    "settings.subs_empty": "没有单独的订阅：您会收到本企业所有事项的关键节点推送。",
    "settings.subscribe_company": "订阅本企业全部事项",
    "settings.device": "本机推送",
    "settings.account": "账号",
    "settings.logout": "退出登录",
    "sub.item": "事项",
    "sub.shipment": "货物",
    "sub.company": "企业",
    "sub.muted": "静音",
    "sub.milestones_only": "仅关键节点",
    "sub.delete": "删除",
    "sub.kinds_all": "全部类别",
    "stream.live": "推送已连接",
    "stream.connecting": "推送连接中",
    "stream.offline": "推送未连接",
    "device.none": "未注册",
    "device.registered": "已注册（{platform}）",
    "err.network": "网络错误：无法连接服务器（{detail}）。请检查网络后重试。",
    "err.rate": "尝试次数过多，请 {seconds} 秒后再试。",
    "err.not_found": "未找到，或您无权查看。",
    "err.server": "服务器错误（{status}）：{message}",
    "err.fields": "请修改标出的字段：",
    "err.device": "推送注册失败：{detail}",
    "stage.none": "待回执",
    "stage.submitted": "已提交",
    "stage.accepted": "已受理",
    "stage.under_review": "审核中",
    "stage.action_required": "待处理",
    "stage.inspection": "查验中",
    "stage.on_hold": "已挂起",
    "stage.released": "已放行",
    "stage.completed": "已办结",
    "stage.rejected": "已退回",
    "stage.cancelled": "已撤销",
    "time.received": "收到于",
  },
  en: {
    "app.title": "Single Window Mobile",
    "app.subtitle": "China International Trade Single Window · clearance status",
    "login.phone": "Phone",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.busy": "Logging in…",
    "login.hint": "Demo: 13800000002 / demo-pass-2026",
    "login.expired": "Your session has expired. Please log in again.",
    "tab.items": "My items",
    "tab.shipments": "Shipments",
    "tab.charges": "Port charges",
    "tab.inbox": "Inbox",
    "tab.settings": "Settings",
    "items.all_kinds": "All kinds",
    "items.more": "Load more",
    "items.empty": "No items yet.",
    "claims.title": "Waiting for confirmation",
    "claim.pending_confirmation": "Waiting for the agency to confirm your company as a party",
    "claim.not_confirmed": "The agency's data does not name your company as a party",
    "items.track": "+ Track an item",
    "items.no_status": "Awaiting receipt",
    "items.loading": "Loading…",
    "item.back": "‹ Back",
    "item.reference": "Reference",
    "item.status": "Current status",
    "item.note": "Agency note",
    "item.updated": "Agency time",
    "item.parties": "Parties",
    "item.timeline": "Timeline",
    "item.timeline_empty": "No receipts yet.",
    "item.milestone": "milestone",
    "item.unknown_code": "the agency sent an unknown code",
    "item.push": "Pushes",
    "item.mute": "Mute this item",
    "item.details": "Also push detail statuses",
    "item.shipment": "Shipment",
    "estimate.title": "Expected",
    "estimate.expected": "expected {time}",
    "estimate.p90": "90%: by {time}",
    "estimate.based_office": "based on {n} items at customs {office}",
    "estimate.based_kind": "based on {n} items of this kind",
    "estimate.late": "later than usual",
    "estimate.very_late": "later than 9 in 10",
    "estimate.empty": "Not enough history yet to estimate.",
    "role.declarant": "Declarant",
    "role.consignee": "Consignee",
    "role.consignor": "Consignor",
    "role.agent": "Agent",
    "role.owner": "Owner",
    "role.carrier": "Carrier",
    "track.title": "Track a new item",
    "track.kind": "Kind",
    "track.reference": "Reference",
    "track.format": "Format: {name}, e.g. {example}",
    "track.my_role": "My role",
    "track.consignee": "Consignee's credit code (optional)",
    "track.agent": "Agent's credit code (optional)",
    "track.submit": "Start tracking",
    "track.busy": "Sending…",
    "track.done": "Now tracking {reference}",
    "track.claimed": "{reference} sent: it shows once the agency confirms your company as a party",
    "track.already": "Already tracking {reference}",
    "shipments.empty": "No shipments yet.",
    "shipments.bl": "B/L",
    "shipments.container": "Container",
    "shipments.items": "Clearance items",
    "inbox.title": "Inbox",
    "inbox.empty": "No notifications yet.",
    "inbox.read_all": "Mark all read",
    "inbox.missed": "{n} notifications arrived while you were away",
    "settings.language": "Language",
    "settings.quiet": "Quiet hours",
    "settings.quiet_hint": "Routine pushes wait until they end and come as one digest; urgent ones ring anyway.",
    "settings.quiet_start": "From",
    "settings.quiet_end": "Until",
    "settings.save": "Save",
    "settings.clear": "Turn off",
    "settings.saved": "Saved",
    "settings.subscriptions": "Subscriptions",
    "settings.subs_empty": "No subscriptions of your own: you get the milestones of all your company's items.",
    "settings.subscribe_company": "Subscribe to all my company's items",
    "settings.device": "Pushes on this phone",
    "settings.account": "Account",
    "settings.logout": "Log out",
    "sub.item": "Item",
    "sub.shipment": "Shipment",
    "sub.company": "Company",
    "sub.muted": "Muted",
    "sub.milestones_only": "Milestones only",
    "sub.delete": "Delete",
    "sub.kinds_all": "all kinds",
    "stream.live": "Push connected",
    "stream.connecting": "Connecting push",
    "stream.offline": "Push offline",
    "device.none": "not registered",
    "device.registered": "registered ({platform})",
    "err.network": "Network error: the server could not be reached ({detail}). Check the connection and try again.",
    "err.rate": "Too many attempts; try again in {seconds} s.",
    "err.not_found": "Not found, or not yours to see.",
    "err.server": "Server error ({status}): {message}",
    "err.fields": "Please correct the marked fields:",
    "err.device": "Could not register for pushes: {detail}",
    "stage.none": "Awaiting receipt",
    "stage.submitted": "Submitted",
    "stage.accepted": "Accepted",
    "stage.under_review": "Under review",
    "stage.action_required": "Action required",
    "stage.inspection": "Inspection",
    "stage.on_hold": "On hold",
    "stage.released": "Released",
    "stage.completed": "Completed",
    "stage.rejected": "Rejected",
    "stage.cancelled": "Cancelled",
    "time.received": "Received",
  },
};

const listeners = new Set();

export function getLang() {
  const saved = store.get("lang");
  if (LANGS.includes(saved)) return saved;
  return (navigator.language || "").toLowerCase().startsWith("en") ? "en" : "zh-CN";
}

export function hasChosenLang() {
  return LANGS.includes(store.get("lang"));
}

/** Switch the UI language; `silent` when the caller renders anyway (the session just started). */
export function setLang(lang, { silent = false } = {}) {
  if (!LANGS.includes(lang)) return;
  const changed = lang !== getLang();
  store.set("lang", lang);
  document.documentElement.lang = lang;
  if (changed && !silent) for (const listener of listeners) listener(lang);
}

export function onLangChange(listener) {
  listeners.add(listener);
}

export function t(key, vars = {}) {
  const table = STRINGS[getLang()] || STRINGS["zh-CN"];
  const text = table[key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// A stage's label when the API gave none (e.g. a push's data carries only the stage key).
export function stageText(stage) {
  return t(`stage.${stage || "none"}`);
}

// Agency times and inbox times, shown in the user's time zone (Asia/Shanghai unless the profile says otherwise).
export function formatTime(value, timeZone) {
  if (!value) return "";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  try {
    return new Intl.DateTimeFormat(getLang() === "en" ? "en-GB" : "zh-CN", {
      timeZone: timeZone || "Asia/Shanghai",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
    }).format(date);
  } catch {
    return date.toISOString().slice(0, 16).replace("T", " ");
  }
}
