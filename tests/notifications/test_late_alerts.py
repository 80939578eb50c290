"""Late alerts on a known history: one alert per item and stage, when the item has sat past the p90 of its
kind at its office, to its parties' users only, in their language, held through quiet hours, never repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.web.extensions import db
from core.models import Company
from notifications.devices import register_device
from notifications.late_alerts import send_late_alerts
from notifications.models import LateAlert, Notification, NotificationSettings, OutboxMessage, Subscription
from status_tracker import lateness
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.clearances import track_item
from status_tracker.models import ClearanceItem
from status_tracker.parties import AgencyParty
from tests.api.test_desk_console import console_login

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)


def declaration(company_id: int, office: str, serial: int, steps: list[tuple[str, datetime]]) -> int:
    """A customs declaration at `office` with receipts [(code, agency time), …]; `company` its declarant."""
    item, _ = track_item(db.session, company_id=company_id, user_id=None, kind="customs_declaration",
                         reference=f"{office}2026200{serial:07d}"[:18])
    item.created_at = T0 - timedelta(days=1)  # tracked before its history began, as a real item is
    db.session.flush()
    parties = (AgencyParty("declarant", db.session.get(Company, company_id).uscc),)
    apply_updates(db.session, [(item.id, StatusUpdate(f"e{n}", n, code, None, at, parties))
                               for n, (code, at) in enumerate(steps, start=1)], now=steps[-1][1])
    return item.id


def test_an_item_past_the_usual_time_alerts_its_parties_once(app, world):
    declarant, other = world.company(), world.company()
    chinese, english = world.user(declarant), world.user(declarant, locale="en")
    outsider = world.user(other)
    with app.app_context():
        # History at 2233: accepted → released took 1, 2, 3, 4, 5 and 6 hours (p50 3.5 h, p90 5.5 h).
        for n in range(1, 7):
            start = T0 + timedelta(hours=n * 7)
            declaration(other.id, "2233", n, [("L", start), ("P", start + timedelta(hours=n))])
        late = declaration(declarant.id, "2233", 10, [("L", NOW - timedelta(hours=8))])
        on_time = declaration(declarant.id, "2233", 11, [("L", NOW - timedelta(hours=5))])
        unrelated = declaration(other.id, "2233", 12, [("L", NOW - timedelta(hours=7))])
        english_device, _ = register_device(db.session, english.id, token="t" * 40, platform="android")
        db.session.add(NotificationSettings(user_id=english.id, quiet_start="00:00", quiet_end="23:59"))
        db.session.execute(Subscription.__table__.insert(), [{"user_id": outsider.id, "scope": "company",
                                                              "target_id": other.id, "muted": True,
                                                              "milestones_only": True}])
        db.session.commit()
        assert db.session.get(ClearanceItem, late).stage_entered_at == NOW - timedelta(hours=8)

        # Not before the p90: at 5 h the item waits as 9 in 10 comparable ones did.
        assert send_late_alerts(db.session, now=NOW - timedelta(hours=3)) == 0
        assert send_late_alerts(db.session, now=NOW) == 2  # `late`, and `unrelated` (whose only user muted it)
        db.session.commit()

        alerts = {a.item_id: a for a in db.session.scalars(select(LateAlert))}
        assert set(alerts) == {late, unrelated} and on_time not in alerts
        assert alerts[late].stage == "accepted" and alerts[late].next_stage == "released"
        assert alerts[late].samples == 6 and alerts[late].customs_office == "2233"
        assert alerts[late].recipients == 2 and alerts[unrelated].recipients == 0

        told = {n.user_id: n for n in db.session.scalars(select(Notification).where(Notification.reason == "late"))}
        assert set(told) == {chinese.id, english.id}  # the parties' users only; never the outsider
        assert "办理时间长于通常" in told[chinese.id].title and "3.5 小时–5.5 小时" in told[chinese.id].body
        assert "taking longer than usual" in told[english.id].title
        assert "3.5 h–5.5 h" in told[english.id].body and "8.0 h" in told[english.id].body
        assert told[english.id].data["deep_link"] == f"swm://clearances/{late}"
        assert told[english.id].data["reason"] == "late"
        outbox = db.session.scalars(select(OutboxMessage).where(OutboxMessage.device_id == english_device.id)).all()
        assert [o.state for o in outbox] == ["held"]  # routine news: it waits out the quiet hours

        # Never twice for the same stage, however long it still waits; the one on time then is late now.
        assert send_late_alerts(db.session, now=NOW + timedelta(hours=5)) == 1
        assert {a.item_id for a in db.session.scalars(select(LateAlert))} == {late, unrelated, on_time}
        about_late = db.session.scalars(select(Notification).where(Notification.item_id == late,
                                                                   Notification.reason == "late")).all()
        assert len(about_late) == 2


def test_the_desk_case_shows_the_late_alert(app, world, client):
    declarant, other = world.company(), world.company()
    world.user(declarant)
    desk = world.user(role="customer_service")
    with app.app_context():
        for n in range(1, 7):
            start = T0 + timedelta(hours=n * 7)
            declaration(other.id, "2233", 20 + n, [("L", start), ("P", start + timedelta(hours=n))])
        late = declaration(declarant.id, "2233", 30, [("L", NOW - timedelta(hours=8))])
        assert send_late_alerts(db.session, now=NOW) == 1
        db.session.commit()
    case = client.get(f"/desk/cases/{late}", headers=world.login(desk))
    assert case.status_code == 200, case.json
    [alert] = case.json["late_alerts"]
    assert (alert["stage"], alert["next_stage"], alert["recipients"], alert["samples"]) == (
        "accepted", "released", 1, 6)
    assert [n for n in case.json["notifications"] if "taking longer" in n["title"] or "长于通常" in n["title"]]
    # The console's case page says it went out, in the desk's language.
    assert console_login(client, desk).status_code == 302
    page = client.get(f"/console/cases/{late}").get_data(as_text=True)
    assert 'data-testid="late-alert"' in page and "办理时间长于通常" in page


def test_the_scheduler_reads_the_statistics_once_an_hour_not_on_every_run(app, world, monkeypatch):
    """The statistics read every item that moved in the window: a run that recomputed them would cost more with
    every item that is on time. With the scheduler's cache a run reads only the late items' index ranges."""
    company = world.company()
    with app.app_context():
        for n in range(1, 7):
            start = T0 + timedelta(hours=n * 7)
            declaration(company.id, "2233", 40 + n, [("L", start), ("P", start + timedelta(hours=n))])
        db.session.commit()
        computed = []
        real = lateness.clearance_times
        monkeypatch.setattr(lateness, "clearance_times", lambda *a, **k: computed.append(k) or real(*a, **k))
        cache = lateness.StatisticsCache(ttl=timedelta(hours=1))
        send_late_alerts(db.session, now=NOW, cache=cache)
        first = len(computed)
        assert first > 0
        send_late_alerts(db.session, now=NOW + timedelta(minutes=5), cache=cache)
        send_late_alerts(db.session, now=NOW + timedelta(minutes=59), cache=cache)
        assert len(computed) == first  # kept between runs
        send_late_alerts(db.session, now=NOW + timedelta(hours=1), cache=cache)
        assert len(computed) == 2 * first  # an hour on: fresh figures
        send_late_alerts(db.session, now=NOW + timedelta(hours=1, minutes=1))
        assert len(computed) == 3 * first  # without a cache (tests, a one-off call): computed each time
