"""Desk search: p50 / p99 of `GET /desk/search` (the 95198 desk, across all companies) with 1 M tracked items on
PostgreSQL, against 1 k items. Goal: p99 < 100 ms.

The data set is national-scale-ish: items of all 14 kinds with valid references, two or three parties each, a
twentieth as many companies (the first twentieth of them customs brokers, who declare everything), a tenth as
many users, and a shipment (B/L, container) per manifest grouping the manifest, its entry and its inspection.
It is made in SQL (INSERT … SELECT generate_series) and the references are checked against their kinds.

The API runs under gunicorn in its own process, as in production (sync workers: a new connection per
request). One client fires a shuffled mix of query types with random targets; then CLIENTS clients at once, for
throughput. Side by side in the same rounds: the same queries through `search()` on a session (no HTTP, no audit
row), and GET /health on the same server (the floor of a Flask JSON answer).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bench.common import ROOT, backends, engine_for, free_port, fresh_database, print_table
from core.accounts import NewUser, create_user
from core.db import utcnow
from core.identifiers import uscc_check_char, validate_container_no, validate_customs_code, validate_uscc
from desk.search import search
from status_tracker.kinds import KINDS, Kind

DATABASE = "swm_bench_desk"  # its own database: the other benchmarks drop swm_bench when they start
GOAL_P99_MS = 100
ROUND = 100  # queries per round; API and domain alternate who goes first
WORKERS = 2  # gunicorn sync workers: one per core
CLIENTS = 4  # for the throughput figure
CONCURRENT_QUERIES = 600  # of the measured ones, again
DESK_PHONE, DESK_PASSWORD = "19500095198", "bench desk password"  # fill phones start 13-18: never this one
QUERY_TYPES = ("reference", "prefix", "bill_of_lading", "container", "uscc", "customs_code", "name", "phone",
               "miss")

KIND_KEYS = list(KINDS)  # by number; index k of the SQL below
OFFICES = ("0100", "0200", "2200", "2201", "2233", "2248", "2300", "3100", "3101", "4200", "4600", "5100", "5200",
           "5300", "5316", "8000")
CARRIERS = ("COSU", "MSCU", "MAEU", "OOLU", "EGLV", "CMDU")
CONTAINER_OWNERS = ("CSQU", "MSKU", "TGHU", "OOLU", "TCNU", "CBHU", "FCIU", "TRHU")
SHIPMENT_KINDS = ("manifest", "customs_declaration", "inspection_quarantine")  # a sea consignment's items
# 6-digit region (GB/T 2260) and the city written in company names
REGIONS = (("310115", "上海"), ("320594", "苏州"), ("330206", "宁波"), ("440300", "深圳"), ("440101", "广州"),
           ("370200", "青岛"), ("120116", "天津"), ("110105", "北京"), ("350200", "厦门"), ("210200", "大连"),
           ("330100", "杭州"), ("441900", "东莞"))
BRAND = "远航精工通达华信恒泰鑫盛宏利新源海天嘉诚联创金瑞德安永昌丰祥中兴广隆成富康明阳光博雅佳美汇亚欧环球万顺"
INDUSTRIES = ("电子", "机械", "纺织", "化工", "进出口", "食品", "医疗器械", "汽车零部件", "新材料", "科技", "贸易",
              "供应链管理", "服装", "家具", "光电")
BROKER_INDUSTRIES = ("报关", "国际货运代理", "物流", "供应链")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚"


def _sql_array(values) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def _bill_of_lading(n: str) -> str:
    # carrier prefix + 10 digits; the multiplier is prime to 10, so different n never share a number
    return f"({_sql_array(CARRIERS)})[1 + {n} % 6] || lpad((({n} * 982451653 + 1234567) % 10000000000)::text, 10, '0')"


def _iso6346_letter_values() -> dict[str, int]:
    """A = 10, then counting up, skipping multiples of 11."""
    values, v = {}, 10
    for ch in string.ascii_uppercase:
        v += v % 11 == 0
        values[ch] = v
        v += 1
    return values


def _container_no(n: str, serial: str) -> str:
    # ISO 6346: the owner code's share of the weighted sum is worked out here, the serial's in SQL
    letters = _iso6346_letter_values()
    shares = [sum(letters[ch] * 2**i for i, ch in enumerate(owner)) for owner in CONTAINER_OWNERS]
    digits = " + ".join(f"{serial} / {10 ** (5 - j)} % 10 * {2 ** (4 + j)}" for j in range(6))
    count = len(CONTAINER_OWNERS)
    return (f"({_sql_array(CONTAINER_OWNERS)})[1 + {n} % {count}] || lpad({serial}::text, 6, '0') || "
            f"((ARRAY[{', '.join(map(str, shares))}])[1 + {n} % {count}] + {digits}) % 11 % 10")


IMO_CHECK = " + ".join(f"o.vessel / {10 ** (5 - i)} % 10 * {7 - i}" for i in range(6))
# The n-th reference of kind k, for item g (g = 14 n + k): the formats of kinds.py, office codes where
# office_span says, serials wide enough for 14 M items (1 M of each kind).
REFERENCE_ARMS = {
    "customs_declaration": "o.office || '2024' || (x.n % 2)::text || lpad(x.n::text, 9, '0')",
    "manifest": f"{_bill_of_lading('x.n')} || '/' || ((x.n * 37) % 900 + 100)::text || "
                "(ARRAY['E', 'W', 'N', 'S'])[1 + x.n % 4]",
    "transport_vehicle": f"'IMO' || o.vessel::text || (({IMO_CHECK}) % 10)::text || '/' || "
                         "lpad((x.n / 8000)::text, 3, '0') || (ARRAY['E', 'W'])[1 + x.n % 2]",
    "license": "'LIC2024' || lpad(x.n::text, 8, '0')",
    "certificate_of_origin": "'CO2024' || o.office || lpad(x.n::text, 8, '0')",
    "enterprise_qualification": "'BA' || o.office || '2024' || lpad(x.n::text, 8, '0')",
    "export_tax_refund": "'TS2024' || lpad((1 + x.n % 12)::text, 2, '0') || lpad(x.n::text, 8, '0')",
    "tax_payment": "o.office || '20248' || lpad(x.n::text, 9, '0')",
    "processing_trade": "'QD' || o.office || '24' || (ARRAY['I', 'E'])[1 + x.n % 2] || lpad(x.n::text, 9, '0')",
    "goods_clearance": "(ARRAY['SF', 'JD', 'YT', 'ZT'])[1 + x.n % 4] || lpad(x.n::text, 13, '0')",
    "cross_border_ecommerce": "o.office || '2024' || (ARRAY['I', 'E'])[1 + x.n % 2] || lpad(x.n::text, 9, '0')",
    "service_trade": "'FW2024' || lpad(x.n::text, 10, '0')",
    "inspection_quarantine": "o.office || '00224' || lpad(x.n::text, 6, '0')",
    "transit": "o.office || '2024' || lpad(x.n::text, 8, '0')",
}
assert list(REFERENCE_ARMS) == KIND_KEYS, "a reference format for each kind, in kinds.py's order"
MAX_ITEMS = 14_000_000  # the narrowest serial (inspection: 6 digits) holds 1 M of each kind
REFERENCES = f"""
    LATERAL (SELECT g % 14 AS k, g / 14 AS n) AS x,
    LATERAL (SELECT ({_sql_array(OFFICES)})[1 + x.n * 7 % {len(OFFICES)}] AS office,
                    900000 + x.n % 8000 AS vessel) AS o,
    LATERAL (SELECT CASE x.k {" ".join(f"WHEN {k} THEN {REFERENCE_ARMS[key]}" for k, key in enumerate(KIND_KEYS))}
                    END AS reference) AS r"""


def _office_sql() -> str:
    arms = [f"WHEN {k} THEN substr(r.reference, {kind.office_span[0] + 1}, {kind.office_span[1] - kind.office_span[0]})"
            for k, kind in enumerate(KINDS.values()) if kind.office_span]
    return f"CASE x.k {' '.join(arms)} END"


def _initial(kind: Kind) -> tuple[str, str]:
    code = kind.code(kind.initial_code)
    return code.code, code.stage.value


ITEMS_SQL = f"""
INSERT INTO clearance_items (id, kind, reference, shipment_id, customs_office, current_code, stage, unknown_code,
                             created_at, updated_at)
SELECT g + 1, ({_sql_array(KIND_KEYS)})[x.k + 1], r.reference,
       CASE WHEN x.k IN ({", ".join(str(KIND_KEYS.index(k)) for k in SHIPMENT_KINDS)}) AND x.n < :shipments
            THEN x.n + 1 END,
       {_office_sql()},
       ({_sql_array(_initial(k)[0] for k in KINDS.values())})[x.k + 1],
       ({_sql_array(_initial(k)[1] for k in KINDS.values())})[x.k + 1],
       false,
       now() - make_interval(secs => (g * 7919) % 7776000), now() - make_interval(secs => (g * 7919) % 7776000 / 2)
FROM generate_series(0::bigint, :items - 1) AS g, {REFERENCES}
"""
# Shipment n + 1 is manifest n's consignment: its B/L, a container, the manifest's declarant as owner.
SHIPMENTS_SQL = f"""
INSERT INTO shipments (id, owner_company_id, bill_of_lading, container_no, created_at)
SELECT n + 1, (14 * n + 1) % :brokers + 1, {_bill_of_lading("n")}, {_container_no("n", "c.serial")}, now()
FROM generate_series(0::bigint, :shipments - 1) AS n, LATERAL (SELECT (n * 7919 + 100003) % 1000000 AS serial) AS c
"""
USERS_SQL = f"""
INSERT INTO users (id, phone, name, password_hash, role, company_id, locale, time_zone, active, created_at)
SELECT u + 1, '1' || (3 + u % 6)::text || lpad(((u * 7919 + 12345) % 1000000000)::text, 9, '0'),
       substr('{SURNAMES}', (1 + u % {len(SURNAMES)})::int, 1) || substr('{GIVEN}', (1 + u * 7 % {len(GIVEN)})::int, 1),
       '-', 'trader', u % :companies + 1, 'zh-CN', 'Asia/Shanghai', true, now()
FROM generate_series(0::bigint, :users - 1) AS u
"""
# A broker declares; the consignee (import) or consignor (export) is anyone; every tenth item has an agent.
PARTIES_SQL = """
INSERT INTO item_parties (item_id, company_id, role, source, confirmed_at, item_updated_at)
SELECT item_id, company_id, role, 'agency', now(), i.updated_at FROM (
SELECT g + 1 AS item_id, g % :brokers + 1 AS company_id, 'declarant' AS role
FROM generate_series(0::bigint, :items - 1) AS g
UNION ALL
SELECT g + 1, (g * 7919 + 11) % :companies + 1, CASE WHEN g % 2 = 0 THEN 'consignee' ELSE 'consignor' END
FROM generate_series(0::bigint, :items - 1) AS g
UNION ALL
SELECT g + 1, (g / 10 * 31) % :brokers + 1, 'agent' FROM generate_series(0::bigint, :items - 1, 10) AS g
) AS parties JOIN clearance_items AS i ON i.id = parties.item_id
"""


@dataclass
class Scale:
    items: int
    companies: int
    brokers: int
    users: int
    shipments: int
    parties: int = 0
    fill_seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # where the fill time went


def scale_for(items: int) -> Scale:
    companies = max(50, items // 20)
    return Scale(items=items, companies=companies, brokers=max(1, companies // 20), users=max(100, items // 10),
                 shipments=(items + 12) // 14)  # one per manifest


def _base31(n: int, width: int) -> str:
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the credit code's alphabet (GB 32100)
    chars = []
    for _ in range(width):
        n, r = divmod(n, 31)
        chars.append(charset[r])
    return "".join(reversed(chars))


def _companies(scale: Scale) -> list[tuple]:
    rng, now = random.Random(7), utcnow()
    rows = []
    for n in range(scale.companies):
        region, city = REGIONS[n % len(REGIONS)]
        industry = rng.choice(BROKER_INDUSTRIES if n < scale.brokers else INDUSTRIES)
        body = "91" + region + "MA" + _base31(n * 1_000_003 % 31**7, 7)  # 1,000,003 is prime to 31: no repeats
        rows.append((n + 1, f"{city}{rng.choice(BRAND)}{rng.choice(BRAND)}{industry}有限公司",
                     body + uscc_check_char(body), f"{region[:4]}{n:06d}", now))
    return rows


FILLED = ("companies", "users", "shipments", "clearance_items", "item_parties")
# The secondary indexes and unique constraints of the filled tables, as the migrations made them. They are dropped
# for the load and built again after it: sorting 1 M keys once is several times faster than 1 M random inserts.
SECONDARY = """
SELECT 'DROP INDEX ' || quote_ident(indexname), indexdef FROM pg_indexes
WHERE schemaname = 'public' AND tablename = ANY(:tables)
  AND indexname NOT IN (SELECT conname FROM pg_constraint)
UNION ALL
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
FROM pg_constraint WHERE contype = 'u' AND conrelid::regclass::text = ANY(:tables)
ORDER BY 2
"""


def fill(engine: Engine, scale: Scale) -> None:
    """The data set, straight into the migrated tables (set-up, not what is measured), then VACUUM ANALYZE."""
    assert scale.items <= MAX_ITEMS
    started = time.perf_counter()
    params = {"items": scale.items, "companies": scale.companies, "brokers": scale.brokers, "users": scale.users,
              "shipments": scale.shipments}
    with engine.begin() as conn:
        # Every row is consistent by construction: the ~4 M foreign-key checks (a trigger call per row) are skipped.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        secondary = conn.execute(text(SECONDARY), {"tables": list(FILLED)}).all()
        for drop, _ in secondary:
            conn.execute(text(drop))
        mark = time.perf_counter()
        with conn.connection.cursor() as cursor, cursor.copy(
                "COPY companies (id, name, uscc, customs_code, created_at) FROM STDIN") as copy:
            for row in _companies(scale):
                copy.write_row(row)
        conn.execute(text(USERS_SQL), params)
        conn.execute(text(SHIPMENTS_SQL), params)
        conn.execute(text(ITEMS_SQL), params)
        scale.parties = conn.execute(text(PARTIES_SQL), params).rowcount
        scale.phases["rows"], mark = time.perf_counter() - mark, time.perf_counter()
        for _, create in secondary:  # the unique ones also prove the generated codes and references unique
            conn.execute(text(create))
        for table in FILLED[:4]:
            conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        assert conn.execute(text(SECONDARY), {"tables": list(FILLED)}).all() == secondary
    scale.phases["indexes"], mark = time.perf_counter() - mark, time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would soon: statistics, hint bits, visibility map
    scale.phases["vacuum"] = time.perf_counter() - mark
    scale.fill_seconds = time.perf_counter() - started
    _check(engine, scale)


def _check(engine: Engine, scale: Scale) -> None:
    """Every reference of a sample fits its kind, every container its check digit, every company its codes."""
    with engine.connect() as conn:
        sample = conn.execute(text("SELECT kind, reference FROM clearance_items WHERE id % 97 = 0 OR id > :last"),
                              {"last": scale.items - 28}).all()
        for kind, reference in sample:
            assert KINDS[kind].validate_reference(reference) == reference, (kind, reference)
        for (container,) in conn.execute(text("SELECT container_no FROM shipments")):
            validate_container_no(container)
        for uscc, customs_code in conn.execute(text("SELECT uscc, customs_code FROM companies")):
            validate_uscc(uscc)
            validate_customs_code(customs_code)
        assert conn.scalar(text("SELECT count(DISTINCT kind) FROM clearance_items")) == min(14, scale.items)


@dataclass(frozen=True)
class Query:
    type: str
    q: str


def make_queries(engine: Engine, scale: Scale, per_type: int, rng: random.Random) -> list[Query]:
    """`per_type` queries of each type with random targets, shuffled; every target is tracked except the misses."""
    def item_ids() -> list[int]:
        ids = []
        for _ in range(per_type):
            k = rng.randrange(min(14, scale.items))
            ids.append(14 * rng.randrange((scale.items - k + 13) // 14) + k + 1)  # item g = 14 n + k has id g + 1
        return ids

    exact, prefix = item_ids(), item_ids()
    shipments = [rng.randint(1, scale.shipments) for _ in range(2 * per_type)]
    companies = [rng.randint(1, scale.companies) for _ in range(3 * per_type)]
    users = [rng.randint(1, scale.users) for _ in range(per_type)]
    misses = [scale.items + rng.randrange(scale.items) for _ in range(per_type)]  # items beyond the table
    with engine.connect() as conn:
        items = dict(conn.execute(text("SELECT id, reference FROM clearance_items WHERE id = ANY(:ids)"),
                                  {"ids": exact + prefix}).all())
        ships = {r.id: r for r in conn.execute(text("SELECT id, bill_of_lading, container_no FROM shipments "
                                                    "WHERE id = ANY(:ids)"), {"ids": shipments})}
        firms = {r.id: r for r in conn.execute(text("SELECT id, name, uscc, customs_code FROM companies "
                                                    "WHERE id = ANY(:ids)"), {"ids": companies})}
        phones = dict(conn.execute(text("SELECT id, phone FROM users WHERE id = ANY(:ids)"), {"ids": users}).all())
        missed = conn.execute(text(f"SELECT x.k, r.reference FROM unnest(CAST(:gs AS bigint[])) AS g, {REFERENCES}"),
                              {"gs": misses}).all()
        assert not conn.scalar(text("SELECT count(*) FROM clearance_items WHERE reference = ANY(:refs)"),
                               {"refs": [r for _, r in missed]})
    for k, reference in missed:
        KINDS[KIND_KEYS[k]].validate_reference(reference)  # valid-looking: only untracked
    queries = [Query("reference", items[i]) for i in exact] + [Query("prefix", items[i][:10]) for i in prefix]
    queries += [Query("bill_of_lading", ships[i].bill_of_lading) for i in shipments[:per_type]]
    queries += [Query("container", ships[i].container_no) for i in shipments[per_type:]]
    queries += [Query("uscc", firms[i].uscc) for i in companies[:per_type]]
    queries += [Query("customs_code", firms[i].customs_code) for i in companies[per_type : 2 * per_type]]
    queries += [Query("name", _fragment(firms[i].name, rng)) for i in companies[2 * per_type :]]
    queries += [Query("phone", phones[i]) for i in users] + [Query("miss", r) for _, r in missed]
    rng.shuffle(queries)
    return queries


def _fragment(name: str, rng: random.Random) -> str:
    """2-4 consecutive characters of a company's name, as a caller remembers it."""
    length = rng.randint(2, 4)
    start = rng.randrange(len(name) - length + 1)
    return name[start : start + length]


@contextmanager
def api_server(url: str) -> Iterator[str]:
    """The API under gunicorn in its own process, as in production (sync workers, one per core); its base URL."""
    port = free_port()
    env = {**os.environ, "SWM_DATABASE_URL": url, "SWM_RATELIMIT_ENABLED": "0", "SWM_ACCESS_TOKEN_MINUTES": "600"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
             "app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                log.seek(0)
                raise RuntimeError(f"gunicorn did not come up:\n{log.read().decode(errors='replace')}")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def desk_login(engine: Engine, base: str) -> dict[str, str]:
    """A customer-service user, logged in through the API; the Authorization header."""
    with sessionmaker(engine).begin() as session:
        create_user(session, NewUser(phone=DESK_PHONE, name="95198 客服", password=DESK_PASSWORD,
                                     role="customer_service"))
    response = httpx.post(f"{base}/auth/login", json={"phone": DESK_PHONE, "password": DESK_PASSWORD}, timeout=30)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _through_api(client: httpx.Client, q: str) -> tuple[float, bool]:
    started = time.perf_counter()
    response = client.get("/desk/search", params={"q": q})
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text
    body = response.json()
    return seconds, bool(body["items"] or body["companies"] or body["users"])


def _through_search(sessions: sessionmaker, q: str) -> float:
    started = time.perf_counter()
    with sessions() as session:
        search(session, q)
    return time.perf_counter() - started


def _bare(client: httpx.Client) -> float:
    started = time.perf_counter()
    response = client.get("/health")
    seconds = time.perf_counter() - started
    assert response.status_code == 200
    return seconds


@dataclass
class Measured:
    scale: Scale
    api: dict[str, list[float]]
    domain: dict[str, list[float]]
    found: dict[str, int]
    bare: list[float]
    api_seconds: float  # one client, the API searches only
    concurrent_rate: float


def run(items: int, queries: int, warmup: int, seed: int) -> Measured:
    rng = random.Random(seed)
    scale = scale_for(items)
    per_type = -(-queries // len(QUERY_TYPES))
    with fresh_database("postgresql", DATABASE) as url:
        engine = engine_for(url)
        fill(engine, scale)
        measured = make_queries(engine, scale, per_type, rng)
        warm = make_queries(engine, scale, -(-warmup // len(QUERY_TYPES)), rng)
        sessions = sessionmaker(engine, expire_on_commit=False)
        with api_server(url) as base, httpx.Client(base_url=base, headers=desk_login(engine, base),
                                                   timeout=60) as client:
            for query in warm:  # connections open, pages cached, code paths hot: on every side
                _through_api(client, query.q)
                _through_search(sessions, query.q)
                _bare(client)
            api, domain, found, bare = defaultdict(list), defaultdict(list), defaultdict(int), []
            for n, start in enumerate(range(0, len(measured), ROUND)):
                chunk = measured[start : start + ROUND]
                for side in ("api", "domain") if n % 2 == 0 else ("domain", "api"):  # alternate who goes first
                    for query in chunk:
                        if side == "api":
                            seconds, hit = _through_api(client, query.q)
                            api[query.type].append(seconds)
                            found[query.type] += hit
                        else:
                            domain[query.type].append(_through_search(sessions, query.q))
                bare += [_bare(client) for _ in chunk]
            concurrent_rate = _concurrent(base, dict(client.headers), measured[:CONCURRENT_QUERIES])
        engine.dispose()
    return Measured(scale, dict(api), dict(domain), dict(found), bare,
                    sum(sum(v) for v in api.values()), concurrent_rate)


def _concurrent(base: str, headers: dict[str, str], queries: list[Query]) -> float:
    """Searches per second with CLIENTS clients at once, each its own connection (the desk has many agents)."""
    def fire(share: list[Query]) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for query in share:
                _through_api(client, query.q)

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(fire, [queries[i::CLIENTS] for i in range(CLIENTS)]))
    return len(queries) / (time.perf_counter() - started)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(results: list[Measured]) -> None:
    print_table("desk search: the data sets (made in SQL, then VACUUM ANALYZE)",
                ["items", "companies", "users", "shipments", "parties", "fill s", "rows s", "indexes s", "vacuum s"],
                [[f"{m.scale.items:,}", f"{m.scale.companies:,}", f"{m.scale.users:,}", f"{m.scale.shipments:,}",
                  f"{m.scale.parties:,}", f"{m.scale.fill_seconds:.1f}",
                  *(f"{m.scale.phases[p]:.1f}" for p in ("rows", "indexes", "vacuum"))] for m in results])
    for m in results:
        rows = []
        for kind in (*QUERY_TYPES, "all"):
            api = [s for t in QUERY_TYPES for s in m.api[t]] if kind == "all" else m.api[kind]
            domain = [s for t in QUERY_TYPES for s in m.domain[t]] if kind == "all" else m.domain[kind]
            found = sum(m.found.values()) if kind == "all" else m.found.get(kind, 0)
            rows.append([kind, len(api), f"{found / len(api):.0%}", _ms(_pct(api, 0.5)), _ms(_pct(api, 0.99)),
                         _ms(max(api)), _ms(_pct(domain, 0.5)), _ms(_pct(domain, 0.99)), _ms(max(domain))])
        print_table(f"desk search with {m.scale.items:,} items: GET /desk/search (gunicorn, one client) and "
                    "search() on a session, ms",
                    ["query", "n", "found", "API p50", "API p99", "API max", "search() p50", "search() p99",
                     "search() max"], rows)
    rows = []
    smallest = _pct([s for v in results[0].api.values() for s in v], 0.5)
    for m in results:
        api = [s for v in m.api.values() for s in v]
        domain = [s for v in m.domain.values() for s in v]
        p99 = _pct(api, 0.99)
        rows.append([f"{m.scale.items:,}", _ms(_pct(api, 0.5)), _ms(p99), _ms(max(api)),
                     f"{len(api) / m.api_seconds:,.0f}", f"{m.concurrent_rate:,.0f}", _ms(_pct(domain, 0.5)),
                     _ms(_pct(m.bare, 0.5)), f"{_pct(api, 0.5) / _pct(domain, 0.5):.1f}",
                     f"{_pct(api, 0.5) / _pct(m.bare, 0.5):.1f}", f"{_pct(api, 0.5) / smallest:.1f}",
                     "yes" if p99 * 1000 < GOAL_P99_MS else "NO"])
    print_table(f"desk search: all query types (goal: API p99 < {GOAL_P99_MS} ms)",
                ["items", "API p50", "API p99", "API max", "req/s, 1 client", f"req/s, {CLIENTS} clients",
                 "search() p50", "/health p50", "API/search()", "API/health",
                 f"API p50 / {results[0].scale.items:,}", "goal"], rows)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1000, help="the size measured beside it, same query mix")
    parser.add_argument("--queries", type=int, default=2000, help="measured searches per size, all types")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if "postgresql" not in backends():
        print("\ndesk search: PostgreSQL only (BENCH_SKIP_PG=1), skipped")
        return
    load = os.getloadavg()[0]
    # The small size first: the big database stays behind for EXPLAIN (DATABASE, dropped by the next run).
    results = [run(items, args.queries, args.warmup, args.seed) for items in sorted({args.small, args.items})]
    report(results)
    print(f"  machine: {os.cpu_count()} cores, load average {load:.1f} at the start and "
          f"{os.getloadavg()[0]:.1f} at the end; client, gunicorn and PostgreSQL share the cores")


if __name__ == "__main__":
    main()
