"""No single receipt can hold a feed: oversized and out-of-range receipts in each of the four polling styles, read by
the real clients and parsers from hand-made answers, are quarantined while the rest of the page goes through and
the cursor moves on; a receipt the database itself refuses is quarantined once a page has failed twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, text

from core.db import utcnow
from core.models import Company
from notifications.fanout import fan_out
from status_tracker.adapters import build_clients
from status_tracker.adapters.bounds import NOTE_MAX_CHARS
from status_tracker.clearances import track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS
from status_tracker.models import AgencyState, ClearanceItem, QuarantinedReceipt, StatusEvent
from status_tracker.polling import Poller, PollPolicy
from tests.conftest import make_uscc
from tests.tracker.fakes import FakeFeed, FakeItems, receipt

DECL = KINDS["customs_declaration"].reference_example
TRANSIT = KINDS["transit"].reference_example
LICENCE = KINDS["license"].reference_example
SERVICE = KINDS["service_trade"].reference_example
VESSEL = KINDS["transport_vehicle"].reference_example
REFUND = KINDS["export_tax_refund"].reference_example
POLICY = PollPolicy(min_interval=0, max_interval=0, breaker_threshold=10)


@pytest.fixture
def tracked(sessions):
    with sessions.begin() as session:
        company = create_company(session, name="申报企业", uscc=make_uscc(7))
        ids = {}
        for kind in ("customs_declaration", "transit", "license", "service_trade", "transport_vehicle",
                     "export_tax_refund"):
            item, _ = track_item(session, company_id=company.id, user_id=None, kind=kind,
                                 reference=KINDS[kind].reference_example)
            ids[kind] = item.id
    return ids


def poller_for(sessions, routes: dict[str, httpx.Response]) -> Poller:
    """A poller whose agencies answer from `routes` ("GET /gacc/receipts" → response); anything else is a 503."""

    def answer(request: httpx.Request) -> httpx.Response:
        return routes.get(f"{request.method} {request.url.path}", httpx.Response(503))

    http = httpx.Client(transport=httpx.MockTransport(answer), base_url="http://agencies")
    return Poller(sessions, build_clients("http://agencies", http, timeout=5), policy=POLICY,
                  now=lambda: utcnow() + timedelta(seconds=1), poller_id="test")


def dec_result(seq: int, reference: str, channel: str, version: int, *, receipt_id: str | None = None,
               notice: str = "2026-06-03 08:00:00", kind: str = "customs_declaration") -> str:
    return (f"<DEC_RESULT><SEQ_NO>{seq}</SEQ_NO><RECEIPT_ID>{receipt_id or f'R{seq}'}</RECEIPT_ID>"
            f"<ENTRY_ID>{reference}</ENTRY_ID><KIND>{kind}</KIND><CHANNEL>{channel}</CHANNEL>"
            f"<NOTICE_DATE>{notice}</NOTICE_DATE><VERSION>{version}</VERSION></DEC_RESULT>")


def feed_page(*receipts: str, next_seq: int, last_seq: int | None = None) -> httpx.Response:
    head = (f"<HEAD><FEED_ID>f1</FEED_ID><AFTER>0</AFTER><NEXT_SEQ>{next_seq}</NEXT_SEQ>"
            f"<LAST_SEQ>{last_seq or next_seq}</LAST_SEQ><HAS_MORE>false</HAS_MORE></HEAD>")
    body = f"<RECEIPT_FEED AGENCY='GACC'>{head}<RECEIPTS>{''.join(receipts)}</RECEIPTS></RECEIPT_FEED>"
    return httpx.Response(200, content=body.encode(), headers={"Content-Type": "application/xml"})


def status(reference: str, kind: str, *history: dict) -> dict:
    return {"reference": reference, "kind": kind, **history[-1], "history": list(history)}


def entry(version: int, code: str, *, note: str | None = None, event_id: str | None = None,
          updated_at: str = "2026-06-03T08:00:00+08:00") -> dict:
    return {"code": code, "note": note, "updated_at": updated_at, "event_id": event_id or f"E{version}:{code}",
            "version": version}


def events(sessions, item_id: int) -> list[tuple[str, int]]:
    with sessions() as session:
        return [(e.native_code, e.sequence) for e in session.scalars(
            select(StatusEvent).where(StatusEvent.item_id == item_id).order_by(StatusEvent.sequence))]


def quarantined(sessions) -> list[QuarantinedReceipt]:
    with sessions() as session:
        return list(session.scalars(select(QuarantinedReceipt).order_by(QuarantinedReceipt.id)))


def state(sessions, agency: str) -> AgencyState:
    with sessions() as session:
        return session.get(AgencyState, agency)


def test_bad_gacc_receipts_are_quarantined_and_the_cursor_moves_past_them(sessions, tracked):
    page = feed_page(
        dec_result(1, DECL, "L", 1),
        dec_result(2, DECL, "C" * 40, 2),  # CHANNEL longer than native_code stores
        dec_result(3, DECL, "P", 3, receipt_id="X" * 100),  # RECEIPT_ID longer than agency_event_id stores
        dec_result(4, DECL, "P", 4, notice="9999-12-31T23:00:00-10:00"),  # beyond any UTC datetime
        dec_result(5, TRANSIT, "01", 1, kind="transit"),
        next_seq=5, last_seq=5,
    )
    result = poller_for(sessions, {"GET /gacc/receipts": page}).poll("gacc")

    assert result.error is None and result.rejected == 3
    assert events(sessions, tracked["customs_declaration"]) == [("L", 1)]
    assert events(sessions, tracked["transit"]) == [("01", 1)]
    gacc = state(sessions, "gacc")
    assert (gacc.cursor, gacc.errors_total, gacc.consecutive_failures) == (5, 0, 0)
    assert gacc.cursor_moved_at is not None
    rows = quarantined(sessions)
    assert [(r.agency, r.reference, r.item_id) for r in rows] == [("gacc", DECL, tracked["customs_declaration"])] * 3
    reasons = " | ".join(r.reason for r in rows)
    assert "code is 40 characters, at most 16" in reasons
    assert "event_id is 100 characters, at most 64" in reasons
    assert "agency_time year 9999 is outside 2000..2100" in reasons
    assert all(r.raw.startswith("<DEC_RESULT> SEQ_NO=") for r in rows)


def test_a_bad_batch_result_is_quarantined_and_the_other_items_are_applied(sessions, tracked):
    answer = {"results": [
        status(LICENCE, "license", entry(1, "10"), entry(10**19, "20")),  # version beyond BIGINT
        status(SERVICE, "service_trade", entry(1, "01"), entry(2, "02")),
        status("L" * 100, "license", entry(1, "10")),  # a reference no column stores
    ]}
    poller = poller_for(sessions, {"POST /mofcom/status/query": httpx.Response(200, json=answer)})
    result = poller.poll("mofcom")

    assert result.error is None and result.rejected == 2
    assert events(sessions, tracked["license"]) == [("10", 1)]
    assert events(sessions, tracked["service_trade"]) == [("01", 1), ("02", 2)]
    rows = sorted(quarantined(sessions), key=lambda row: row.reference is None)  # stored in fingerprint order
    assert [(r.reference, r.item_id) for r in rows] == [(LICENCE, tracked["license"]), (None, None)]
    assert "version must be an integer from 1 to 9223372036854775807" in rows[0].reason
    assert str(10**19) in rows[0].raw
    assert "reference is 100 characters, at most 64" in rows[1].reason
    with sessions() as session:  # every item answered is scheduled again: nothing is stuck
        assert all(i.next_poll_at is not None for i in session.scalars(
            select(ClearanceItem).where(ClearanceItem.kind.in_(["license", "service_trade"]))))

    poller.poll("mofcom")  # the same bad receipt again is the same quarantined row, seen twice
    assert [r.times_seen for r in quarantined(sessions)] == [2, 2]


def test_an_msa_answer_with_an_oversized_etag_and_a_bad_receipt_still_applies_its_good_receipts(sessions, tracked):
    body = status(VESSEL, "transport_vehicle", entry(1, "01"), entry(2, "0" * 40), entry(3, "03"))
    answer = httpx.Response(200, json=body, headers={"ETag": '"' + "e" * 300 + '"'})  # 302 characters
    route = f"GET /msa/vessels/{VESSEL}/status"
    result = poller_for(sessions, {route: answer}).poll("msa")

    assert result.error is None and result.rejected == 1
    assert events(sessions, tracked["transport_vehicle"]) == [("01", 1), ("03", 3)]
    with sessions() as session:
        vessel = session.get(ClearanceItem, tracked["transport_vehicle"])
        assert vessel.poll_etag is None and vessel.next_poll_at is not None  # asked again, without a tag
    assert [r.reference for r in quarantined(sessions)] == [VESSEL]


def test_sta_retry_after_of_1e12_is_capped_and_a_5_mb_note_is_cut(sessions, tracked):
    route = f"GET /sta/items/{REFUND}/status"
    limited = poller_for(sessions, {route: httpx.Response(429, headers={"Retry-After": "1e12"})})
    before = utcnow()
    result = limited.poll("sta")
    assert result.error is not None and result.error.startswith("rate limited")
    sta = state(sessions, "sta")
    assert sta.not_before <= before + timedelta(seconds=POLICY.breaker_max_cool_off + 5)
    assert sta.errors_total == 0

    with sessions.begin() as session:
        session.get(AgencyState, "sta").not_before = None
    note = "长" * (5 * 2**20 // 3)  # 5 MB of UTF-8
    body = status(REFUND, "export_tax_refund", entry(1, "01", note=note), entry(2, "02", note="a\x00b"))
    result = poller_for(sessions, {route: httpx.Response(200, json=body)}).poll("sta")
    assert result.error is None and result.rejected == 0
    with sessions() as session:
        notes = [e.note for e in session.scalars(select(StatusEvent).order_by(StatusEvent.sequence))]
    assert len(notes[0]) == NOTE_MAX_CHARS and notes[0].endswith("…")
    assert notes[1] == "ab"  # NUL, which PostgreSQL cannot store, is dropped


# -- a receipt the database refuses ------------------------------------------------------------------------------


@pytest.fixture
def poison_trigger(engine):
    """The database refuses any status event whose agency event id contains POISON."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(
                "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                "IF NEW.agency_event_id LIKE '%POISON%' THEN RAISE EXCEPTION 'poison receipt'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER refuse_poison BEFORE INSERT ON status_events "
                              "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"))
        else:
            conn.execute(text("CREATE TRIGGER refuse_poison BEFORE INSERT ON status_events "
                              "WHEN NEW.agency_event_id LIKE '%POISON%' "
                              "BEGIN SELECT RAISE(ABORT, 'poison receipt'); END"))
    yield
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_poison" + (" ON status_events" if engine.dialect.name ==
                                                          "postgresql" else "")))
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP FUNCTION refuse_poison()"))


def test_a_feed_page_the_database_refuses_twice_is_applied_receipt_by_receipt(sessions, tracked, poison_trigger):
    feed = FakeFeed()
    poison = receipt(DECL, 2, "C", "customs_declaration")
    feed.add(receipt(DECL, 1, "L", "customs_declaration"),
             type(poison)(**{**poison.__dict__, "event_id": "POISON-2"}),
             receipt(TRANSIT, 1, "01", "transit"))
    # With the real fan-out hook, as the scheduler runs: notifications are written inside each savepoint too.
    poller = Poller(sessions, {"gacc": feed}, on_change=fan_out, policy=POLICY, poller_id="test")

    for failures in (1, 2):  # the page fails as a whole, and every failure shows
        result = poller.poll("gacc")
        assert "poison receipt" in (result.error or "") and not result.one_by_one
        gacc = state(sessions, "gacc")
        assert (gacc.cursor, gacc.errors_total, gacc.consecutive_failures, gacc.apply_failures) == \
            (0, failures, failures, failures)
        assert "poison receipt" in gacc.last_error
    assert events(sessions, tracked["customs_declaration"]) == []

    result = poller.poll("gacc")
    assert result.error is None and result.one_by_one and result.rejected == 1
    assert events(sessions, tracked["customs_declaration"]) == [("L", 1)]
    assert events(sessions, tracked["transit"]) == [("01", 1)]
    gacc = state(sessions, "gacc")
    assert (gacc.cursor, gacc.consecutive_failures, gacc.apply_failures) == (3, 0, 0)
    [row] = quarantined(sessions)
    assert (row.reference, row.item_id) == (DECL, tracked["customs_declaration"])
    assert row.reason.startswith("refused by the database:") and "POISON-2" in row.raw


def test_one_item_answer_the_database_refuses_does_not_block_the_others(sessions, tracked, poison_trigger):
    items = FakeItems()
    poison = receipt(LICENCE, 1, "10")
    items.add(type(poison)(**{**poison.__dict__, "event_id": "POISON-1"}), receipt(LICENCE, 2, "20"),
              receipt(SERVICE, 1, "01"))
    poller = Poller(sessions, {"mofcom": items}, policy=POLICY, now=lambda: utcnow() + timedelta(seconds=1))
    assert poller.poll("mofcom").error and poller.poll("mofcom").error
    assert events(sessions, tracked["service_trade"]) == []

    result = poller.poll("mofcom")
    assert result.error is None and result.one_by_one
    assert events(sessions, tracked["service_trade"]) == [("01", 1)]
    assert events(sessions, tracked["license"]) == [("20", 2)]
    assert [r.item_id for r in quarantined(sessions)] == [tracked["license"]]



def test_metrics_show_quarantined_receipts_and_how_long_the_cursor_has_stood_still(client, sessions, tracked):
    page = feed_page(dec_result(1, DECL, "L", 1), dec_result(2, DECL, "C" * 40, 2), next_seq=2)
    poller_for(sessions, {"GET /gacc/receipts": page}).poll("gacc")
    with sessions.begin() as session:
        session.get(AgencyState, "gacc").cursor_moved_at = utcnow() - timedelta(hours=1)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'swm_agency_rejected_receipts{agency="gacc"} 1.0' in text
    [age] = [line for line in text.splitlines() if line.startswith('swm_agency_cursor_age_seconds{agency="gacc"}')]
    assert 3600 <= float(age.split()[-1]) < 3600 + 300


def test_the_operator_lists_quarantined_receipts(app, sessions, tracked):
    from app.processes.cli import receipts_rejected

    runner = app.test_cli_runner()
    assert runner.invoke(receipts_rejected, []).output == "no rejected receipts\n"
    page = feed_page(dec_result(1, DECL, "C" * 40, 1), dec_result(2, "9" * 70, "L", 1), next_seq=2)
    poller_for(sessions, {"GET /gacc/receipts": page}).poll("gacc")
    out = runner.invoke(receipts_rejected, ["--agency", "gacc", "--raw"]).output.splitlines()
    assert len(out) == 4
    assert any(f"gacc  {DECL}  (item {tracked['customs_declaration']}, seen 1×)" in line and
               "code is 40 characters" in line for line in out)
    assert any("gacc  -  (no tracked item, seen 1×)" in line and "reference is 70 characters" in line
               for line in out)
    assert sum(line.startswith("    <DEC_RESULT> SEQ_NO=") for line in out) == 2
    assert runner.invoke(receipts_rejected, ["--agency", "msa"]).output == "no rejected receipts\n"


def test_an_unusable_answer_about_one_item_does_not_hold_up_the_others(sessions, tracked):
    other = "IMO9876543/001E"
    with sessions.begin() as session:
        company_id = session.scalar(select(Company.id).where(Company.uscc == make_uscc(7)))
        second, _ = track_item(session, company_id=company_id, user_id=None, kind="transport_vehicle",
                               reference=other)
        second_id = second.id
        session.get(ClearanceItem, tracked["transport_vehicle"]).next_poll_at = utcnow() - timedelta(hours=1)
    good = httpx.Response(200, json=status(other, "transport_vehicle", entry(1, "01")))
    routes = {f"GET /msa/vessels/{VESSEL}/status": httpx.Response(200, content=b'{"reference": "cut sh'),
              f"GET /msa/vessels/{other}/status": good}
    result = poller_for(sessions, routes).poll("msa")

    assert result.error is None and result.requests == 2
    assert any("unreadable answer" in p.message for p in result.problems)
    assert events(sessions, second_id) == [("01", 1)]
    with sessions() as session:  # asked again later, behind the others, rather than first again at once
        assert session.get(ClearanceItem, tracked["transport_vehicle"]).next_poll_at > utcnow() - timedelta(minutes=1)

    routes[f"GET /msa/vessels/{other}/status"] = routes[f"GET /msa/vessels/{VESSEL}/status"]
    with sessions.begin() as session:
        for item_id in (tracked["transport_vehicle"], second_id):
            session.get(ClearanceItem, item_id).next_poll_at = utcnow() - timedelta(hours=1)
    result = poller_for(sessions, routes).poll("msa")  # nothing usable at all: the agency is failing
    assert result.error is not None and "unreadable answer" in result.error
    assert state(sessions, "msa").errors_total == 1


def test_housekeeping_forgets_rejected_receipts_not_seen_for_90_days(sessions, tracked):
    from app.processes.housekeeping import clean_up

    page = feed_page(dec_result(1, DECL, "C" * 40, 1), dec_result(2, DECL, "D" * 40, 2), next_seq=2)
    poller_for(sessions, {"GET /gacc/receipts": page}).poll("gacc")
    with sessions.begin() as session:
        old = session.scalars(select(QuarantinedReceipt).where(QuarantinedReceipt.raw.contains("C" * 40))).one()
        old.last_seen_at = utcnow() - timedelta(days=91)
    with sessions.begin() as session:
        assert clean_up(session, timedelta(days=30))["rejected_receipts"] == 1
    assert [r.raw.count("D" * 40) for r in quarantined(sessions)] == [1]


def test_a_cycle_cut_short_by_the_scheduler_stopping_counts_as_no_failure(sessions, tracked):
    stop = threading.Event()
    stop.set()
    http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(503)))
    poller = Poller(sessions, build_clients("http://agencies", http, stop=stop), policy=POLICY)
    result = poller.poll("gacc")
    assert result.error == "gacc: request stopped"
    gacc = state(sessions, "gacc")
    assert (gacc.errors_total, gacc.consecutive_failures, gacc.breaker_open_until) == (0, 0, None)
