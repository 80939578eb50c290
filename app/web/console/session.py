"""Who is at the desk and in which language: the cookie session over a server-side login session (checked by
the token module, like the API's tokens), the guard every console request passes, signing in and out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.routing import BuildError

from app.web.auth.tokens import active_user, close_session, live_login, start_session
from app.web.console import present
from app.web.console.blueprint import SHIFT, bp, csrf
from app.web.console.forms import LoginForm
from app.web.extensions import db, limiter
from core.accounts import authenticate
from core.i18n import translate
from core.identifiers import stored_phone
from core.languages import DEFAULT_LANGUAGE, LANGUAGES
from core.models import Role, User
from notifications.delivery_log import mask_token

PUBLIC_ENDPOINTS = frozenset({"console.login", "console.static"})
CROSS_SITE_ENDPOINTS = frozenset({"console.static"})  # the stylesheet: no data, no side effect
# POST pages rendered in place (a refused note) switch language on the page that shows the same thing.
GET_TWIN = {"console.add_note": "console.case", "console.login": "console.login"}
# Everything the pages need comes from this origin; nothing may frame them (a resend button is a click away).
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")


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
    login = live_login(session.get("sid"), max_age=SHIFT)
    return active_user(login.user_id) if login is not None else None


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
        "hours": present.hours,
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


def _login_phone_key() -> str:
    # The phone as stored: "+86 139…" or "139-…" must not buy more guesses at the same account.
    return f"console-phone:{stored_phone(request.form.get('phone', '')[:LoginForm.MAX_PHONE]) or '?'}"


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
    form = LoginForm.read(request.form)
    target = _safe_next(request.form.get("next"))
    user = authenticate(db.session, form.phone, form.password) if form.valid else None
    if user is None:
        db.session.rollback()
        return render_template("console/login.html", next=target, phone=form.phone[:LoginForm.MAX_PHONE],
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
