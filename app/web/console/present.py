"""How the console shows things: labels in the page's language, Beijing time, the clearance-time chart."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.i18n import translate
from status_tracker import kinds, stages
from status_tracker.clearance_times import Transition
from status_tracker.kinds import KINDS

# The desk serves Chinese traders: times are shown as they read them, whatever the agent's own settings.
BEIJING = ZoneInfo("Asia/Shanghai")


def local_time(value: datetime | None, seconds: bool = False) -> str:
    if value is None:
        return "—"
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def kind_name(kind: str, lang: str) -> str:
    return kinds.kind_name(kind, lang) if kind in KINDS else kind


def code_label(kind: str, code: str | None, lang: str) -> str:
    label = kinds.code_label(kind, code, lang) if kind in KINDS else None
    if label is None:
        return translate("unknown_code", lang) if code else translate("no_status", lang)
    return label


def stage_label(stage: str | None, lang: str) -> str:
    try:
        return stages.stage_label(stage, lang) or "—"
    except ValueError:  # not one of ours: shown as stored
        return stage or "—"


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f}"


# The chart: an inline SVG laid out here, so the template only places what is computed.
LABEL_WIDTH = 290
BAR_WIDTH = 470
VALUE_WIDTH = 250
ROW_HEIGHT = 34
HEADING_HEIGHT = 30
TOP = 28
BOTTOM = 12
NICE_STEPS = (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720)


@dataclass
class ChartRow:
    y: int
    label: str
    heading: bool = False  # a kind's name above its rows (when every kind is shown)
    samples: int = 0
    p50_hours: str = ""
    p90_hours: str = ""
    p50_width: float = 0.0
    p90_width: float = 0.0
    off_scale: bool = False  # its p90 lies beyond the chart's scale: the bar ends at the edge, marked


@dataclass
class Chart:
    width: int
    height: int
    label_width: int
    bar_width: int
    rows: list[ChartRow] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (x within the bar area, label)


def _tick_step(max_hours: float) -> float:
    for step in NICE_STEPS:
        if max_hours / step <= 6:
            return step
    return math.ceil(max_hours / 6 / 720) * 720


TYPICAL_SAMPLES = 10  # a step with fewer samples does not set the chart's scale (it is still drawn)


def typical_hours(transitions: list[Transition]) -> float:
    """What the chart is scaled to: the 90th percentile (nearest rank) of the p90s of the steps with enough
    samples, so that a few steps of 1,000 hours or more, usually from a handful of items, do not shrink the
    usual ones to slivers."""
    sampled = [t for t in transitions if t.samples >= TYPICAL_SAMPLES] or transitions
    p90s = sorted(t.p90_seconds / 3600 for t in sampled)
    if not p90s:
        return 0.0
    return p90s[max(0, math.ceil(0.9 * len(p90s)) - 1)]


def bar_chart(transitions: list[Transition], lang: str, *, by_kind: bool) -> Chart:
    """One row per transition, bars scaled to the typical p90 (rounded up to a whole tick); a step beyond the
    scale is drawn to the edge and marked as off the scale, its hours written out."""
    longest = typical_hours(transitions)
    step = _tick_step(max(longest, 1.0))
    scale_hours = max(step, math.ceil(longest / step) * step)
    chart = Chart(width=LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH, height=0, label_width=LABEL_WIDTH,
                  bar_width=BAR_WIDTH)
    chart.ticks = [(BAR_WIDTH * n * step / scale_hours, translate("hours_axis", lang, h=f"{n * step:g}"))
                   for n in range(int(round(scale_hours / step)) + 1)]
    y = TOP
    kind = None
    for t in transitions:
        if by_kind and t.kind != kind:
            kind = t.kind
            chart.rows.append(ChartRow(y=y, label=kind_name(t.kind, lang), heading=True))
            y += HEADING_HEIGHT
        chart.rows.append(ChartRow(
            y=y,
            label=f"{stage_label(t.from_stage, lang)} → {stage_label(t.to_stage, lang)}",
            samples=t.samples,
            p50_hours=hours(t.p50_seconds),
            p90_hours=hours(t.p90_seconds),
            # A visible sliver even for a step of minutes: a bar of width 0 reads as "no data".
            p50_width=min(BAR_WIDTH, max(2.0, BAR_WIDTH * t.p50_seconds / 3600 / scale_hours)),
            p90_width=min(BAR_WIDTH, max(2.0, BAR_WIDTH * t.p90_seconds / 3600 / scale_hours)),
            off_scale=t.p90_seconds / 3600 > scale_hours,
        ))
        y += ROW_HEIGHT
    chart.height = y + BOTTOM
    return chart
