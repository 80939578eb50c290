"""How the JSON agencies answer for one item, faults included (stale answers, repeated history entries)."""

from __future__ import annotations

from typing import Any

from agency_mocks.formats import status_json
from agency_mocks.simulation import ItemSnapshot
from agency_mocks.state import MockState


def answer_for(state: MockState, agency: str, item: ItemSnapshot) -> dict[str, Any]:
    faults = state.faults[agency]
    receipts = faults.stale(item.receipts)  # out of order: an older status after a newer one
    return status_json(receipts[-1], faults.duplicated(receipts), state.clock, item.parties)
