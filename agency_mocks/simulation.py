"""In-memory state of every agency: registered items, their receipts and each agency's feed, advanced lazily.

Nothing runs in the background. Every call first "catches up": it emits, in simulated-time order, each
planned step whose time has come. Receipts therefore get SEQ_NOs in the order they happened, and a
receipt's time is when its step was due, not when someone happened to ask. One lock guards it all.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from agency_mocks.clock import SimClock
from agency_mocks.lifecycles import AGENCIES, LIFECYCLES
from agency_mocks.story import PlannedStep, plan_story

MAX_REFERENCE_LENGTH = 64
MAX_PARTIES = 10
PARTY_FIELDS = ("role", "uscc", "customs_code", "name")


class InvalidRequest(ValueError):
    """The caller asked for something this agency cannot do (wrong kind, bad reference, unknown code)."""


class Conflict(InvalidRequest):
    """The reference is already registered with this agency under another kind."""


class Receipt(NamedTuple):  # a tuple, not a dataclass: millions are made when many items are tracked
    seq: int  # position in the agency's feed, from 1
    receipt_id: str  # the agency's event id, unique per receipt
    reference: str
    kind: str
    code: str
    note: str
    at: float  # simulated seconds since the clock's start
    version: int  # 1 for the item's first receipt, +1 for each later one


Party = dict[str, str]  # {"role", "uscc"?, "customs_code"?, "name"?}: an enterprise as the agency's records name it


@dataclass(frozen=True)
class ItemSnapshot:
    reference: str
    kind: str
    registered_at: float
    parties: tuple[Party, ...]
    receipts: tuple[Receipt, ...]
    upcoming: tuple[tuple[float, str], ...]  # (time, code) still planned; empty once forced
    scripted: bool


@dataclass(frozen=True)
class FeedPage:
    receipts: tuple[Receipt, ...]
    last_seq: int  # the newest SEQ_NO in the whole feed (0 when empty)
    parties: dict[str, tuple[Party, ...]] = field(default_factory=dict)  # by reference: each item's parties now


@dataclass
class _Item:
    reference: str
    kind: str
    registered_at: float
    parties: tuple[Party, ...]
    plan: tuple[PlannedStep, ...]
    receipts: list[Receipt] = field(default_factory=list)
    next_step: int = 0
    scripted: bool = True  # False once forced: the item has left its story


@dataclass
class _Book:
    items: dict[str, _Item] = field(default_factory=dict)
    feed: list[Receipt] = field(default_factory=list)
    due: list[tuple[float, int, str]] = field(default_factory=list)  # heap of (time, tie-break, reference)


class Simulation:
    def __init__(self, clock: SimClock, seed: int, compress: float = 1.0):
        if compress <= 0:
            raise ValueError("compress must be > 0")
        self.clock = clock
        self.seed = seed
        # Lifecycles `compress` times shorter: a lively demo on the real clock, every receipt's time in the past
        # (a fast clock would date them after the real now).
        self.compress = float(compress)
        self._lock = threading.Lock()
        self._books = {agency: _Book() for agency in AGENCIES}
        self._tiebreak = 0

    def register(self, agency: str, entries: Iterable[tuple[str, str, Any]]) -> list[tuple[str, bool]]:
        """Register (kind, reference, parties) entries; returns (reference, created) for each, all or none."""
        entries = [(kind, reference, check_parties(parties)) for kind, reference, parties in entries]
        for kind, reference, _ in entries:
            self._check_new(agency, kind, reference)
        with self._lock:
            book, now = self._caught_up(agency)
            seen: dict[str, str] = {}
            for kind, reference, _ in entries:  # all checked before any is added: a batch is atomic
                item = book.items.get(reference)
                known = item.kind if item else seen.setdefault(reference, kind)
                if known != kind:
                    raise Conflict(f"{reference} is already registered as {known}")
            results = []
            for kind, reference, parties in entries:
                if reference in book.items:
                    results.append((reference, False))
                    continue
                item = _Item(reference, kind, now, parties, plan_story(self.seed, kind, reference))
                book.items[reference] = item
                self._schedule(book, item)
                results.append((reference, True))
            self._catch_up(book, now)  # steps due at once (usually the first) happen on registration
            return results

    def force(self, agency: str, reference: str, code: str, note: str | None = None,
              strict: bool = True) -> Receipt:
        with self._lock:
            book, now = self._caught_up(agency)
            item = book.items.get(reference)
            if item is None:
                raise KeyError(reference)
            codes = LIFECYCLES[item.kind].codes
            if strict and code not in codes:
                raise InvalidRequest(f"{code!r} is not a {item.kind} code (send strict=false to force it)")
            item.scripted = False  # a forced item stays where it was put; its planned steps are dropped
            return self._emit(book, item, code, note if note is not None else codes.get(code, ""), now)

    def set_parties(self, agency: str, reference: str, parties: Any) -> ItemSnapshot:
        """The agency's records now name these parties (e.g. the declaration was amended): every answer from
        now on carries them, and the feed with the item's next receipt."""
        checked = check_parties(parties)
        with self._lock:
            book, _ = self._caught_up(agency)
            item = book.items.get(reference)
            if item is None:
                raise KeyError(reference)
            item.parties = checked
            return self._snapshot(item)

    def feed(self, agency: str, after: int, limit: int) -> FeedPage:
        with self._lock:
            book, _ = self._caught_up(agency)
            start = max(after, 0)
            receipts = tuple(book.feed[start:start + limit])
            parties = {r.reference: book.items[r.reference].parties for r in receipts}
            return FeedPage(receipts, len(book.feed), parties)

    def snapshots(self, agency: str, references: Iterable[str]) -> list[ItemSnapshot | None]:
        with self._lock:
            book, _ = self._caught_up(agency)
            return [self._snapshot(book.items[r]) if r in book.items else None for r in references]

    def snapshot(self, agency: str, reference: str) -> ItemSnapshot | None:
        return self.snapshots(agency, [reference])[0]

    def counts(self) -> Mapping[str, dict[str, int]]:
        with self._lock:
            books = {agency: self._caught_up(agency)[0] for agency in self._books}
            return {a: {"items": len(b.items), "receipts": len(b.feed)} for a, b in books.items()}

    def _check_new(self, agency: str, kind: str, reference: str) -> None:
        lifecycle = LIFECYCLES.get(kind) if isinstance(kind, str) else None
        if lifecycle is None or lifecycle.agency != agency:
            raise InvalidRequest(f"{agency} does not handle kind {kind!r}")
        if not isinstance(reference, str) or not reference.strip() or len(reference) > MAX_REFERENCE_LENGTH:
            raise InvalidRequest(f"reference must be a non-empty string of <= {MAX_REFERENCE_LENGTH} chars")
        if not reference.isprintable() or reference != reference.strip():
            raise InvalidRequest("reference must be printable, without leading or trailing spaces")

    def _caught_up(self, agency: str) -> tuple[_Book, float]:
        # One reading of the clock per call, so nothing due before "now" is left behind a new receipt.
        book, now = self._books[agency], self.clock.now()
        self._catch_up(book, now)
        return book, now

    def _catch_up(self, book: _Book, now: float) -> None:
        while book.due and book.due[0][0] <= now:
            at, _, reference = heapq.heappop(book.due)
            item = book.items[reference]
            if not item.scripted:
                continue
            step = item.plan[item.next_step]
            item.next_step += 1
            self._emit(book, item, step.code, LIFECYCLES[item.kind].codes[step.code], at)
            self._schedule(book, item)

    def _schedule(self, book: _Book, item: _Item) -> None:
        # Only the next step of each item is in the heap, so it stays as small as the number of items.
        if item.next_step < len(item.plan):
            self._tiebreak += 1
            at = item.registered_at + item.plan[item.next_step].offset / self.compress
            heapq.heappush(book.due, (at, self._tiebreak, item.reference))

    def _emit(self, book: _Book, item: _Item, code: str, note: str, at: float) -> Receipt:
        version = len(item.receipts) + 1
        agency = LIFECYCLES[item.kind].agency.upper()
        receipt = Receipt(
            seq=len(book.feed) + 1,
            # Stable across restarts with the same seed, so a replayed story re-sends the same ids.
            receipt_id=f"{agency}:{item.reference}:{version}:{code}",
            reference=item.reference, kind=item.kind, code=code, note=note, at=at, version=version,
        )
        book.feed.append(receipt)
        item.receipts.append(receipt)
        return receipt

    def _snapshot(self, item: _Item) -> ItemSnapshot:
        upcoming = tuple(
            (item.registered_at + step.offset / self.compress, step.code) for step in item.plan[item.next_step:]
        ) if item.scripted else ()
        return ItemSnapshot(item.reference, item.kind, item.registered_at, item.parties,
                            tuple(item.receipts), upcoming, item.scripted)


def check_parties(parties: Any) -> tuple[Party, ...]:
    """Parties as the admin API takes them: a list of {role, uscc?, customs_code?, name?} with string values and
    at least one code. The codes are kept as given (not validated): tests use the mocks to send bad ones."""
    if parties is None:
        return ()
    if not isinstance(parties, list) or len(parties) > MAX_PARTIES:
        raise InvalidRequest(f"parties must be a list of at most {MAX_PARTIES} objects")
    checked = []
    for party in parties:
        if not isinstance(party, dict) or set(party) - set(PARTY_FIELDS) \
                or not all(isinstance(v, str) and len(v) <= 200 for v in party.values()):
            raise InvalidRequest(f"a party is an object of strings with keys among {', '.join(PARTY_FIELDS)}")
        if not party.get("role") or not (party.get("uscc") or party.get("customs_code")):
            raise InvalidRequest("a party needs a role and a uscc or a customs_code")
        checked.append(dict(party))
    return tuple(checked)
