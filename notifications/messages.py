"""What a push says: title and body in the user's language, the data payload, Android and APNs options.

A message is built as the FCM v1 JSON `message` object (plain data, checked against
api_spec/push_payload.schema.json); only the sender turns it into firebase-admin objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from status_tracker.kinds import get_kind
from status_tracker.stages import STAGE_LABELS, Stage

# Stages that need the user now: they go through quiet hours and ring at high priority.
URGENT_STAGES = frozenset({Stage.REJECTED, Stage.ON_HOLD, Stage.INSPECTION, Stage.ACTION_REQUIRED})
TTL_SECONDS = 7 * 24 * 3600  # a status older than a week is stale news; the inbox still has it
CHANNEL = {True: "clearance_urgent", False: "clearance_status"}


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
        "agency_time": agency_time.isoformat(),
        "deep_link": f"swm://clearances/{item_id}",
    }


def build_push(token: str, title: str, body: str, data: dict[str, str], *, urgent: bool) -> dict[str, Any]:
    """The FCM v1 `message` for one device."""
    collapse = f"item-{data['item_id']}"  # a newer status of the same item replaces an undelivered older one
    return {
        "token": token,
        "notification": {"title": title, "body": body},
        "data": data,
        "android": {
            "priority": "high" if urgent else "normal",
            "ttl": f"{TTL_SECONDS}s",
            "collapse_key": collapse,
            "notification": {"channel_id": CHANNEL[urgent], "tag": collapse},
        },
        "apns": {
            "headers": {"apns-collapse-id": collapse, "apns-priority": "10" if urgent else "5"},
            "payload": {"aps": {"thread-id": collapse, **({"sound": "default"} if urgent else {})}},
        },
    }
