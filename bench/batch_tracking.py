"""Bulk tracking: POST /clearances/batch of 1,000 entries against 1,000 single POST /clearances of the same kind
of entries, in the same run, on SQLite and on PostgreSQL.

Both go through the whole Flask application in process (routing, an API key's authentication and rate limit,
marshmallow, the domain, the commit), without a socket: what is compared is the work per item on our side. A
real network adds a round trip per request, which only widens the gap. Each round uses fresh references (new
items, new claims); rounds alternate which side goes first.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

from app import create_app
from app.web.extensions import db
from bench.common import backends, entry_ids, fresh_database, print_table
from core import api_keys
from core.accounts import NewUser, create_user
from core.identifiers import uscc_check_char
from status_tracker.companies import create_company

BATCH = 1000


def _setup(url: str):  # type: ignore[no-untyped-def]
    app = create_app({"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        body = "91310000MA1BATCH0"
        company = create_company(db.session, name="批量", uscc=body + uscc_check_char(body))
        user = create_user(db.session, NewUser(phone="13900000001", name="admin", password="long enough pass",
                                               role="company_admin", company_id=company.id))
        _key, secret = api_keys.create_key(db.session, company_id=company.id, name="bench",
                                           scopes=[api_keys.SCOPE_TRACK], created_by=user.id)
        db.session.commit()
    return app, {"Authorization": f"Bearer {secret}"}


def one_batch(client, headers, references: list[str]) -> float:  # type: ignore[no-untyped-def]
    body = {"entries": [{"kind": "customs_declaration", "reference": ref} for ref in references]}
    started = time.perf_counter()
    answer = client.post("/clearances/batch", json=body, headers=headers)
    seconds = time.perf_counter() - started
    assert answer.status_code == 200 and answer.json["created"] == len(references), answer.json
    return seconds


def singles(client, headers, references: list[str]) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for ref in references:
        answer = client.post("/clearances", json={"kind": "customs_declaration", "reference": ref}, headers=headers)
        assert answer.status_code == 202, answer.json
    return time.perf_counter() - started


def run(backend: str, rounds: int, size: int) -> list[object]:
    batch_times, single_times = [], []
    with fresh_database(backend, "swm_bench_batch") as url:
        app, headers = _setup(url)
        client = app.test_client()
        one_batch(client, headers, entry_ids(50, offset=9_000_000))  # warm
        for n in range(rounds):
            batch_refs = entry_ids(size, offset=n * 2 * size)
            single_refs = entry_ids(size, offset=(n * 2 + 1) * size)
            if n % 2 == 0:
                batch_times.append(one_batch(client, headers, batch_refs))
                single_times.append(singles(client, headers, single_refs))
            else:
                single_times.append(singles(client, headers, single_refs))
                batch_times.append(one_batch(client, headers, batch_refs))
        with app.app_context():
            db.engine.dispose()
    batch, single = statistics.median(batch_times), statistics.median(single_times)
    return [backend, size, rounds, f"{batch:.2f} s", f"{size / batch:,.0f}", f"{single:.2f} s", f"{size / single:,.0f}",
            f"{single / batch:.1f}×"]


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=BATCH)
    args = parser.parse_args(argv)
    rows = [run(backend, args.rounds, args.size) for backend in backends()]
    print_table(
        "bulk tracking: one POST /clearances/batch against as many single POST /clearances (medians of the rounds)",
        ["backend", "entries", "rounds", "batch time", "batch items/s", "singles time", "singles items/s",
         "speed-up"],
        rows,
    )


if __name__ == "__main__":
    main()
