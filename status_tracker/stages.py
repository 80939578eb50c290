"""The normalized stages: one vocabulary for the phone and the desk, onto which every native code maps."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    UNDER_REVIEW = "under_review"
    ACTION_REQUIRED = "action_required"  # pay, amend, supplement: the trader must act
    INSPECTION = "inspection"
    ON_HOLD = "on_hold"
    RELEASED = "released"  # approved, issued, released, refunded
    COMPLETED = "completed"  # closed, written off
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# An item in one of these stages hears nothing more from its agency. A kind may declare further codes
# terminal (see kinds.py); this set is only what holds for every kind.
TERMINAL_STAGES: frozenset[Stage] = frozenset({Stage.COMPLETED, Stage.REJECTED, Stage.CANCELLED})

STAGE_LABELS: dict[Stage, dict[str, str]] = {
    Stage.SUBMITTED: {"zh-CN": "已申报", "en": "Submitted"},
    Stage.ACCEPTED: {"zh-CN": "已受理", "en": "Accepted"},
    Stage.UNDER_REVIEW: {"zh-CN": "审核中", "en": "Under review"},
    Stage.ACTION_REQUIRED: {"zh-CN": "待处理", "en": "Action required"},
    Stage.INSPECTION: {"zh-CN": "查验中", "en": "Inspection"},
    Stage.ON_HOLD: {"zh-CN": "已挂起", "en": "On hold"},
    Stage.RELEASED: {"zh-CN": "已放行/已批准", "en": "Released / approved"},
    Stage.COMPLETED: {"zh-CN": "已办结", "en": "Completed"},
    Stage.REJECTED: {"zh-CN": "已退单/未通过", "en": "Rejected"},
    Stage.CANCELLED: {"zh-CN": "已撤销", "en": "Cancelled"},
}

# A rank of "forward" progress, for display (progress bars) and statistics (time to release) only.
# It never decides which receipt is current: the agency's own sequence number does, because real
# lifecycles go "backwards" in rank (under review -> returned for amendment -> accepted again).
STAGE_ORDER: dict[Stage, int] = {
    Stage.SUBMITTED: 0,
    Stage.ACCEPTED: 1,
    Stage.UNDER_REVIEW: 2,
    Stage.ACTION_REQUIRED: 2,
    Stage.INSPECTION: 2,
    Stage.ON_HOLD: 2,
    Stage.RELEASED: 3,
    Stage.COMPLETED: 4,
    Stage.REJECTED: 4,
    Stage.CANCELLED: 4,
}


def stage_label(stage: str | None, lang: str) -> str | None:
    """The stage's label in "zh-CN" or "en"; None for no stage."""
    return STAGE_LABELS[Stage(stage)][lang] if stage else None
