"""Clearance-time statistics (时效评估): how long items of a kind take from one stage to a later one, and
from that, when an open item can expect to be released and completed.

An item *enters* a stage at the agency time of its first receipt in that stage; a transition A → B is the
time between entering A and entering B, for every pair where B ranks after A (STAGE_ORDER). So an item that
went accepted → inspection → released counts towards accepted → inspection, accepted → released and
inspection → released, and a rework loop (returned for amendment, accepted again) does not restart the
clock. A transition belongs to the period in which it ended.

Percentiles interpolate linearly between the two nearest ranks (as PostgreSQL's percentile_cont and
NumPy's default do), so small samples give the answer one would compute by hand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem, StatusEvent
from status_tracker.stages import STAGE_ORDER, TERMINAL_STAGES, Stage

# What an open item waits for: release (放行/批准), then completion (结关/核销/办结), where its kind has them.
GOALS = (Stage.RELEASED, Stage.COMPLETED)
# Fewer samples than this give no expectation: a median of three items would promise too much.
MIN_SAMPLES = 5
ESTIMATE_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class Transition:
    kind: str
    from_stage: Stage
    to_stage: Stage
    samples: int
    p50_seconds: float
    p90_seconds: float


@dataclass(frozen=True)
class Expectation:
    """When an open item is expected to reach `stage`: half of the comparable items got there by
    `p50_at`, nine in ten by `p90_at`, counted from when this item entered `from_stage`."""

    stage: Stage
    from_stage: Stage
    entered_at: datetime
    p50_at: datetime
    p90_at: datetime
    samples: int
    customs_office: str | None  # the statistics of this office were used; None: of the whole kind


TransitionTable = dict[tuple[Stage, Stage], Transition]
StatsSource = Callable[[str, str | None], TransitionTable]  # (kind, customs office) → its transitions


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile (0 ≤ q ≤ 1) of sorted values, interpolating linearly between the nearest ranks."""
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stage_entries(session: Session, item_ids_query) -> dict[int, tuple[str, dict[Stage, datetime]]]:  # type: ignore[no-untyped-def]
    """Per item: its kind and when it first entered each stage, for the items the subquery selects."""
    rows = session.execute(
        select(StatusEvent.item_id, ClearanceItem.kind, StatusEvent.stage, func.min(StatusEvent.agency_time))
        .join(ClearanceItem, ClearanceItem.id == StatusEvent.item_id)
        .where(StatusEvent.item_id.in_(item_ids_query), StatusEvent.stage.is_not(None))
        .group_by(StatusEvent.item_id, ClearanceItem.kind, StatusEvent.stage)
    )
    entries: dict[int, tuple[str, dict[Stage, datetime]]] = {}
    for item_id, kind, stage, entered in rows:
        entries.setdefault(item_id, (kind, {}))[1][Stage(stage)] = entered
    return entries


def _forward_pairs(entered: dict[Stage, datetime]) -> Iterable[tuple[Stage, Stage, datetime, float]]:
    for a, at_a in entered.items():
        for b, at_b in entered.items():
            if STAGE_ORDER[b] > STAGE_ORDER[a] and at_b >= at_a:
                yield a, b, at_b, (at_b - at_a).total_seconds()


def clearance_times(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    kind: str | None = None,
    customs_office: str | None = None,
) -> list[Transition]:
    """p50 and p90 per kind and stage transition, over the transitions that ended in [since, until)."""
    items = select(StatusEvent.item_id).where(StatusEvent.agency_time >= since, StatusEvent.agency_time < until)
    if kind is not None or customs_office is not None:
        items = items.join(ClearanceItem, ClearanceItem.id == StatusEvent.item_id)
        if kind is not None:
            items = items.where(ClearanceItem.kind == kind)
        if customs_office is not None:
            items = items.where(ClearanceItem.customs_office == customs_office)
    durations: dict[tuple[str, Stage, Stage], list[float]] = defaultdict(list)
    for item_kind, entered in stage_entries(session, items.distinct()).values():
        for a, b, ended, seconds in _forward_pairs(entered):
            if since <= ended < until:
                durations[(item_kind, a, b)].append(seconds)
    result = []
    for (item_kind, a, b), values in durations.items():
        values.sort()
        result.append(Transition(item_kind, a, b, len(values), percentile(values, 0.5), percentile(values, 0.9)))
    result.sort(key=lambda t: (KINDS[t.kind].number, STAGE_ORDER[t.from_stage], t.from_stage,
                               STAGE_ORDER[t.to_stage], t.to_stage))
    return result


def transition_table(transitions: Iterable[Transition]) -> TransitionTable:
    return {(t.from_stage, t.to_stage): t for t in transitions}


def goals_ahead(item: ClearanceItem) -> list[Stage]:
    """The goals (release, completion) the item still waits for: none once it is over (a terminal stage, or a
    code its kind declares terminal) or before its agency has answered at all."""
    if item.stage is None:
        return []
    kind = KINDS[item.kind]
    code = kind.code(item.current_code) if item.current_code else None
    current = Stage(item.stage)
    if current in TERMINAL_STAGES or (code is not None and code.terminal):
        return []
    return [g for g in GOALS if STAGE_ORDER[g] > STAGE_ORDER[current] and any(c.stage == g for c in kind.codes)]


def expected_completion(session: Session, item: ClearanceItem, stats: StatsSource) -> list[Expectation]:
    """For an open item, when it can expect to reach each goal still ahead (release, completion).

    Counted from the stage the item is in now (when it entered it), or, where too few items made that same
    step, from the latest earlier stage that has enough history. The item's own customs office is used when
    it has enough history there, else the whole kind. An item that is over, or whose kind has no history
    yet, expects nothing.
    """
    goals = goals_ahead(item)
    if not goals:
        return []
    current = Stage(item.stage)  # goals_ahead says it has one
    _kind, entered = stage_entries(session, select(ClearanceItem.id).where(ClearanceItem.id == item.id)).get(
        item.id, (item.kind, {})
    )
    # The current stage first, then earlier ones, latest first: the nearer the start, the sharper the estimate.
    starts = sorted(
        (s for s in entered if s == current or STAGE_ORDER[s] < STAGE_ORDER[current]),
        key=lambda s: (s != current, -entered[s].timestamp()),
    )
    tables = [(item.customs_office, stats(item.kind, item.customs_office))] if item.customs_office else []
    tables.append((None, stats(item.kind, None)))
    expectations = []
    for goal in goals:
        found = next(
            ((office, start, table[(start, goal)]) for start in starts for office, table in tables
             if (start, goal) in table and table[(start, goal)].samples >= MIN_SAMPLES),
            None,
        )
        if found is None:
            continue
        office, start, transition = found
        began = entered[start]
        expectations.append(Expectation(
            stage=goal, from_stage=start, entered_at=began,
            p50_at=began + timedelta(seconds=transition.p50_seconds),
            p90_at=began + timedelta(seconds=transition.p90_seconds),
            samples=transition.samples, customs_office=office,
        ))
    return expectations
