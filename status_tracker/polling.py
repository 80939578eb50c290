"""One poll cycle per agency, in the agency's style, with a circuit breaker and Retry-After honoured.

* change feed: read after the persisted cursor; the cursor advances in the same transaction as the
  events it covers, so a crash between fetch and commit makes the next cycle re-read the same receipts;
* batch, ETag and rate-limited agencies: only *due* items are asked, active ones often, idle ones at
  growing intervals, terminal ones never.

No single receipt can hold up the others: one its parser rejected is quarantined (status_tracker/quarantine.py)
in the transaction that moves on past it; and once two cycles in a row have failed to apply what an agency sent
(a database error), receipts are applied one at a time, each in a savepoint, so the one the database refuses is
quarantined and the rest go through. A per-item or batch answer that cannot be used at all (unreadable, too large)
sets its items aside until their next interval, so they do not stay first in line. Every failure of a cycle,
whatever its exception, counts in agency_state (errors, consecutive failures, breaker), so /metrics shows an agency
that is stuck.

HTTP calls never run inside a database transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db import in_values, utcnow
from status_tracker.adapters.base import (
    AgencyError,
    BadAnswer,
    ItemStatus,
    ParseProblem,
    RateLimited,
    Receipt,
    RejectedReceipt,
    Stopped,
)
from status_tracker.adapters.bounds import rejected
from status_tracker.agencies import AGENCIES, PollStyle
from status_tracker.apply import Applied, ChangeHook, StatusUpdate, apply_updates
from status_tracker.kinds import KINDS
from status_tracker.models import AgencyState, ClearanceItem
from status_tracker.quarantine import quarantine

log = logging.getLogger(__name__)

# Cycles in a row that failed to apply an agency's answer before its receipts are applied one at a time.
ONE_BY_ONE_AFTER = 2
# Per-item and batch agencies: unusable answers in a row after which the agency, not the item, is taken to be failing.
BAD_ANSWERS_IN_A_ROW = 5


@dataclass(frozen=True)
class PollPolicy:
    min_interval: int = 60  # seconds before an item that just changed is asked again
    max_interval: int = 6 * 3600  # an idle item is still asked at least this often
    feed_page_size: int = 500
    feed_max_pages: int = 20  # per cycle, so one busy feed cannot hold the scheduler's thread forever
    due_per_cycle: int = 2000  # per-item and batch agencies: due items handled per cycle
    batch_size: int = 100  # the batch agencies' own maximum
    commit_every: int = 50  # per-item agencies: answers applied per transaction
    breaker_threshold: int = 5  # consecutive failures that open the breaker
    breaker_cool_off: int = 30  # seconds open before a trial request; doubles while failures go on
    breaker_max_cool_off: int = 600


@dataclass
class PollResult:
    agency: str
    polled: bool = True
    skipped: str | None = None
    requests: int = 0
    events: int = 0
    changes: int = 0
    problems: list[ParseProblem] = field(default_factory=list)
    rejected: int = 0  # receipts quarantined this cycle
    one_by_one: bool = False  # receipts applied one at a time, after earlier cycles failed to apply them
    error: str | None = None


def kinds_of(agency: str) -> list[str]:
    return [kind.key for kind in KINDS.values() if kind.agency == agency]


def breaker_cool_off(policy: PollPolicy, failures: int) -> timedelta:
    extra = max(0, failures - policy.breaker_threshold)
    return timedelta(seconds=min(policy.breaker_cool_off * 2**extra, policy.breaker_max_cool_off))


def next_interval(policy: PollPolicy, previous: int | None, changed: bool) -> int:
    """Back off while an item stays quiet; come back to the shortest interval when it moves."""
    if changed or previous is None:
        return policy.min_interval
    return min(previous * 2, policy.max_interval)


@dataclass
class _Unusable:
    """A cycle's answers that could not be used (BadAnswer), by item: too many in a row, or none usable at all,
    and the agency itself is failing."""

    items: list[tuple[int, BadAnswer]] = field(default_factory=list)
    good: int = 0
    in_a_row: int = 0

    def add(self, item_ids: list[int], exc: BadAnswer) -> None:
        self.items += [(item_id, exc) for item_id in item_ids]
        self.in_a_row += 1
        if self.in_a_row >= BAD_ANSWERS_IN_A_ROW:
            raise exc

    def good_one(self) -> None:
        self.good, self.in_a_row = self.good + 1, 0

    def fail_if_none_usable(self) -> None:
        if self.items and not self.good:
            raise self.items[0][1]


class Poller:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clients: Mapping[str, Any],
        *,
        on_change: ChangeHook | None = None,
        policy: PollPolicy | None = None,
        now: Callable[[], datetime] = utcnow,
        poller_id: str = "",
    ) -> None:
        self.sessions = sessions
        self.clients = clients
        self.on_change = on_change
        self.policy = policy or PollPolicy()
        self.now = now
        self.poller_id = poller_id

    # -- one cycle -------------------------------------------------------------------------------

    def poll(self, agency: str) -> PollResult:
        """One cycle; never raises: whatever goes wrong is counted in the agency's state and logged."""
        result = PollResult(agency)
        try:
            with self.sessions.begin() as session:
                state = _state(session, agency)
                now = self.now()
                if state.not_before and now < state.not_before:
                    result.polled, result.skipped = False, "waiting for Retry-After"
                    return result
                if state.breaker_open_until and now < state.breaker_open_until:
                    result.polled, result.skipped = False, "circuit breaker open"
                    return result
                result.one_by_one = state.apply_failures >= ONE_BY_ONE_AFTER
            handler = {
                PollStyle.CHANGE_FEED: self._poll_feed,
                PollStyle.BATCH_QUERY: self._poll_batch,
                PollStyle.ETAG_ITEM: self._poll_items,
                PollStyle.RATE_LIMITED_ITEM: self._poll_items,
            }[AGENCIES[agency].style]
            handler(agency, result)
        except Stopped as exc:
            # The scheduler is shutting down: not the agency's failure, nothing to count. What was applied stays.
            result.error = str(exc)
        except RateLimited as exc:
            # Being told to slow down is not a failure of the agency: wait as asked, breaker untouched.
            result.error = str(exc)
            self._record(agency, result, retry_after=exc.retry_after)
        except AgencyError as exc:
            result.error = str(exc)
            self._record(agency, result, failed=True)
        except Exception as exc:  # a database error applying an answer, or a bug: a failure all the same
            log.exception("poll cycle failed", extra={"agency": agency})
            result.error = f"{type(exc).__name__}: {exc}"
            self._record(agency, result, failed=True, apply_failed=True)
        else:
            self._record(agency, result)
        log.info(
            "poll cycle",
            extra={"agency": agency, "requests": result.requests, "events": result.events,
                   "changes": result.changes, "problems": len(result.problems), "rejected": result.rejected,
                   "one_by_one": result.one_by_one, "error": result.error},
        )
        return result

    def _record(self, agency: str, result: PollResult, *, failed: bool = False, apply_failed: bool = False,
                retry_after: float = 0) -> None:
        now = self.now()
        try:
            with self.sessions.begin() as session:
                state = _state(session, agency)
                state.polls_total += 1
                state.events_total += result.events
                state.last_poll_by = self.poller_id
                if retry_after:
                    # Capped as the breaker is: an agency asking for a week's silence gets the longest cool-off.
                    retry_after = min(retry_after, self.policy.breaker_max_cool_off)
                    state.not_before = now + timedelta(seconds=retry_after)
                if failed:
                    state.errors_total += 1
                    state.consecutive_failures += 1
                    state.last_error_at, state.last_error = now, (result.error or "")[:1000]
                    if state.consecutive_failures >= self.policy.breaker_threshold:
                        state.breaker_open_until = now + breaker_cool_off(self.policy, state.consecutive_failures)
                    if apply_failed:
                        state.apply_failures += 1
                elif not retry_after:
                    state.consecutive_failures = 0
                    state.apply_failures = 0
                    state.breaker_open_until = None
                    state.last_success_at = now
        except Exception:  # the database itself is gone: nothing to count in, and the next cycle tries again
            log.exception("could not record a poll cycle", extra={"agency": agency})

    # -- change feed -----------------------------------------------------------------------------

    def _poll_feed(self, agency: str, result: PollResult) -> None:
        client = self.clients[agency]
        kinds = kinds_of(agency)
        for _ in range(self.policy.feed_max_pages):
            with self.sessions.begin() as session:
                cursor = _state(session, agency).cursor
            page = client.fetch(after=cursor, limit=self.policy.feed_page_size)
            result.requests += 1
            result.problems += page.problems
            with self.sessions.begin() as session:
                state = _state(session, agency)
                if state.feed_id is not None and page.feed_id != state.feed_id:
                    # The agency's feed restarted: read it again from the start; recorded receipts dedupe.
                    log.warning("feed restarted", extra={"agency": agency, "feed_id": page.feed_id})
                    state.cursor, state.feed_id, state.cursor_moved_at = 0, page.feed_id, self.now()
                    continue
                ids = _item_ids_by_reference(session, kinds, {r.reference for r in page.receipts})
                pairs = []
                for receipt in page.receipts:
                    item_id = ids.get((receipt.kind, receipt.reference)) if receipt.kind else None
                    item_id = item_id or _only_match(ids, receipt.reference)
                    if item_id is not None:
                        pairs.append((item_id, receipt))
                self._apply_receipts(session, agency, pairs, page.problems, result)
                state.cursor = max(cursor, page.next_cursor)
                state.feed_id = page.feed_id
                state.feed_backlog = max(0, page.last_seq - state.cursor)
                if state.cursor != cursor or not page.has_more:  # moved, or nothing is left behind it
                    state.cursor_moved_at = self.now()
            if not page.has_more:
                return

    # -- batch query -----------------------------------------------------------------------------

    def _poll_batch(self, agency: str, result: PollResult) -> None:
        client = self.clients[agency]
        due = self._due(agency)
        unusable = _Unusable()
        try:
            for start in range(0, len(due), self.policy.batch_size):
                chunk = due[start : start + self.policy.batch_size]
                result.requests += 1
                try:
                    answer = client.query([reference for _, reference in chunk])
                except BadAnswer as exc:
                    unusable.add([item_id for item_id, _ in chunk], exc)
                    continue
                unusable.good_one()
                result.problems += answer.problems
                statuses = {status.reference: status for status in answer.items}
                self._apply_answers(agency, [(item_id, statuses.get(ref)) for item_id, ref in chunk], result,
                                    answer.problems)
        finally:
            self._set_aside(agency, unusable, result)
        unusable.fail_if_none_usable()

    # -- per item (ETag or rate-limited) ---------------------------------------------------------

    def _poll_items(self, agency: str, result: PollResult) -> None:
        client = self.clients[agency]
        etag_style = AGENCIES[agency].style == PollStyle.ETAG_ITEM
        pending: list[tuple[int, ItemStatus | None, bool]] = []
        problems: list[ParseProblem] = []
        unusable = _Unusable()
        try:
            for item_id, reference, etag in self._due(agency, with_etag=True):
                result.requests += 1
                try:
                    answer = client.fetch(reference, etag) if etag_style else client.fetch(reference)
                except BadAnswer as exc:
                    unusable.add([item_id], exc)
                    continue
                unusable.good_one()
                result.problems += answer.problems
                problems += answer.problems
                pending.append((item_id, answer.status, answer.not_modified))
                if len(pending) >= self.policy.commit_every:
                    self._apply_answers(agency, pending, result, problems)
                    pending, problems = [], []
        finally:
            # What was fetched before a failure or a 429 is kept.
            if pending:
                self._apply_answers(agency, pending, result, problems)
            self._set_aside(agency, unusable, result)
        unusable.fail_if_none_usable()

    def _set_aside(self, agency: str, unusable: _Unusable, result: PollResult) -> None:
        """Items whose answer could not be used (unreadable, too large, about another item) are asked again later,
        at their growing interval, so that they do not stay first in the queue of due items and hold up the others.
        Only when other answers of the cycle could be used: if none could, the agency itself is failing, the cycle
        fails and the items stay due."""
        set_aside = unusable.items
        if not set_aside or not unusable.good:
            return
        for item_id, exc in set_aside:
            log.warning("agency answer set aside", extra={"agency": agency, "item_id": item_id, "error": str(exc)})
        result.problems += [ParseProblem(str(exc)) for _, exc in set_aside]
        self._apply_answers(agency, [(item_id, None) for item_id, _ in set_aside], result)

    # -- shared ----------------------------------------------------------------------------------

    def _due(self, agency: str, with_etag: bool = False) -> list[Any]:
        columns = [ClearanceItem.id, ClearanceItem.reference] + ([ClearanceItem.poll_etag] if with_etag else [])
        with self.sessions() as session:
            rows = session.execute(
                select(*columns)
                .where(ClearanceItem.kind.in_(kinds_of(agency)), ClearanceItem.next_poll_at <= self.now())
                .order_by(ClearanceItem.next_poll_at)
                .limit(self.policy.due_per_cycle)
            )
            return [tuple(row) for row in rows]

    def _apply_answers(self, agency: str, answers: Iterable[tuple], result: PollResult,
                       problems: Iterable[ParseProblem] = ()) -> None:
        """Apply item answers, quarantine the receipts they held that could not be read, and schedule each
        item's next poll, in one transaction."""
        answers = list(answers)
        now = self.now()
        with self.sessions.begin() as session:
            pairs = [
                (item_id, receipt)
                for item_id, status, *_ in answers
                if status is not None and status.found
                for receipt in status.receipts
            ]
            applied = self._apply_receipts(session, agency, pairs, problems, result)
            changed = {change.item_id for change in applied.changes}
            current = {row.id: row for row in session.execute(
                select(ClearanceItem.id, ClearanceItem.poll_interval, ClearanceItem.status_sequence)
                .where(in_values(session, ClearanceItem.id, [a[0] for a in answers]))
            )}
            schedule = []
            for item_id, status, *_ in answers:
                if item_id not in current or item_id in applied.terminal_items:
                    continue
                interval = next_interval(self.policy, current[item_id].poll_interval, item_id in changed)
                values = {"id": item_id, "poll_interval": interval,
                          "next_poll_at": now + timedelta(seconds=interval)}
                # A stale answer carries an older tag: keep the tag of the newest version we have.
                newest = max((r.version for r in status.receipts), default=0) if status else 0
                if status is not None and status.etag and newest >= (current[item_id].status_sequence or 0):
                    values["poll_etag"] = status.etag
                schedule.append(values)
            for keys in {frozenset(v) for v in schedule}:
                session.execute(update(ClearanceItem), [v for v in schedule if frozenset(v) == keys])

    def _apply_receipts(self, session: Session, agency: str, pairs: list[tuple[int, Receipt]],
                        problems: Iterable[ParseProblem], result: PollResult) -> Applied:
        """Apply (item id, receipt) pairs and quarantine the rejected receipts among `problems`. All at once; one
        at a time in savepoints when earlier cycles failed to apply (`result.one_by_one`), quarantining what the
        database refuses."""
        rejected_receipts = [problem for problem in problems if isinstance(problem, RejectedReceipt)]
        if not result.one_by_one:
            applied = self._apply(session, [(item_id, _update(receipt)) for item_id, receipt in pairs], result)
        else:
            _begin_writing(session, agency)
            each: list[Applied] = []
            for item_id, receipt in pairs:
                try:
                    with session.begin_nested():
                        each.append(self._apply(session, [(item_id, _update(receipt))], result))
                except Exception as exc:  # whatever the database refused: this receipt, not the others
                    log.warning("receipt refused by the database; quarantined",
                                extra={"agency": agency, "reference": receipt.reference, "error": str(exc)[:300]})
                    rejected_receipts.append(rejected(
                        f"refused by the database: {type(exc).__name__}: {exc}", repr(receipt), receipt.reference))
            applied = Applied(sum(a.new_events for a in each), [c for a in each for c in a.changes],
                              set().union(*(a.terminal_items for a in each)))
        result.rejected += quarantine(session, agency, rejected_receipts, self.now())
        return applied

    def _apply(self, session: Session, pairs: list, result: PollResult) -> Applied:
        applied = apply_updates(session, pairs, now=self.now())
        if applied.changes and self.on_change is not None:
            self.on_change(session, applied.changes)
        result.events += applied.new_events  # counted once the hook went through too
        result.changes += len(applied.changes)
        return applied


def _begin_writing(session: Session, agency: str) -> None:
    """Make the transaction write before its first savepoint. SQLite's Python driver opens its transaction only at
    the first write; a SAVEPOINT before that would open one of its own, and releasing it would commit."""
    session.execute(update(AgencyState).where(AgencyState.agency == agency)
                    .values(apply_failures=AgencyState.apply_failures))


def _state(session: Session, agency: str) -> AgencyState:
    state = session.get(AgencyState, agency)
    if state is None:
        state = AgencyState(agency=agency, cursor=0, feed_backlog=0, polls_total=0, errors_total=0,
                            events_total=0, consecutive_failures=0)
        session.add(state)
        session.flush()
    return state


def _item_ids_by_reference(session: Session, kinds: list[str], references: set[str]) -> dict[tuple[str, str], int]:
    if not references:
        return {}
    query = select(ClearanceItem.id, ClearanceItem.kind, ClearanceItem.reference).where(
        ClearanceItem.kind.in_(kinds), in_values(session, ClearanceItem.reference, list(references))
    )
    return {(row.kind, row.reference): row.id for row in session.execute(query)}


def _only_match(ids: dict[tuple[str, str], int], reference: str) -> int | None:
    """A receipt that does not name its kind: the item, if exactly one of the agency's kinds has it."""
    matches = [item_id for (_, ref), item_id in ids.items() if ref == reference]
    return matches[0] if len(matches) == 1 else None


def _update(receipt: Receipt) -> StatusUpdate:
    return StatusUpdate(
        agency_event_id=receipt.event_id,
        sequence=receipt.version,
        code=receipt.code,
        note=receipt.note,
        agency_time=receipt.agency_time,
        parties=receipt.parties,
    )
