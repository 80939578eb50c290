"""Who is told about a status change, in which language, when (quiet hours), and on which devices."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select

from core.accounts import NewUser, create_user
from core.models import User
from notifications.dispatcher import claim
from notifications.fanout import fan_out, release_held
from notifications.messages import build_push
from notifications.models import Device, Notification, NotificationSettings, OutboxMessage, Subscription
from notifications.quiet_hours import quiet_until
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.clearances import PartyRef, track_item
from status_tracker.companies import create_company, update_company
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem
from status_tracker.parties import AgencyParty
from tests.conftest import agency_confirms, make_uscc

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "api_spec" / "push_payload.schema.json").read_text())
TRANSIT = KINDS["transit"]
WRITE_OFF = next(c for c in TRANSIT.codes if c.stage == "completed")
DETAIL = next(c for c in TRANSIT.codes if not c.milestone)


def transit_declared_by_a_broker(session, names, serial):
    """Companies of these names, each with a user and a phone; a transit declaration the declarant tracks,
    claiming the consignee and the agent as its parties. Returns (people: name → user id, and "item"; companies)."""
    people = {}
    companies = {name: create_company(session, name=name, uscc=make_uscc(serial + n))
                 for n, name in enumerate(names)}
    for n, (name, company) in enumerate(companies.items()):
        user = create_user(session, NewUser(phone=f"137{serial:03d}{n:05d}", name=name,
                                            password="long enough", company_id=company.id,
                                            locale="en" if name == "agent" else "zh-CN"))
        session.add(Device(user_id=user.id, token=f"phone-of-{name}", platform="android"))
        people[name] = user.id
    item, _ = track_item(session, company_id=companies["declarant"].id, user_id=people["declarant"],
                         kind="transit", reference=TRANSIT.reference_example,
                         parties=(PartyRef("consignee", companies["consignee"].uscc),
                                  PartyRef("agent", companies["agent"].uscc)))
    people["item"] = item.id
    return people, companies


@pytest.fixture
def story(sessions):
    """A transit declaration declared by one company for a consignee and an agent; an unrelated company."""
    with sessions.begin() as session:
        people, companies = transit_declared_by_a_broker(
            session, ("declarant", "consignee", "agent", "unrelated"), 100)
        # Customs' own data names the three of them (its first receipt said so).
        agency_confirms(session, people["item"],
                        *((role, companies[role]) for role in ("declarant", "consignee", "agent")))
        people["customs_parties"] = tuple(AgencyParty(role, companies[role].uscc)
                                          for role in ("declarant", "consignee", "agent"))
    return people


def change(sessions, item_id, code, version, now=None, parties=None):
    with sessions.begin() as session:
        applied = apply_updates(session, [(item_id, StatusUpdate(f"e{version}", version, code, "指运地海关核销",
                                                                 datetime.now(UTC), parties))])
        return fan_out(session, applied.changes, now=now)


def told(sessions) -> dict[int, list[Notification]]:
    with sessions() as session:
        out: dict[int, list[Notification]] = {}
        for n in session.scalars(select(Notification).order_by(Notification.id)):
            out.setdefault(n.user_id, []).append(n)
        return out


def outbox(sessions) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_write_off_reaches_consignee_and_agent_and_not_the_unrelated(sessions, story):
    assert change(sessions, story["item"], WRITE_OFF.code, 1) == 3
    notes = told(sessions)
    assert set(notes) == {story["declarant"], story["consignee"], story["agent"]}
    assert notes[story["consignee"]][0].title.startswith("转关：")
    assert notes[story["agent"]][0].title.startswith("Transit: ")
    assert {o.state for o in outbox(sessions)} == {"pending"}


@pytest.fixture
def claimed_only(sessions):
    """The same transit declaration, but customs has not said who its parties are yet: only the declarant's
    claims (itself, and a consignee and an agent it names)."""
    with sessions.begin() as session:
        people, companies = transit_declared_by_a_broker(session, ("declarant", "consignee", "agent"), 200)
        people["companies"] = {name: (company.uscc, company.customs_code) for name, company in companies.items()}
    return people


def test_companies_only_claimed_as_parties_get_no_push(sessions, claimed_only):
    assert change(sessions, claimed_only["item"], WRITE_OFF.code, 1) == 0
    assert told(sessions) == {}


def test_the_receipt_that_names_the_parties_reaches_them_with_its_own_news(sessions, claimed_only):
    codes = claimed_only["companies"]
    # Customs names the declarant and the consignee (by customs code only), not the agent the declarant claimed.
    customs = (AgencyParty("declarant", codes["declarant"][0]), AgencyParty("consignee", None, "3205260002"))
    with sessions.begin() as session:
        update_company(session, session.get(User, claimed_only["consignee"]).company, customs_code="3205260002")
    assert change(sessions, claimed_only["item"], WRITE_OFF.code, 1, parties=customs) == 2
    assert set(told(sessions)) == {claimed_only["declarant"], claimed_only["consignee"]}


def test_parties_of_a_stale_receipt_change_nothing(sessions, story):
    only_declarant = story["customs_parties"][:1]
    change(sessions, story["item"], WRITE_OFF.code, 2)
    assert change(sessions, story["item"], DETAIL.code, 1, parties=only_declarant) == 0  # older than version 2
    with sessions() as session:
        assert len(session.get(ClearanceItem, story["item"]).parties) == 3


def test_details_are_kept_for_those_who_ask(sessions, story):
    assert change(sessions, story["item"], DETAIL.code, 1) == 0
    with sessions.begin() as session:
        session.add(Subscription(user_id=story["agent"], scope="item", target_id=story["item"],
                                 milestones_only=False, muted=False))
    assert change(sessions, story["item"], DETAIL.code, 2) == 1
    assert list(told(sessions)) == [story["agent"]]


def test_a_muted_item_and_a_kind_filter_narrow_the_default(sessions, story):
    with sessions.begin() as session:
        session.add(Subscription(user_id=story["consignee"], scope="item", target_id=story["item"], muted=True,
                                 milestones_only=True))
        company = session.get(User, story["agent"]).company_id
        session.add(Subscription(user_id=story["agent"], scope="company", target_id=company,
                                 kinds=["customs_declaration"], milestones_only=True, muted=False))
    change(sessions, story["item"], WRITE_OFF.code, 1)
    assert list(told(sessions)) == [story["declarant"]]


def test_quiet_hours_hold_routine_news_and_let_urgent_news_through(sessions, story):
    # 23:30 in Shanghai, quiet 22:00-07:00.
    night = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(NotificationSettings(user_id=story["consignee"], quiet_start="22:00", quiet_end="07:00"))
    routine = [c for c in TRANSIT.codes if c.milestone and not c.terminal and c.stage not in
               ("rejected", "on_hold", "inspection", "action_required")]
    for version, code in enumerate([routine[0].code, routine[1].code, WRITE_OFF.code], start=1):
        change(sessions, story["item"], code, version, now=night)
    consignee = [o for o in outbox(sessions) if o.device_id == _device(sessions, story["consignee"])]
    assert [o.state for o in consignee] == ["held"] * 3
    assert consignee[0].next_attempt_at == datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # 07:00 Shanghai
    with sessions.begin() as session:
        assert release_held(session, now=night + timedelta(hours=1)) == 0
        assert release_held(session, now=datetime(2026, 11, 28, 23, 0, tzinfo=UTC)) == 1
    consignee = [o for o in outbox(sessions) if o.device_id == _device(sessions, story["consignee"])]
    assert [(o.state, o.digest_count) for o in consignee] == [("superseded", None), ("superseded", None),
                                                              ("pending", 3)]
    assert len(told(sessions)[story["consignee"]]) == 3  # the inbox keeps every change
    digest = next(c for c in claim(sessions, "test", now=datetime(2026, 11, 28, 23, 0, 1, tzinfo=UTC))
                  if c.device_id == _device(sessions, story["consignee"]))
    message = digest.message()
    assert message["data"]["digest_count"] == "3"
    assert message["notification"]["body"].startswith("静默时段内有 3 条更新")
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(message)


def test_urgent_news_goes_through_quiet_hours(sessions, story):
    night = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(NotificationSettings(user_id=story["consignee"], quiet_start="22:00", quiet_end="07:00"))
    rejected = next(c for c in TRANSIT.codes if c.stage == "rejected")
    change(sessions, story["item"], rejected.code, 1, now=night)
    assert {o.state for o in outbox(sessions)} == {"pending"}


def test_every_message_built_fits_the_committed_payload_schema(sessions, story):
    change(sessions, story["item"], WRITE_OFF.code, 1)
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for user_notes in told(sessions).values():
        for n in user_notes:
            for urgent in (True, False):
                validator.validate(build_push("tok", n.title, n.body, n.data, urgent=urgent))


def test_a_deactivated_device_gets_no_outbox_row(sessions, story):
    with sessions.begin() as session:
        device = session.get(Device, _device(sessions, story["agent"]))
        device.active = False
    assert change(sessions, story["item"], WRITE_OFF.code, 1) == 2


def _device(sessions, user_id):
    with sessions() as session:
        return session.scalar(select(Device.id).where(Device.user_id == user_id))


@pytest.mark.parametrize(("local_time", "expected_end"), [
    ("2026-11-28T23:30", "2026-11-29T07:00"),
    ("2026-11-29T06:59", "2026-11-29T07:00"),
    ("2026-11-29T07:00", None),
    ("2026-11-29T12:00", None),
    ("2026-11-28T22:00", "2026-11-29T07:00"),
])
def test_quiet_hours_over_midnight_in_the_users_zone(local_time, expected_end):
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    now = datetime.fromisoformat(local_time).replace(tzinfo=zone)
    end = quiet_until("22:00", "07:00", "Asia/Shanghai", now)
    assert (end.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if end else None) == expected_end


def test_quiet_hours_within_a_day_and_disabled():
    now = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)  # 13:00 in Shanghai
    assert quiet_until("12:00", "14:00", "Asia/Shanghai", now) == datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    assert quiet_until(None, None, "Asia/Shanghai", now) is None
    assert quiet_until("12:00", "12:00", "Asia/Shanghai", now) is None
