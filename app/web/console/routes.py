"""The console's pages. Thin on purpose: every desk step is one call into desk/service.py, which writes the
audit entry in the same transaction, so a lookup here is audited exactly as one through the JSON API."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from app.web.auth.models import LoginSession
from app.web.auth.tokens import close_session, start_session
from app.web.clearance_stats import cached_stats
from app.web.console import present
from app.web.console.blueprint import SHIFT, bp, csrf
from app.web.console.i18n import translate
from app.web.extensions import db, limiter
from app.web.smorest import MAX_ID
from core.accounts import authenticate
from core.db import utcnow
from core.errors import Conflict, Invalid, NotFound
from core.identifiers import is_customs_office, stored_phone
from core.languages import DEFAULT_LANGUAGE, LANGUAGES
from core.models import Role, User
from desk import service
from desk.search import MAX_QUERY
from notifications.delivery_log import mask_token
from status_tracker.clearance_times import clearance_times
from status_tracker.kinds import KINDS
from status_tracker.stages import TERMINAL_STAGES, Stage

log = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = frozenset({"console.login", "console.static"})
CROSS_SITE_ENDPOINTS = frozenset({"console.static"})  # the stylesheet: no data, no side effect
MAX_REASON = 500  # the audit log's column
SEARCH_LIMIT = 20
MAX_PHONE = 20
MAX_PASSWORD = 200
ID = re.compile(r"[0-9]{1,19}")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DEFAULT_STATS_KIND = "customs_declaration"
STATS_PERIOD_DAYS = 30
MAX_STATS_DAYS = 366
# POST pages rendered in place (a refused note) switch language on the page that shows the same thing.
GET_TWIN = {"console.add_note": "console.case", "console.login": "console.login"}


# Language, session and access

def page_language() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    user = g.get("desk_user")
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    return DEFAULT_LANGUAGE


def t(key: str, **params: Any) -> str:
    return translate(key, page_language(), **params)


def _signed_in_user() -> User | None:
    """The user of the cookie's login session, while that session is open, within a shift, and the user active."""
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    login = db.session.get(LoginSession, sid)
    if login is None or login.revoked_at is not None or utcnow() - login.created_at > SHIFT:
        return None
    user = db.session.get(User, login.user_id)
    return user if user is not None and user.active else None


def _restart_session(sid: str | None = None) -> None:
    """A new cookie session (a fresh CSRF secret too), keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang in LANGUAGES:
        session["lang"] = lang
    if sid is not None:
        session["sid"] = sid


def _safe_next(target: str | None) -> str | None:
    """Only a console page of this site: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    root = url_for(".index")
    if parts.scheme or parts.netloc or "\\" in target or not parts.path.startswith(root):
        return None
    return target


def _cross_site() -> bool:
    """Did another site make the browser send this request (a link, a form, an image)? Every desk lookup
    writes an audit entry, so a link elsewhere must not make the agent's browser write one with its reason."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")  # "none": typed in, a bookmark
    origin = request.headers.get("Origin")  # browsers without Fetch metadata still send it on POSTs
    return origin is not None and origin != request.host_url.rstrip("/")


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    # Refused before anything else happens: not even the language choice is stored. The sign-in page may be
    # linked to from anywhere; it shows a form (its POST is checked here like every other).
    if _cross_site() and request.endpoint not in CROSS_SITE_ENDPOINTS and not (
            request.endpoint == "console.login" and request.method == "GET"):
        return render_template("console/error.html", title=t("error_title"), message=t("error_cross_site")), 403
    requested = request.args.get("lang")
    if requested in LANGUAGES:
        session["lang"] = requested
    g.desk_user = None
    if request.endpoint not in PUBLIC_ENDPOINTS:
        user = _signed_in_user()
        if user is None:
            if "sid" in session:
                _restart_session()
                flash(t("session_ended"), "error")
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for(".login", next=target and request.script_root + target))
        g.desk_user = user
        if user.role != Role.CUSTOMER_SERVICE:
            return render_template("console/refused.html"), 403
    if request.method == "POST":
        csrf.protect()
    return None


# Everything the pages need comes from this origin; nothing may frame them (a resend button is a click away).
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"  # case data must not linger in a shared desk PC's cache
    return response


@bp.context_processor
def _helpers() -> dict[str, Any]:
    lang = page_language()
    return {
        "t": lambda key, **params: translate(key, lang, **params),
        "lang": lang,
        "switch_url": _switch_url("en" if lang == "zh-CN" else "zh-CN"),
        "desk_user": g.get("desk_user"),
        "local_time": present.local_time,
        "kind_name": lambda kind: present.kind_name(kind, lang),
        "code_label": lambda kind, code: present.code_label(kind, code, lang),
        "stage_label": lambda stage: present.stage_label(stage, lang),
        "mask_token": mask_token,
    }


def _switch_url(other: str) -> str:
    endpoint = request.endpoint or "console.index"
    if request.method != "GET":
        endpoint = GET_TWIN.get(endpoint, "console.index")
    args = {**(request.view_args or {}), **(request.args.to_dict() if request.method == "GET" else {})}
    args["lang"] = other
    try:
        return url_for(endpoint, **args)
    except BuildError:
        return url_for(".index", lang=other)


# Signing in and out

def _login_phone_key() -> str:
    # The phone as stored: "+86 139…" or "139-…" must not buy more guesses at the same account.
    return f"console-phone:{stored_phone(request.form.get('phone', '')[:MAX_PHONE]) or '?'}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_PHONE"], key_func=_login_phone_key, methods=["POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        user = _signed_in_user()
        target = _safe_next(request.args.get("next"))
        if user is not None and user.role == Role.CUSTOMER_SERVICE:
            return redirect(target or url_for(".index"))
        return render_template("console/login.html", next=target, phone="")
    phone = request.form.get("phone", "")
    password = request.form.get("password", "")
    target = _safe_next(request.form.get("next"))
    user = None
    if len(phone) <= MAX_PHONE and len(password) <= MAX_PASSWORD:
        user = authenticate(db.session, phone, password)
    if user is None:
        db.session.rollback()
        return render_template("console/login.html", next=target, phone=phone[:MAX_PHONE],
                               error=t("login_failed")), 401
    if user.role != Role.CUSTOMER_SERVICE:
        db.session.rollback()
        return render_template("console/refused.html"), 403
    login_session = start_session(user, request.headers.get("User-Agent"))
    db.session.commit()
    _restart_session(login_session.id)
    return redirect(target or url_for(".index"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    close_session(session["sid"])
    db.session.commit()
    _restart_session()
    flash(t("logged_out"), "success")
    return redirect(url_for(".login"))


# Searching

def _reason(raw: str | None) -> tuple[str | None, str | None]:
    """The reason / ticket number as given (None when blank), or the message saying why it is refused."""
    reason = (raw or "").strip()
    if "\x00" in reason:
        return None, t("nul_refused")
    if len(reason) > MAX_REASON:
        return None, t("reason_too_long", max=MAX_REASON)
    return reason or None, None


@bp.get("/")
def index() -> ResponseReturnValue:
    raw_query = request.args.get("q")
    raw_reason = request.args.get("reason", "")
    page = {"q": raw_query or "", "reason": raw_reason, "result": None, "error": None}
    if raw_query is None:
        return render_template("console/search.html", **page)
    query = raw_query.strip()
    reason, error = _reason(raw_reason)
    if not query:
        error = t("q_empty")
    elif "\x00" in query:
        error = t("nul_refused")
    elif len(query) > MAX_QUERY:
        error = t("q_too_long", max=MAX_QUERY)
    if error:
        return render_template("console/search.html", **{**page, "error": error}), 422
    result = service.find(db.session, g.desk_user, query, reason=reason, limit=SEARCH_LIMIT)
    db.session.commit()
    return render_template("console/search.html", **{**page, "result": result, "audited_reason": reason,
                                                      "search_limit": SEARCH_LIMIT})


# The case

def _object_id(raw: str | None) -> int:
    if raw is None or not ID.fullmatch(raw) or not 1 <= int(raw) <= MAX_ID:
        abort(404)
    return int(raw)


def _case_page(item_id: int, reason: str | None, *, note_error: str | None = None, note_body: str = "",
               status: int = 200) -> ResponseReturnValue:
    try:
        case = service.open_case(db.session, g.desk_user, item_id, cached_stats(db.session), reason=reason)
    except NotFound:
        db.session.commit()  # the audit entry of the lookup
        abort(404)
    db.session.commit()
    users = {r.user.id: r.user for r in case.recipients} | {n.user.id: n.user for n in case.notifications}
    companies = {p.company_id: p.company for p in case.item.parties}
    over = case.item.stage is not None and Stage(case.item.stage) in TERMINAL_STAGES
    return render_template("console/case.html", case=case, item=case.item, reason=reason, users=users,
                           companies=companies, over=over, note_error=note_error, note_body=note_body,
                           max_note=service.MAX_NOTE), status


@bp.get("/cases/<item_id>")
def case(item_id: str) -> ResponseReturnValue:
    reason, error = _reason(request.args.get("reason"))
    if error:
        return render_template("console/error.html", title=t("error_title"), message=error), 422
    return _case_page(_object_id(item_id), reason)


@bp.post("/notifications/<notification_id>/resend")
def resend(notification_id: str) -> ResponseReturnValue:
    target_id = _object_id(notification_id)
    item_id = request.form.get("item_id", "")
    reason, error = _reason(request.form.get("reason"))
    if error:
        flash(error, "error")
    else:
        try:
            queued = service.resend_notification(db.session, g.desk_user, target_id, reason=reason)
        except Conflict:
            db.session.rollback()
            flash(t("resend_no_device"), "error")
        except NotFound:
            db.session.rollback()
            flash(t("resend_not_found"), "error")
        else:
            db.session.commit()
            flash(t("resend_queued", n=len(queued)), "success")
    if not ID.fullmatch(item_id):
        return redirect(url_for(".index"))
    return redirect(url_for(".case", item_id=item_id, reason=reason, _anchor=f"notification-{target_id}"))


@bp.post("/cases/<item_id>/notes")
def add_note(item_id: str) -> ResponseReturnValue:
    target_id = _object_id(item_id)
    body = request.form.get("body", "")
    reason, error = _reason(request.form.get("reason"))
    if error is None and "\x00" in body:
        error = t("nul_refused")
    if error is None:
        try:
            service.add_note(db.session, g.desk_user, target_id, body, reason=reason)
        except NotFound:
            db.session.rollback()
            abort(404)
        except Invalid:
            db.session.rollback()
            error = t("note_empty") if not body.strip() else t("note_too_long", max=service.MAX_NOTE,
                                                                n=len(body.strip()))
        else:
            db.session.commit()
            flash(t("note_saved"), "success")
            return redirect(url_for(".case", item_id=target_id, reason=reason, _anchor="notes"))
    return _case_page(target_id, reason, note_error=error, note_body=body, status=422)


# Clearance-time statistics

@dataclass
class StatsForm:
    kind: str
    office: str
    since: str
    until: str
    errors: dict[str, str] = field(default_factory=dict)
    period: tuple[datetime, datetime] | None = None


def _day(raw: str | None) -> date | None:
    if not raw or not DATE.fullmatch(raw):
        raise ValueError(raw)
    day = date.fromisoformat(raw)
    if not 2000 <= day.year <= 2099:  # also keeps the period arithmetic clear of date.min/max
        raise ValueError(raw)
    return day


def _stats_form(args: Any) -> StatsForm:
    today = utcnow().astimezone(present.BEIJING).date()
    form = StatsForm(kind=args.get("kind", DEFAULT_STATS_KIND).strip(), office=args.get("customs_office", "").strip(),
                     since=args.get("since", "").strip(), until=args.get("until", "").strip())
    if form.kind and form.kind not in KINDS:
        form.errors["kind"] = t("kind_invalid")
    if form.office and not is_customs_office(form.office):
        form.errors["customs_office"] = t("office_invalid")
    until = since = None
    try:
        until = _day(form.until) if form.until else today
    except ValueError:
        form.errors["until"] = t("date_invalid")
    try:
        since = _day(form.since) if form.since else (until or today) - timedelta(days=STATS_PERIOD_DAYS - 1)
    except ValueError:
        form.errors["since"] = t("date_invalid")
    if since and until:
        form.since, form.until = since.isoformat(), until.isoformat()
        if since > until:
            form.errors["since"] = t("period_order")
        elif (until - since).days + 1 > MAX_STATS_DAYS:
            form.errors["since"] = t("period_too_long", days=MAX_STATS_DAYS)
        else:
            # Whole days in Beijing time; the end date counts in full.
            form.period = (datetime.combine(since, time(), present.BEIJING),
                           datetime.combine(until + timedelta(days=1), time(), present.BEIJING))
    return form


@bp.get("/stats")
def stats() -> ResponseReturnValue:
    form = _stats_form(request.args)
    if form.errors or form.period is None:
        return render_template("console/stats.html", form=form, kinds=list(KINDS.values()), chart=None,
                               transitions=[]), 422
    since, until = form.period
    transitions = clearance_times(db.session, since=since, until=until, kind=form.kind or None,
                                  customs_office=form.office or None)
    chart = present.bar_chart(transitions, page_language(), by_kind=not form.kind)
    return render_template("console/stats.html", form=form, kinds=list(KINDS.values()), chart=chart,
                           transitions=transitions, hours=present.hours)


# Errors: a page in the console's language, never a stack trace

@bp.route("/<path:_unknown>", methods=["GET", "POST"])
def unknown(_unknown: str) -> ResponseReturnValue:
    abort(404)


@bp.errorhandler(CSRFError)
def _csrf_error(_error: CSRFError) -> ResponseReturnValue:
    return render_template("console/error.html", title=t("error_title"), message=t("error_csrf")), 400


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if code == 404:
        title, message = t("not_found_title"), t("not_found")
    elif code == 429:
        title, message = t("error_title"), t("error_429")
    else:
        title, message = t("error_title"), t("error_generic", code=code)
    response = make_response(render_template("console/error.html", title=title, message=message), code)
    for name, value in error.get_headers():  # Retry-After on 429, Allow on 405 …
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


@bp.errorhandler(Exception)
def _unexpected(_error: Exception) -> ResponseReturnValue:
    db.session.rollback()
    log.exception("unhandled error in the desk console")
    return render_template("console/error.html", title=t("error_title"), message=t("error_500")), 500
