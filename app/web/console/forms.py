"""The console's forms. Each loads the API's own schema, so a rule (lengths, the customs-office pattern, the
kinds, the statistics period, what text a database can store) is said once; the console only words a
refusal in the page's language. Dates are the one thing of its own: its pickers give whole days in Beijing
time, which become the API's period before the schema sees them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, validate

from app.web.api.auth.schemas import LoginSchema
from app.web.api.common import object_id
from app.web.api.desk.schemas import NoteInSchema, ReasonArgs, ReasonBody, SearchArgs
from app.web.api.stats.schemas import MAX_PERIOD_DAYS, ClearanceTimesArgs
from app.web.console import present
from core.bounds import text_problem
from core.db import utcnow

DEFAULT_STATS_KIND = "customs_declaration"
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
STATS_PERIOD_DAYS = 30

# A refusal in the console's words: (message key, its parameters).
Refusal = tuple[str, dict[str, Any]]


def max_length(schema: type[Schema], name: str) -> int:
    """The longest value the schema's field takes (its Length validator)."""
    for validator in schema._declared_fields[name].validators:
        if isinstance(validator, validate.Length) and validator.max is not None:
            return validator.max
    raise LookupError(f"{schema.__name__}.{name} has no maximum length")


def _load(schema: type[Schema], data: dict[str, Any], words: Mapping[str, Callable[[Any], Refusal]],
          ) -> tuple[dict[str, Any], dict[str, Refusal]]:
    """The schema's loaded values, or per refused field the console's words for it (text no database can store
    is worded the same for every field)."""
    try:
        return schema().load({k: v for k, v in data.items() if v is not None}), {}
    except ValidationError as error:
        refused = error.messages if isinstance(error.messages, dict) else {}
        return {}, {name: ("nul_refused", {}) if isinstance(data.get(name), str) and text_problem(data[name])
                    else words[name](data.get(name)) for name in refused if name in words}


def _blank_is_none(raw: str | None) -> str | None:
    value = (raw or "").strip()
    return value or None


_REASON_MAX = max_length(ReasonArgs, "reason")
_REASON = {"reason": lambda _v: ("reason_too_long", {"max": _REASON_MAX})}


@dataclass
class LoginForm:
    MAX_PHONE = max_length(LoginSchema, "phone")

    phone: str
    password: str
    valid: bool

    @classmethod
    def read(cls, form: Mapping[str, str]) -> LoginForm:
        phone, password = form.get("phone", ""), form.get("password", "")
        try:
            LoginSchema().load({"phone": phone, "password": password})
        except ValidationError:
            return cls(phone, password, valid=False)
        return cls(phone, password, valid=True)


def reason(raw: str | None, schema: type[Schema] = ReasonArgs) -> tuple[str | None, Refusal | None]:
    """The reason / ticket number (None when blank), or why it is refused."""
    value = _blank_is_none(raw)
    loaded, refused = _load(schema, {"reason": value}, _REASON)
    return loaded.get("reason"), refused.get("reason")


def search(raw_query: str, raw_reason: str | None) -> tuple[dict[str, Any], Refusal | None]:
    query_max = max_length(SearchArgs, "q")
    words = {"q": lambda v: ("q_too_long", {"max": query_max}) if v else ("q_empty", {}), **_REASON}
    loaded, refused = _load(SearchArgs, {"q": raw_query.strip(), "reason": _blank_is_none(raw_reason)}, words)
    return loaded, refused.get("q") or refused.get("reason")


class ResendForm(ReasonBody):
    item_id = object_id()  # the case page to return to


def resend(form: Mapping[str, str]) -> tuple[str | None, int | None, Refusal | None]:
    """(reason, the case to return to or None, refusal)."""
    item_id = form.get("item_id", "")
    loaded, _ = _load(ResendForm, {"item_id": item_id if item_id.isascii() and item_id.isdigit() else None}, {})
    reason_value, refused = reason(form.get("reason"), ReasonBody)
    return reason_value, loaded.get("item_id"), refused


def note(form: Mapping[str, str]) -> tuple[str, str | None, Refusal | None]:
    """(body as typed, reason, refusal)."""
    body = form.get("body", "")
    reason_value, refused = reason(form.get("reason"), ReasonBody)
    if refused:
        return body, reason_value, refused
    note_max = max_length(NoteInSchema, "body")
    words = {"body": lambda v: ("note_too_long", {"max": note_max, "n": len(v)}) if v else ("note_empty", {})}
    _, refused_body = _load(NoteInSchema, {"body": body.strip()}, words)
    return body, reason_value, refused_body.get("body")


@dataclass
class StatsForm:
    """The statistics page's filters as typed, the API's arguments they make, and the refusals per field."""

    kind: str
    office: str
    since: str
    until: str
    errors: dict[str, str] = field(default_factory=dict)
    args: dict[str, Any] | None = None  # ClearanceTimesArgs, loaded


_STATS_WORDS: dict[str, Callable[[Any], Refusal]] = {
    "kind": lambda _v: ("kind_invalid", {}),
    "customs_office": lambda _v: ("office_invalid", {}),
}


def _day(raw: str) -> date:
    """A date as the console's date inputs write it; years outside 2000-2099 are not dates of this service."""
    if not DATE.fullmatch(raw):
        raise ValueError(raw)
    day = date.fromisoformat(raw)
    if not 2000 <= day.year <= 2099:  # also keeps the period arithmetic clear of date.min/max
        raise ValueError(raw)
    return day


def stats(args: Mapping[str, str], word: Callable[[Refusal], str]) -> StatsForm:
    today = utcnow().astimezone(present.BEIJING).date()
    form = StatsForm(kind=args.get("kind", DEFAULT_STATS_KIND).strip(), office=args.get("customs_office", "").strip(),
                     since=args.get("since", "").strip(), until=args.get("until", "").strip())
    until = since = None
    try:
        until = _day(form.until) if form.until else today
    except ValueError:
        form.errors["until"] = word(("date_invalid", {}))
    try:
        since = _day(form.since) if form.since else (until or today) - timedelta(days=STATS_PERIOD_DAYS - 1)
    except ValueError:
        form.errors["since"] = word(("date_invalid", {}))
    period: dict[str, str | None] = {"since": None, "until": None}
    if since and until:
        form.since, form.until = since.isoformat(), until.isoformat()
        # Whole days in Beijing time; the end date counts in full.
        period = {"since": datetime.combine(since, time(), present.BEIJING).isoformat(),
                  "until": datetime.combine(until + timedelta(days=1), time(), present.BEIJING).isoformat()}
    words = {**_STATS_WORDS, "since": lambda _v: (
        ("period_order", {}) if since and until and since > until else ("period_too_long", {"days": MAX_PERIOD_DAYS}))}
    loaded, refused = _load(ClearanceTimesArgs, {"kind": form.kind or None, "customs_office": form.office or None,
                                                 **period}, words)
    for name, refusal in refused.items():
        form.errors.setdefault(name, word(refusal))
    if not form.errors:
        form.args = loaded
    return form
