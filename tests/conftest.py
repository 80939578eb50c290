"""Fixtures: a migrated database per backend (SQLite always, PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import argon2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from app.processes import migrate
from app.processes.tables import Base
from app.web.extensions import db, limiter
from core import accounts
from core.accounts import NewUser, create_user
from core.db import make_engine
from core.identifiers import uscc_check_char
from core.models import Company, User
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem, ItemParty
from status_tracker.parties import AgencyParty, record_agency_parties

PASSWORD = "correct horse battery"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])

accounts.use_password_hasher(argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST))


def postgres_url(variable: str = "TEST_DATABASE_URL") -> str:
    url = os.environ[variable]
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def direct_url(database_url: str) -> str:
    """The same database without a pooler in between, for what needs a session of its own (the scheduler's
    leader lock): TEST_DIRECT_DATABASE_URL when TEST_DATABASE_URL goes through pgbouncer, else `database_url`."""
    if os.environ.get("TEST_DIRECT_DATABASE_URL") and os.environ.get("TEST_DATABASE_URL") \
            and database_url == postgres_url():
        return postgres_url("TEST_DIRECT_DATABASE_URL")
    return database_url


def reset_postgres(url: str) -> None:
    """Drop the app's tables, whatever schema version an earlier run left them in (CASCADE: a foreign key that
    today's models no longer declare must not stop the drop)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in [*Base.metadata.tables, "alembic_version"]:
            conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    engine.dispose()


# Whole directories carry a marker; single modules and tests declare theirs where they are.
DIRECTORY_MARKERS = {"browser": pytest.mark.browser, "e2e": pytest.mark.slow}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        parts = item.path.relative_to(tests).parts
        if len(parts) > 1 and parts[0] in DIRECTORY_MARKERS:
            item.add_marker(DIRECTORY_MARKERS[parts[0]])


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        url = postgres_url()
        reset_postgres(url)
    migrate.upgrade(url)
    yield url


@pytest.fixture(scope="session")
def app(database_url: str) -> Flask:
    return create_app({"DATABASE_URL": database_url, "TESTING": True, "STATS_CACHE_SECONDS": 0})


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for domain code that runs outside the web app (poll cycle, dispatcher …)."""
    return sessionmaker(engine, expire_on_commit=False)


def _empty_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touched the database leaves it empty for the next one."""
    yield
    if "database_url" in request.fixturenames:
        _empty_tables(request.getfixturevalue("engine"))
    if "app" in request.fixturenames:
        limiter.reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    # The API answers in Chinese unless asked otherwise; the tests read its English texts.
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


_counter = itertools.count(1)


def make_uscc(n: int) -> str:
    body = f"913100{n:08d}MA1"[:17]
    return body + uscc_check_char(body)


def agency_confirms(session: Session, item_id: int, *parties: tuple[str, Company]) -> None:
    """What a poll records when the item's agency names these (role, company) as its parties."""
    record_agency_parties(session, {item_id: [AgencyParty(role, c.uscc, c.customs_code) for role, c in parties]})


def agency_confirms_claims(session: Session, kind: str | None = None, reference: str | None = None) -> None:
    """The agency names as parties exactly what the traders claimed (here they told the truth): each claimed
    item's claims become its confirmed parties. Limited to one item when kind and reference are given."""
    query = (select(ItemParty.item_id, ItemParty.role, ItemParty.uscc, Company.uscc, Company.customs_code)
             .outerjoin(Company, Company.id == ItemParty.company_id).where(ItemParty.source == "claim"))
    if kind is not None:
        query = query.join(ClearanceItem, ClearanceItem.id == ItemParty.item_id).where(
            ClearanceItem.kind == kind, ClearanceItem.reference == reference)
    parties: dict[int, list[AgencyParty]] = {}
    for item_id, role, claimed_uscc, uscc, customs_code in session.execute(query.order_by(ItemParty.id)):
        parties.setdefault(item_id, []).append(AgencyParty(role, uscc or claimed_uscc, customs_code))
    record_agency_parties(session, parties)


@dataclass
class World:
    """Builds companies and users straight in the database and logs them in through the API."""

    app: Flask
    client: FlaskClient

    def company(self, name: str = "公司") -> Company:
        n = next(_counter)
        with self.app.app_context():
            company = create_company(db.session, name=f"{name}{n}", uscc=make_uscc(n),
                                     customs_code=f"{3100000000 + n}")
            db.session.commit()
            return company

    def user(self, company: Company | None = None, role: str = "trader", locale: str = "zh-CN") -> User:
        n = next(_counter)
        with self.app.app_context():
            user = create_user(db.session, NewUser(
                phone=f"139{n:08d}", name=f"user {n}", password=PASSWORD, role=role,
                company_id=company.id if company else None, locale=locale,
            ))
            db.session.commit()
            return user

    def login(self, user: User) -> dict[str, str]:
        response = self.client.post("/auth/login", json={"phone": user.phone, "password": PASSWORD})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    def trader(self, company: Company | None = None) -> tuple[User, dict[str, str]]:
        user = self.user(company or self.company())
        return user, self.login(user)

    def api_key(self, company: Company, scopes: tuple[str, ...] = ("clearances:read", "tracking:write",
                                                                   "webhooks:manage")) -> dict[str, str]:
        """A key of the company's systems, made by a company admin through the API; its Authorization header."""
        admin = self.login(self.user(company, role="company_admin"))
        made = self.client.post(f"/companies/{company.id}/api-keys", json={"name": "ERP", "scopes": list(scopes)},
                                headers=admin)
        assert made.status_code == 201, made.json
        return {"Authorization": f"Bearer {made.json['key']}"}

    def confirm_claims(self, kind: str | None = None, reference: str | None = None) -> None:
        with self.app.app_context():
            agency_confirms_claims(db.session, kind, reference)
            db.session.commit()

    def track(self, headers: dict[str, str], kind: str = "customs_declaration", reference: str | None = None,
              **extra: object) -> dict:
        """Track an item and have its agency confirm the parties claimed; returns the item as its tracker sees it."""
        body = {"kind": kind, "reference": reference or KINDS[kind].reference_example, **extra}
        claimed = self.client.post("/clearances", json=body, headers=headers)
        assert claimed.status_code == 202, claimed.json
        self.confirm_claims(claimed.json["kind"], claimed.json["reference"])
        item = self.client.post("/clearances", json=body, headers=headers)
        assert item.status_code == 200, item.json
        return item.json


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> World:
    return World(app, client)
