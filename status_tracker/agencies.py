"""The agencies whose systems we poll, and how each one must be polled (docs/kinds-and-agencies.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PollStyle(StrEnum):
    CHANGE_FEED = "change_feed"  # receipts after a cursor: one request per agency per cycle
    BATCH_QUERY = "batch_query"  # up to 100 references per request
    ETAG_ITEM = "etag_item"  # one request per due item, 304 when unchanged
    RATE_LIMITED_ITEM = "rate_limited_item"  # one request per due item, 429 + Retry-After when too fast


@dataclass(frozen=True)
class Agency:
    key: str
    name_zh: str
    name_en: str
    style: PollStyle


AGENCIES: dict[str, Agency] = {
    agency.key: agency
    for agency in (
        Agency("gacc", "海关总署", "GACC customs", PollStyle.CHANGE_FEED),
        Agency("msa", "海事局/边检", "MSA maritime & border inspection", PollStyle.ETAG_ITEM),
        Agency("mofcom", "商务部", "MOFCOM", PollStyle.BATCH_QUERY),
        Agency("ccpit", "贸促会", "CCPIT", PollStyle.BATCH_QUERY),
        Agency("sta", "税务总局", "STA tax", PollStyle.RATE_LIMITED_ITEM),
        Agency("bank", "银行", "bank/tax payment", PollStyle.RATE_LIMITED_ITEM),
    )
}
