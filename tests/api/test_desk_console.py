"""The desk console's pages through the test client: who gets in, CSRF, bad input as pages, both languages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
from sqlalchemy import func, select

from app.web.auth.models import LoginSession
from app.web.extensions import db
from core.i18n import catalogue
from core.languages import LANGUAGES
from core.models import ROLES
from desk.models import AuditEntry, CaseNote
from notifications.models import OUTBOX_STATES
from notifications.sending import OutcomeKind
from status_tracker.clearance_times import GOALS
from status_tracker.clearances import track_item
from status_tracker.kinds import KINDS
from status_tracker.models import PARTY_ROLES
from tests.conftest import PASSWORD

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "console" / "templates" / "console"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/console/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    match = CSRF.search(page.get_data(as_text=True))
    assert match, "the page has no CSRF token"
    return match.group(1)


def console_login(client, user, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/console/login", data={"phone": user.phone, "password": password,
                                               "csrf_token": csrf_token(client)})


@pytest.fixture
def desk(world, client):  # type: ignore[no-untyped-def]
    user = world.user(role="customer_service")
    assert console_login(client, user).status_code == 302
    return user


@pytest.fixture
def item_id(world, app) -> int:
    owner = world.user(world.company())
    with app.app_context():
        item, _ = track_item(db.session, company_id=owner.company_id, user_id=owner.id, kind="customs_declaration",
                             reference=KINDS["customs_declaration"].reference_example)
        db.session.commit()
        return item.id


def count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_trader_is_refused_and_gets_no_session(world, client, app):
    trader = world.user(world.company())
    response = console_login(client, trader)
    assert response.status_code == 403
    assert "此工作台仅供 95198 客服人员使用" in response.get_data(as_text=True)
    assert count(app, LoginSession, LoginSession.user_id == trader.id) == 0
    assert client.get("/console/").status_code == 302


def test_wrong_password_stays_on_the_login_page(world, client):
    desk = world.user(role="customer_service")
    response = console_login(client, desk, password="not the password")
    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.get_data(as_text=True)


def test_anonymous_pages_redirect_to_login_and_back(world, client):
    response = client.get("/console/stats?kind=transit")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login?next=/console/stats?kind%3Dtransit"
    desk = world.user(role="customer_service")
    token = csrf_token(client)
    back = client.post("/console/login", data={"phone": desk.phone, "password": PASSWORD, "csrf_token": token,
                                               "next": "/console/stats?kind=transit"})
    assert back.headers["Location"] == "/console/stats?kind=transit"


def test_next_never_leaves_the_console(world, client):
    desk = world.user(role="customer_service")
    for target in ("//elsewhere.example/console/", "https://elsewhere.example/console/", "/docs", "/\\evil"):
        token = csrf_token(client)
        response = client.post("/console/login", data={"phone": desk.phone, "password": PASSWORD,
                                                        "csrf_token": token, "next": target})
        assert response.headers["Location"] == "/console/", target
        client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})


def test_the_session_cookie_is_httponly_and_samesite_lax(world, client):
    desk = world.user(role="customer_service")
    response = console_login(client, desk)
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("swm_console="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_posts_without_a_csrf_token_are_refused(desk, client, app, item_id):
    response = client.post(f"/console/cases/{item_id}/notes", data={"body": "called about the release"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert count(app, CaseNote) == 0
    forged = client.post(f"/console/cases/{item_id}/notes", data={"body": "x", "csrf_token": "forged"})
    assert forged.status_code == 400
    with_token = client.post(f"/console/cases/{item_id}/notes",
                             data={"body": "called about the release", "csrf_token": csrf_token(client, "/console/")})
    assert with_token.status_code == 302 and count(app, CaseNote) == 1
    assert client.post("/console/login", data={"phone": desk.phone, "password": PASSWORD}).status_code == 400


def test_the_json_api_needs_no_csrf_token(world, client, item_id):
    headers = world.login(world.user(role="customer_service"))
    response = client.post(f"/desk/cases/{item_id}/notes", json={"body": "by the API"}, headers=headers)
    assert response.status_code == 201


def test_an_unknown_case_is_a_404_page(desk, client):
    for path in ("/console/cases/999999", "/console/cases/abc", "/console/cases/99999999999999999999999",
                 "/console/cases/0", "/console/no-such-page"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html"
        assert "没有这个事项或页面" in response.get_data(as_text=True)


def test_bad_notes_and_queries_are_explained_on_the_page(desk, client, app, item_id):
    token = csrf_token(client, "/console/")
    empty = client.post(f"/console/cases/{item_id}/notes", data={"body": "   ", "csrf_token": token})
    assert empty.status_code == 422 and "备注不能为空" in empty.get_data(as_text=True)
    long = client.post(f"/console/cases/{item_id}/notes", data={"body": "长" * 2001, "csrf_token": token})
    assert long.status_code == 422 and "备注最多 2000 个字符（当前 2001 个）" in long.get_data(as_text=True)
    nul = client.post(f"/console/cases/{item_id}/notes", data={"body": "a\x00b", "csrf_token": token})
    assert nul.status_code == 422
    assert count(app, CaseNote) == 0
    too_long = client.get("/console/", query_string={"q": "1" * 65})
    assert too_long.status_code == 422 and "查询内容最多 64 个字符" in too_long.get_data(as_text=True)
    blank = client.get("/console/", query_string={"q": "  "})
    assert blank.status_code == 422 and "请输入查询内容" in blank.get_data(as_text=True)
    assert count(app, AuditEntry, AuditEntry.action == "search") == 0
    bad_stats = client.get("/console/stats", query_string={"customs_office": "22", "since": "2026-13-01"})
    text = bad_stats.get_data(as_text=True)
    assert bad_stats.status_code == 422 and "关区代码为 4 位数字" in text and "日期格式为 YYYY-MM-DD" in text


def test_resending_to_nobody_is_a_message_not_an_error(desk, client):
    response = client.post("/console/notifications/424242/resend",
                           data={"item_id": "1", "csrf_token": csrf_token(client, "/console/")})
    assert response.status_code == 302
    assert "没有这条推送" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_pages_speak_english_with_lang_en_and_remember_it(desk, client, item_id):
    english = client.get("/console/?lang=en").get_data(as_text=True)
    assert "Find a case" in english and "查询案件" not in english and '<html lang="en">' in english
    case = client.get(f"/console/cases/{item_id}").get_data(as_text=True)
    assert "Timeline" in case and "Delivery log" in case and "Customs declaration" in case
    assert "查询案件" in client.get("/console/?lang=zh-CN").get_data(as_text=True)


def test_a_desk_user_whose_locale_is_english_gets_english(world, client):
    user = world.user(role="customer_service", locale="en")
    console_login(client, user)
    assert "Find a case" in client.get("/console/").get_data(as_text=True)


def test_logout_ends_the_login_session(desk, client, app):
    response = client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})
    assert response.status_code == 302 and response.headers["Location"] == "/console/login"
    with app.app_context():
        login = db.session.scalar(select(LoginSession).where(LoginSession.user_id == desk.id))
        assert login.revoked_at is not None
    assert client.get("/console/").status_code == 302


def test_a_disabled_desk_user_is_signed_out(desk, client, app):
    with app.app_context():
        db.session.get(type(desk), desk.id).active = False
        db.session.commit()
    response = client.get("/console/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/login")


def test_the_console_says_why_a_short_beginning_finds_nothing(desk, client):
    page = client.get("/console/", query_string={"q": "3101"})
    assert page.status_code == 200
    assert "按编号开头查询至少需要 6 个字符，“3101”只有 4 个" in page.get_data(as_text=True)


def test_search_and_case_views_are_audited(desk, client, app, item_id):
    reference = KINDS["customs_declaration"].reference_example
    page = client.get("/console/", query_string={"q": reference, "reason": "ticket 95198-0001"})
    assert page.status_code == 200 and f'data-item-id="{item_id}"' in page.get_data(as_text=True)
    assert client.get(f"/console/cases/{item_id}?reason=ticket+95198-0001").status_code == 200
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor_id, e.reason) for e in entries] == [
            ("search", desk.id, "ticket 95198-0001"), ("view_case", desk.id, "ticket 95198-0001")]
        assert entries[1].target_id == item_id


def test_every_text_in_the_templates_is_in_the_catalogue_in_both_languages():
    def known(key: str) -> bool:
        return all(key in catalogue(lang)._catalog for lang in LANGUAGES)

    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", template.read_text(encoding="utf-8")))
    assert used and all(known(key) for key in used), {key for key in used if not known(key)}
    # Keys the templates compose from stored values ("state_" ~ message.state …): every value has its text.
    composed = [f"party_{r}" for r in PARTY_ROLES] + [f"role_{r}" for r in ROLES]
    composed += [f"state_{s}" for s in OUTBOX_STATES]
    composed += [f"outcome_{o}" for o in get_args(OutcomeKind)] + [f"expect_{g}" for g in GOALS]
    assert all(known(key) for key in composed), {key for key in composed if not known(key)}


def test_guessing_a_password_is_limited_per_phone(world, client):
    desk = world.user(role="customer_service")
    for _ in range(5):
        assert console_login(client, desk, password="guess guess").status_code == 401
    response = console_login(client, desk, password="guess guess")
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert "尝试次数过多" in response.get_data(as_text=True)


def test_pages_may_not_be_framed_or_cached(desk, client):
    response = client.get("/console/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/health").headers.get("Content-Security-Policy") is None  # the API is left as it was


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
])
def test_cross_site_requests_are_refused_and_leave_no_audit_entry(desk, client, app, item_id, headers):
    forged = {"reason": "forged by another site"}
    for path, query in ((f"/console/cases/{item_id}", forged),
                        ("/console/", {"q": KINDS["customs_declaration"].reference_example, **forged}),
                        ("/console/stats", {})):
        response = client.get(path, query_string=query, headers=headers)
        assert response.status_code == 403, (path, response.status_code)
        assert "请直接打开客服工作台" in response.get_data(as_text=True)
    note = client.post(f"/console/cases/{item_id}/notes", headers=headers,
                       data={"body": "x", "csrf_token": csrf_token(client, "/console/")})
    assert note.status_code == 403
    assert count(app, AuditEntry) == 0 and count(app, CaseNote) == 0


@pytest.mark.parametrize("headers", [{}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"},
                                     {"Origin": "http://localhost"}])


def test_same_origin_and_typed_in_requests_get_through(desk, client, app, item_id, headers):
    response = client.get(f"/console/cases/{item_id}", query_string={"reason": "ticket 1"}, headers=headers)
    assert response.status_code == 200
    assert count(app, AuditEntry) == 1


def test_the_login_page_opens_from_a_link_on_another_site(world, client):
    assert client.get("/console/login", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_looking_up_a_case_that_does_not_exist_is_audited(desk, client, app):
    assert client.get("/console/cases/999999", query_string={"reason": "ticket 7"}).status_code == 404
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry)).all()
        assert (entry.action, entry.actor_id, entry.target_type, entry.target_id, entry.reason) == (
            "view_case", desk.id, "item", 999999, "ticket 7")
        assert entry.details == {"found": False}


def test_a_case_page_shows_quarantined_receipts_only_when_there_are_some(desk, client, app, item_id):
    from status_tracker.adapters.bounds import rejected
    from status_tracker.quarantine import quarantine

    assert 'data-testid="rejected-receipts"' not in client.get(f"/console/cases/{item_id}").get_data(as_text=True)
    with app.app_context():
        quarantine(db.session, "gacc", [rejected("VERSION must be positive integers", "<DEC_RESULT> VERSION=0",
                                                 KINDS["customs_declaration"].reference_example)])
        db.session.commit()
    page = client.get(f"/console/cases/{item_id}").get_data(as_text=True)
    assert 'data-testid="rejected-receipts"' in page
    assert "VERSION must be positive integers" in page and "&lt;DEC_RESULT&gt; VERSION=0" in page
