"""Shared set-up for the benchmarks: fresh databases on both backends, bulk-made items, the agency mocks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine

from app.processes import migrate
from app.processes.tables import Base
from core.db import make_engine, utcnow
from core.identifiers import uscc_check_char
from core.models import Company
from status_tracker.models import ClearanceItem

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "swm_bench"


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("BENCH_SKIP_PG") != "1" else ["sqlite"]


@contextmanager
def fresh_database(backend: str, database: str = PG_BENCH_DB) -> Iterator[str]:
    """An empty, migrated database of the backend; its URL. A benchmark that runs beside others on the same
    server names its own PostgreSQL `database`, so their runs do not drop each other's."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="swm-bench-") as folder:
            url = f"sqlite:///{folder}/bench.sqlite3"
            migrate.upgrade(url)
            yield url
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    migrate.upgrade(url)
    yield url


def engine_for(url: str) -> Engine:
    return make_engine(url)


def company(engine: Engine) -> int:
    body = "91310000MA1BENCH0"
    with engine.begin() as conn:
        return conn.execute(
            insert(Company).values(name="基准测试企业", uscc=body + uscc_check_char(body), created_at=utcnow())
            .returning(Company.id)
        ).scalar_one()


def bulk_items(engine: Engine, company_id: int, kind: str, references: list[str], *, due_fraction: float = 0.0,
               chunk: int = 20_000) -> None:
    """Insert tracked items straight through Core (set-up, not what is measured)."""
    now = utcnow()
    due_every = int(1 / due_fraction) if due_fraction else 0
    for start in range(0, len(references), chunk):
        rows = [
            {
                "kind": kind, "reference": ref, "unknown_code": False, "created_at": now, "updated_at": now,
                "next_poll_at": (now - timedelta(seconds=1)) if due_every and (start + i) % due_every == 0
                else (now + timedelta(hours=1)) if due_fraction else None,
                "poll_interval": 60 if due_fraction else None,
            }
            for i, ref in enumerate(references[start : start + chunk])
        ]
        with engine.begin() as conn:
            conn.execute(insert(ClearanceItem), rows)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def agency_mocks(seed: int = 1) -> Iterator[tuple[str, httpx.Client]]:
    """The agency mocks in their own process (as a real agency is), clock frozen; (base URL, admin client)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "agency_mocks", "--port", str(port), "--seed", str(seed), "--speed", "0",
         "--rate", "1000000", "--burst", "1000000"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    admin = httpx.Client(base_url=base, timeout=120)
    try:
        for _ in range(100):
            try:
                if admin.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, admin
    finally:
        admin.close()
        process.terminate()
        process.wait(timeout=10)


def register(admin: httpx.Client, agency: str, kind: str, references: list[str], chunk: int = 5000,
             parties: list[dict[str, str]] | None = None) -> None:
    """Register items with the agency mocks, each naming `parties` (the agency's answers confirm them)."""
    for start in range(0, len(references), chunk):
        body = {"items": [{"kind": kind, "reference": ref, "parties": parties or []}
                          for ref in references[start : start + chunk]]}
        response = admin.post(f"/{agency}/admin/items", json=body)
        response.raise_for_status()


def entry_ids(count: int, offset: int = 0) -> list[str]:
    """Customs entry ids: 4-digit office, year, import flag, 9-digit serial."""
    return [f"31012024{1_000_000_000 + offset + n:010d}" for n in range(count)]


def licence_numbers(count: int) -> list[str]:
    return [f"LIC2024{n:08d}" for n in range(count)]


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    print("  " + "  ".join(str(h).rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(str(v).rjust(w) for v, w in zip(row, widths, strict=True)))


def drop_everything(url: str) -> None:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()
