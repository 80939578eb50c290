"""An administrator's import of catalogues, as CSV text or a list of JSON rows: one row per fee item, naming
its port (customs office code) and enterprise (Chinese name; listed at the port if new).

All rows are taken or none: every bad row is refused with its reasons (by row number, counting data rows
from 1) and nothing is written. A row identical to what is already published changes nothing, so importing
the same file twice is harmless.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.bounds import text_problem
from core.errors import Invalid
from core.models import User
from port_charges.models import ENTERPRISE_KINDS, ChargingEnterprise, Port
from port_charges.publishing import FEE_FIELDS, FeeEntry, apply_plan, check_entry, create_enterprise, plan_entries

MAX_ROWS = 20_000
COLUMNS = ("port", "enterprise", "enterprise_en", "enterprise_kind", *FEE_FIELDS)


@dataclass
class ImportResult:
    rows: int = 0
    enterprises_created: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    pushes: int = 0
    enterprise_ids: list[int] = field(default_factory=list)


def read_csv(text: str) -> list[dict[str, str]]:
    """The rows of a CSV with a header line naming the columns (any order; unknown columns refused)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM before UTF-8 CSV
    unknown = [name for name in reader.fieldnames or () if name not in COLUMNS]
    if not reader.fieldnames:
        raise Invalid("csv", f"a header line naming the columns: {', '.join(COLUMNS)}")
    if unknown:
        raise Invalid("csv", f"unknown column {unknown[0]!r}; the columns are {', '.join(COLUMNS)}")
    rows = []
    for row in reader:
        if None in row:
            raise Invalid("csv", f"row {len(rows) + 1} has more values than the header has columns")
        rows.append({k: v for k, v in row.items() if v is not None})
        if len(rows) > MAX_ROWS:
            raise Invalid("csv", f"at most {MAX_ROWS} rows per import")
    return rows


def import_rows(session: Session, actor: User, rows: Sequence[Mapping[str, Any]]) -> ImportResult:
    if not rows:
        raise Invalid("rows", "at least one row")
    if len(rows) > MAX_ROWS:
        raise Invalid("rows", f"at most {MAX_ROWS} rows per import")
    errors: dict[int, dict[str, list[str]]] = {}
    ports = {p.customs_office: p for p in session.scalars(select(Port))}
    groups: dict[tuple[int, str], list[tuple[int, FeeEntry]]] = {}
    names: dict[tuple[int, str], tuple[str | None, str]] = {}
    for number, raw in enumerate(rows, start=1):
        if not isinstance(raw, Mapping):
            errors[number] = {"_row": ["an object with the row's columns"]}
            continue
        problems: dict[str, list[str]] = {}
        unknown = [k for k in raw if k not in COLUMNS]
        if unknown:
            problems[str(unknown[0])] = [f"unknown column; the columns are {', '.join(COLUMNS)}"]
        port = ports.get(_text(raw, "port"))
        if port is None:
            problems["port"] = ["no port with this customs office code"]
        enterprise = _text(raw, "enterprise")
        if not enterprise or len(enterprise) > 200 or text_problem(enterprise):
            problems["enterprise"] = ["the enterprise's Chinese name, 1 to 200 characters"]
        kind = _text(raw, "enterprise_kind") or "terminal"
        if kind not in ENTERPRISE_KINDS:
            problems["enterprise_kind"] = [f"one of {', '.join(ENTERPRISE_KINDS)}"]
        english = _text(raw, "enterprise_en") or None
        if english and (len(english) > 200 or text_problem(english)):
            problems["enterprise_en"] = ["at most 200 characters, no NUL or lone surrogates"]
        entry, entry_problems = check_entry(raw)
        problems.update(entry_problems)
        if problems or entry is None or port is None:
            errors[number] = problems
            continue
        key = (port.id, enterprise)
        groups.setdefault(key, []).append((number, entry))
        names.setdefault(key, (english, kind))

    existing = {(e.port_id, e.name_zh): e for e in session.scalars(
        select(ChargingEnterprise).where(ChargingEnterprise.port_id.in_({port_id for port_id, _ in groups})))}
    plans = []
    for key, numbered in groups.items():
        enterprise = existing.get(key)
        if enterprise is None:
            plans.append((key, None, [(entry, None) for _, entry in numbered]))
            duplicate = _duplicates([entry for _, entry in numbered])
            errors.update({numbered[i][0]: problems for i, problems in duplicate.items()})
            continue
        plan, plan_errors = plan_entries(session, enterprise, [entry for _, entry in numbered])
        errors.update({numbered[i][0]: problems for i, problems in plan_errors.items()})
        plans.append((key, enterprise, plan))
    if errors:
        raise Invalid("rows", f"{len(errors)} of {len(rows)} rows refused; nothing was imported",
                      details={str(n): errors[n] for n in sorted(errors)})

    result = ImportResult(rows=len(rows))
    for (port_id, name_zh), enterprise, plan in plans:
        if enterprise is None:
            english, kind = names[(port_id, name_zh)]
            enterprise = create_enterprise(session, actor, session.get_one(Port, port_id), name_zh=name_zh,
                                           name_en=english, kind=kind)
            result.enterprises_created += 1
        done = apply_plan(session, actor, enterprise, plan, "import")
        result.created += len(done.created)
        result.changed += len(done.changed)
        result.unchanged += done.unchanged
        result.pushes += done.pushes
        result.enterprise_ids.append(enterprise.id)
    return result


def _text(raw: Mapping[str, Any], name: str) -> str:
    """A column's text, stripped; anything but text (a number, a list …) reads as nothing, which is refused."""
    value = raw.get(name)
    return value.strip() if isinstance(value, str) else ""


def _duplicates(entries: list[FeeEntry]) -> dict[int, dict[str, list[str]]]:
    seen: dict[str, int] = {}
    errors = {}
    for index, entry in enumerate(entries):
        if entry.code in seen:
            errors[index] = {"code": ["listed twice for this enterprise"]}
        seen.setdefault(entry.code, index)
    return errors
