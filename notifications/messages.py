"""What a push says: title and body in the user's language, the data payload, Android and APNs options.

A message is built as the FCM v1 JSON `message` object (plain data, checked against
api_spec/push_payload.schema.json); only the sender turns it into firebase-admin objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from status_tracker.kinds import get_kind
from status_tracker.stages import STAGE_LABELS, Stage

# Stages that need the user now: they go through quiet hours and ring at high priority.
URGENT_STAGES = frozenset({Stage.REJECTED, Stage.ON_HOLD, Stage.INSPECTION, Stage.ACTION_REQUIRED})
TTL_SECONDS = 7 * 24 * 3600  # a status older than a week is stale news; the inbox still has it
CHANNEL = {True: "clearance_urgent", False: "clearance_status"}
NOTICE_CHANNEL = "notices"  # news that is not a status change (notifications.fanout.Notice)


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def is_urgent(stage: str | None) -> bool:
    return stage is not None and Stage(stage) in URGENT_STAGES


def render(kind: str, reference: str, code: str, stage: str | None, note: str | None, lang: str) -> Text:
    """Title: the kind and the new status; body: the reference, the stage and the agency's note."""
    definition = get_kind(kind)
    native = definition.code(code)
    zh = lang == "zh-CN"
    kind_name = definition.name_zh if zh else definition.name_en
    status = (native.label_zh if zh else native.label_en) if native else code
    stage_label = STAGE_LABELS[Stage(stage)][lang] if stage else ("状态待确认" if zh else "status to be confirmed")
    title = f"{kind_name}：{status}" if zh else f"{kind_name}: {status}"
    body = f"{reference} · {stage_label}"
    if note and note != status:
        body += f"\n{note}"
    return Text(title=title[:200], body=body[:1000])


def render_digest(count: int, latest: Text, lang: str) -> Text:
    """Several routine changes of one item held through quiet hours, told once when they end."""
    if lang == "zh-CN":
        return Text(title=latest.title, body=f"静默时段内有 {count} 条更新，最新：{latest.body}"[:1000])
    return Text(title=latest.title, body=f"{count} updates during quiet hours; latest: {latest.body}"[:1000])


def data_payload(notification_id: str, item_id: int, kind: str, reference: str, code: str, stage: str | None,
                 milestone: bool, agency_time: datetime, *, event_id: int | None = None) -> dict[str, str]:
    """FCM data values are strings only. `event_id` is the change's id on every channel (push, inbox, event
    feed, webhooks): what a consumer dedupes by across them."""
    return {
        "notification_id": notification_id,
        **({"event_id": str(event_id)} if event_id is not None else {}),
        "item_id": str(item_id),
        "kind": kind,
        "reference": reference,
        "native_code": code,
        "stage": stage or "",
        "milestone": "true" if milestone else "false",
        # One policy for every time the API and the pushes carry: UTC, with its offset (docs/times.md).
        "agency_time": agency_time.astimezone(UTC).isoformat(),
        "deep_link": f"swm://clearances/{item_id}",
    }


def build_push(token: str, title: str, body: str, data: dict[str, str], *, urgent: bool) -> dict[str, Any]:
    """The FCM v1 `message` for one device."""
    # A newer status of the same item (a notice: of the same topic) replaces an undelivered older one.
    collapse = f"item-{data['item_id']}" if "item_id" in data else data["topic"]
    channel = CHANNEL[urgent] if "item_id" in data else NOTICE_CHANNEL
    return {
        "token": token,
        "notification": {"title": title, "body": body},
        "data": data,
        "android": {
            "priority": "high" if urgent else "normal",
            "ttl": f"{TTL_SECONDS}s",
            "collapse_key": collapse,
            "notification": {"channel_id": channel, "tag": collapse},
        },
        "apns": {
            "headers": {"apns-collapse-id": collapse, "apns-priority": "10" if urgent else "5"},
            "payload": {"aps": {"thread-id": collapse, **({"sound": "default"} if urgent else {})}},
        },
    }


def _duration(seconds: float, zh: bool) -> str:
    hours = seconds / 3600
    if hours >= 48:
        return f"{hours / 24:.1f} 天" if zh else f"{hours / 24:.1f} days"
    return f"{hours:.1f} 小时" if zh else f"{hours:.1f} h"


def render_late(kind: str, reference: str, stage: str, next_stage: str, entered_at: datetime, p50_seconds: float,
                p90_seconds: float, now: datetime, lang: str, time_zone: str) -> Text:
    """"Taking longer than usual": how long the item has sat in its stage, the usual range for the step out of
    it, and by when comparable items had made it (in the user's time zone)."""
    definition = get_kind(kind)
    zh = lang == "zh-CN"
    try:
        zone = ZoneInfo(time_zone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo("Asia/Shanghai")
    expected = (entered_at + timedelta(seconds=p90_seconds)).astimezone(zone).strftime("%m-%d %H:%M")
    here, there = STAGE_LABELS[Stage(stage)][lang], STAGE_LABELS[Stage(next_stage)][lang]
    waited, p50, p90 = (_duration((now - entered_at).total_seconds(), zh), _duration(p50_seconds, zh),
                        _duration(p90_seconds, zh))
    if zh:
        title = f"{definition.name_zh}：办理时间长于通常"
        body = (f"{reference} 已处于“{here}” {waited}。同类事项进入“{there}”通常需 {p50}–{p90}，"
                f"九成在 {expected} 前完成。")
    else:
        title = f"{definition.name_en}: taking longer than usual"
        body = (f"{reference} has been at “{here}” for {waited}. Comparable items reach “{there}” in {p50}–{p90}; "
                f"9 in 10 had by {expected}.")
    return Text(title=title[:200], body=body[:1000])
