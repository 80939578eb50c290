"""The console's pages. Thin on purpose: every desk step is one call into desk/service.py, which writes the
audit entry in the same transaction, so a lookup here is audited exactly as one through the JSON API."""

from __future__ import annotations

import logging
import re

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import ValidationError

from app.web.clearance_stats import cached_stats
from app.web.console import forms, present
from app.web.console.blueprint import bp
from app.web.console.session import page_language, t
from app.web.extensions import db
from core.errors import Conflict, Invalid, NotFound
from core.i18n import localize
from desk import service
from status_tracker.clearance_times import clearance_times
from status_tracker.kinds import KINDS
from status_tracker.stages import TERMINAL_STAGES, Stage

log = logging.getLogger(__name__)

SEARCH_LIMIT = 20


def _object_id(raw: str) -> int:
    """A path's id as the API's id converter reads it (its pattern and range), else the 404 page: a routing
    miss would never reach the console's own error pages."""
    converter = current_app.url_map.converters["id"](current_app.url_map)
    if not re.fullmatch(converter.regex, raw):
        abort(404)
    try:
        return converter.to_python(raw)
    except ValidationError:
        abort(404)


def _words(refusal: forms.Refusal) -> str:
    key, params = refusal
    return t(key, **params)


# Searching

@bp.get("/")
def index() -> ResponseReturnValue:
    raw_query = request.args.get("q")
    raw_reason = request.args.get("reason", "")
    page = {"q": raw_query or "", "reason": raw_reason, "result": None, "error": None}
    if raw_query is None:
        return render_template("console/search.html", **page)
    loaded, refused = forms.search(raw_query, raw_reason)
    if refused:
        return render_template("console/search.html", **{**page, "error": _words(refused)}), 422
    reason = loaded.get("reason")
    result = service.find(db.session, g.desk_user, loaded["q"], reason=reason, limit=SEARCH_LIMIT)
    db.session.commit()
    hints = [localize(hint, page_language()) for hint in result.hints]
    return render_template("console/search.html", **{**page, "result": result, "hints": hints,
                                                      "audited_reason": reason,
                                                      "search_limit": SEARCH_LIMIT})


# The case

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
    target_id = _object_id(item_id)
    reason, refused = forms.reason(request.args.get("reason"))
    if refused:
        return render_template("console/error.html", title=t("error_title"), message=_words(refused)), 422
    return _case_page(target_id, reason)


@bp.post("/notifications/<notification_id>/resend")
def resend(notification_id: str) -> ResponseReturnValue:
    target_id = _object_id(notification_id)
    reason, item_id, refused = forms.resend(request.form)
    if refused:
        flash(_words(refused), "error")
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
    if item_id is None:
        return redirect(url_for(".index"))
    return redirect(url_for(".case", item_id=item_id, reason=reason, _anchor=f"notification-{target_id}"))


@bp.post("/cases/<item_id>/notes")
def add_note(item_id: str) -> ResponseReturnValue:
    target_id = _object_id(item_id)
    body, reason, refused = forms.note(request.form)
    if refused is None:
        try:
            service.add_note(db.session, g.desk_user, target_id, body, reason=reason)
        except NotFound:
            db.session.rollback()
            abort(404)
        except Invalid:  # the service's own check, should the schema's ever differ
            db.session.rollback()
            refused = ("note_empty", {})
        else:
            db.session.commit()
            flash(t("note_saved"), "success")
            return redirect(url_for(".case", item_id=target_id, reason=reason, _anchor="notes"))
    return _case_page(target_id, reason, note_error=_words(refused), note_body=body, status=422)


# Clearance-time statistics

@bp.get("/stats")
def stats() -> ResponseReturnValue:
    form = forms.stats(request.args, _words)
    if form.errors or form.args is None:
        return render_template("console/stats.html", form=form, kinds=list(KINDS.values()), chart=None,
                               transitions=[]), 422
    args = form.args
    transitions = clearance_times(db.session, since=args["since"], until=args["until"], kind=args.get("kind"),
                                  customs_office=args.get("customs_office"))
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
