"""The JSON agencies' item status objects (MOFCOM/CCPIT batches, MSA, STA, bank) read into ItemStatus; never raises.

An item's receipts are its `history` (every receipt so far, oldest first) plus the top-level latest receipt,
deduplicated by event_id and sorted by version; without a history the top-level receipt alone. A receipt with a
field missing, wrong, or outside what the tables store (bounds.py) is skipped with a RejectedReceipt, which the
poll cycle quarantines. A body that is not JSON, or not shaped like an answer at all
(not an object, no `results` list, no reference), is unreadable: its problems hold an `Unreadable` and the clients
raise AgencyUnavailable for it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from status_tracker.adapters.base import BatchAnswer, ItemAnswer, ItemStatus, ParseProblem, Receipt
from status_tracker.adapters.bounds import RAW_CHARS, RECEIPT_FIELDS, bounded, rejected
from status_tracker.adapters.problems import Unreadable, snippet
from status_tracker.adapters.timestamps import parse_agency_time
from status_tracker.parties import MAX_PARTIES, AgencyParty, read_party


def parse_batch(body: bytes) -> BatchAnswer:
    """A batch answer `{"results": [status, ...]}`; a result repeated by the agency is merged into one."""
    document = _load(body)
    if isinstance(document, Unreadable):
        return BatchAnswer(items=[], problems=[document])
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        return BatchAnswer(items=[], problems=[Unreadable("not a batch answer: no `results` list", snippet(body))])
    items: dict[str, ItemStatus] = {}
    problems: list[ParseProblem] = []
    for result in results:
        status, found_problems = parse_item_status(result)
        problems.extend(found_problems)
        if status is not None:
            known = items.get(status.reference)
            items[status.reference] = status if known is None else _merged(known, status)
    return BatchAnswer(items=list(items.values()), problems=problems)


def parse_item(body: bytes) -> ItemAnswer:
    """A per-item answer: one status object (found, since an unknown item is a 404)."""
    document = _load(body)
    if isinstance(document, Unreadable):
        return ItemAnswer(status=None, problems=[document])
    status, problems = parse_item_status(document)
    if status is None:
        return ItemAnswer(status=None, problems=[Unreadable(p.message, p.snippet) for p in problems])
    return ItemAnswer(status=status, problems=problems)


def parse_item_status(obj: object) -> tuple[ItemStatus | None, list[ParseProblem]]:
    """One item status object; None (with the reason) when it does not even say which item it is about."""
    if not isinstance(obj, dict):
        return None, [rejected("an item status is not a JSON object", _raw(obj))]
    reference, found = obj.get("reference"), obj.get("found", True)
    if not isinstance(reference, str) or not reference or not isinstance(found, bool):
        return None, [rejected("an item status lacks a reference string or a boolean `found`", _raw(obj))]
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) else None
    for name, value in (("reference", reference), ("kind", kind)):
        reason = None if value is None else RECEIPT_FIELDS[name].check(value)
        if reason is not None:  # said once for the item, not once per receipt
            return None, [rejected(f"an item status's {name} {reason}", _raw(obj),
                                   reference if name == "kind" else None)]
    if not found:
        return ItemStatus(reference=reference, found=False), []
    history = obj.get("history")
    problems: list[ParseProblem] = []
    receipts: dict[str, Receipt] = {}
    if isinstance(history, list):
        for index, entry in enumerate(history):
            _add(receipts, problems, _receipt(entry, reference, kind, f"{reference}: history[{index}]"))
        latest = _receipt(obj, reference, kind, f"{reference}: latest")
        if isinstance(latest, Receipt):  # normally a copy of the last history entry; counted only if new
            receipts.setdefault(latest.event_id, latest)
    else:
        if history is not None:
            problems.append(ParseProblem(f"{reference}: history is not a list; using the latest receipt only"))
        _add(receipts, problems, _receipt(obj, reference, kind, f"{reference}: latest"))
    ordered = sorted(receipts.values(), key=lambda receipt: receipt.version)
    parties = read_parties(obj.get("parties"))
    if ordered and parties:  # the parties as of the newest receipt: the poll cycle records them with it
        ordered[-1] = replace(ordered[-1], parties=parties)
    return ItemStatus(reference=reference, found=True, receipts=ordered, parties=parties), problems


def read_parties(listed: object) -> tuple[AgencyParty, ...] | None:
    """`parties`: [{"role", "uscc"?, "customs_code"?}, ...]. Only known roles with a well-formed credit code or
    customs code are kept; None when there are none (the answer says nothing about parties)."""
    if not isinstance(listed, list):
        return None
    parties = [read_party(p.get("role"), p.get("uscc"), p.get("customs_code"))
               for p in listed[:MAX_PARTIES] if isinstance(p, dict)]
    return tuple(dict.fromkeys(p for p in parties if p is not None)) or None


def _receipt(entry: object, reference: str, kind: str | None, where: str) -> Receipt | ParseProblem:
    if not isinstance(entry, dict):
        return rejected(f"{where}: not a JSON object", _raw(entry), reference)
    code, event_id, version = entry.get("code"), entry.get("event_id"), entry.get("version")
    updated_at, note = entry.get("updated_at"), entry.get("note")
    if not (isinstance(code, str) and code and isinstance(event_id, str) and event_id):
        return rejected(f"{where}: code and event_id must be non-empty strings", _raw(entry), reference)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:  # bool is an int in Python
        return rejected(f"{where}: version must be a positive integer", _raw(entry), reference)
    agency_time = parse_agency_time(updated_at) if isinstance(updated_at, str) else None
    if agency_time is None:
        return rejected(f"{where}: updated_at is not a time", _raw(entry), reference)
    receipt = Receipt(reference=reference, code=code, note=note if isinstance(note, str) else None,
                      agency_time=agency_time, event_id=event_id, version=version, kind=kind)
    return bounded(receipt, where, lambda: _raw(entry))


def _add(receipts: dict[str, Receipt], problems: list[ParseProblem], result: Receipt | ParseProblem) -> None:
    if isinstance(result, ParseProblem):
        problems.append(result)
    else:
        receipts.setdefault(result.event_id, result)  # a repeated history entry counts once


def _merged(first: ItemStatus, again: ItemStatus) -> ItemStatus:
    receipts = {r.event_id: r for r in again.receipts} | {r.event_id: r for r in first.receipts}
    return ItemStatus(reference=first.reference, found=first.found or again.found,
                      receipts=sorted(receipts.values(), key=lambda receipt: receipt.version),
                      parties=first.parties or again.parties)


def _load(body: bytes) -> Any | Unreadable:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:  # ValueError covers JSONDecodeError and UnicodeDecodeError
        return Unreadable(f"not readable JSON ({type(error).__name__}: {error})", snippet(body))


def _raw(value: object) -> str:
    """A JSON value as text, at most RAW_CHARS of it (a long string inside is cut before the whole is dumped)."""
    if isinstance(value, dict):
        value = {str(k)[:RAW_CHARS]: v[:RAW_CHARS] if isinstance(v, str | list) else v
                 for k, v in list(value.items())[:20]}
    try:
        return json.dumps(value, ensure_ascii=False)[:RAW_CHARS]
    except (ValueError, RecursionError):  # only a value json.loads just built gets here: a very deep one
        return "<too deeply nested to show>"
