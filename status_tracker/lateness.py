"""Which open items have sat in their current stage longer than usual: longer than the p90 of the time comparable
items took to leave that stage for the usual next one (时效评估, status_tracker/clearance_times.py).

"Comparable" is the item's kind at its customs office when that office has enough history for the step
(MIN_SAMPLES items), else its kind at every office. The statistics cover ESTIMATE_WINDOW, as the expectations on
the case page do.

The items are read by index ranges only (ix_clearance_items_stage_entered: kind, stage, stage_entered_at): per
kind, stage and office one range of the items that entered before the threshold, so items on time are never
read, however many there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from status_tracker.clearance_times import (
    ESTIMATE_WINDOW,
    MIN_SAMPLES,
    Transition,
    TransitionTable,
    clearance_times,
    transition_table,
)
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem
from status_tracker.stages import STAGE_ORDER, TERMINAL_STAGES, Stage

MAX_PER_RANGE = 500  # items read per kind, stage and office in one run; the rest come in the next runs


@dataclass(frozen=True)
class Overdue:
    item_id: int
    kind: str
    reference: str
    shipment_id: int | None
    stage: Stage
    entered_at: datetime
    usual: Transition  # the step it has not made yet: from its stage to the usual next one
    customs_office: str | None  # whose history `usual` is; None: the kind's at every office


def usual_step(table: TransitionTable, stage: Stage) -> Transition | None:
    """The step most comparable items made out of `stage`, when enough of them made it."""
    steps = [t for (start, _end), t in table.items() if start == stage and t.samples >= MIN_SAMPLES]
    return max(steps, key=lambda t: (t.samples, -STAGE_ORDER[t.to_stage]), default=None)


def _by_kind(transitions: list[Transition]) -> dict[str, TransitionTable]:
    grouped: dict[str, list[Transition]] = defaultdict(list)
    for t in transitions:
        grouped[t.kind].append(t)
    return {kind: transition_table(ts) for kind, ts in grouped.items()}


def _over(kind: str, code: str | None) -> bool:
    """A code its kind declares final (a refusal, a withdrawal …) ends the item whatever its stage."""
    native = KINDS[kind].code(code) if code else None
    return native is not None and native.terminal


Statistics = tuple[dict[str, TransitionTable], list[str], dict[str, dict[str, TransitionTable]]]


@dataclass
class StatisticsCache:
    """The statistics a scheduler keeps between runs of the job, recomputed at most every `ttl`: they read every
    item that moved in the window, so computing them on each run would make the run's cost grow with the items
    that are on time. A p90 over months of history does not change within the hour."""

    ttl: timedelta = timedelta(hours=1)
    computed_at: datetime | None = None
    value: Statistics | None = None

    def get(self, now: datetime, compute: Callable[[], Statistics]) -> Statistics:
        if self.value is None or self.computed_at is None or not timedelta(0) <= now - self.computed_at < self.ttl:
            self.value, self.computed_at = compute(), now
        return self.value


def _statistics(session: Session, now: datetime, window: timedelta) -> Statistics:
    since = now - window
    kinds = _by_kind(clearance_times(session, since=since, until=now))
    offices = [o for o in session.scalars(
        select(ClearanceItem.customs_office).distinct()
        .where(ClearanceItem.customs_office.is_not(None), ClearanceItem.updated_at >= since))]
    per_office = {office: _by_kind(clearance_times(session, since=since, until=now, customs_office=office))
                  for office in offices}
    return kinds, offices, per_office


def overdue_items(session: Session, *, now: datetime, window: timedelta = ESTIMATE_WINDOW,
                  cache: StatisticsCache | None = None) -> list[Overdue]:
    """The open items past the p90 of their stage's usual step, oldest first per range. With a cache, the
    statistics come from it while fresh enough."""
    compute = lambda: _statistics(session, now, window)  # noqa: E731
    kinds, offices, per_office = cache.get(now, compute) if cache is not None else compute()

    found: list[Overdue] = []
    for kind, table in kinds.items():
        for stage in {start for start, _end in table} - set(TERMINAL_STAGES):
            everywhere = usual_step(table, stage)
            own = {office: step for office in offices
                   if (step := usual_step(per_office[office].get(kind, {}), stage)) is not None}
            ranges: list[tuple[str | None, Transition, object]] = [
                (office, step, ClearanceItem.customs_office == office) for office, step in own.items()]
            if everywhere is not None:
                rest = (ClearanceItem.customs_office.is_(None) if not own else
                        or_(ClearanceItem.customs_office.is_(None), ClearanceItem.customs_office.not_in(list(own))))
                ranges.append((None, everywhere, rest))
            for office, step, where in ranges:
                threshold = now - timedelta(seconds=step.p90_seconds)
                rows = session.execute(
                    select(ClearanceItem.id, ClearanceItem.reference, ClearanceItem.shipment_id,
                           ClearanceItem.stage_entered_at, ClearanceItem.current_code)
                    .where(ClearanceItem.kind == kind, ClearanceItem.stage == stage.value,
                           ClearanceItem.stage_entered_at < threshold, where)
                    .order_by(ClearanceItem.stage_entered_at)
                    .limit(MAX_PER_RANGE)
                )
                found += [Overdue(row.id, kind, row.reference, row.shipment_id, stage, row.stage_entered_at,
                                  step, office) for row in rows if not _over(kind, row.current_code)]
    return found
