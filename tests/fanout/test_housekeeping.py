"""Housekeeping: tokens unseen for 270 days are pruned; recent ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.processes.housekeeping import clean_up
from core.accounts import NewUser, create_user
from core.db import utcnow
from notifications.models import Device
from status_tracker.companies import create_company
from tests.conftest import make_uscc


def test_tokens_unseen_for_270_days_are_pruned(sessions):
    now = utcnow()
    with sessions.begin() as session:
        company = create_company(session, name="x", uscc=make_uscc(400))
        user = create_user(session, NewUser(phone="13600000001", name="u", password="long enough",
                                            company_id=company.id))
        session.add_all([
            Device(user_id=user.id, token="old", platform="android", last_seen_at=now - timedelta(days=271)),
            Device(user_id=user.id, token="recent", platform="ios", last_seen_at=now - timedelta(days=269)),
        ])
    with sessions.begin() as session:
        assert clean_up(session, timedelta(days=30))["stale_devices"] == 1
    with sessions() as session:
        assert list(session.scalars(select(Device.token))) == ["recent"]
