"""One time-zone policy: the push's agency_time is UTC with its offset, as the API's agency_updated_at is."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from notifications.messages import data_payload

BEIJING = timezone(timedelta(hours=8))


def test_the_pushs_agency_time_is_utc_like_the_apis():
    sent_by_customs = datetime(2026, 12, 2, 16, 57, tzinfo=BEIJING)
    data = data_payload("n-1", 7, "customs_declaration", "310120241000123456", "P", "released", True,
                        sent_by_customs)
    assert data["agency_time"] == "2026-12-02T08:57:00+00:00"
    assert datetime.fromisoformat(data["agency_time"]) == sent_by_customs
