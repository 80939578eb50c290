"""The language of a response: Accept-Language first, then the user's setting, then Chinese."""

from __future__ import annotations

from flask import g, request
from flask_jwt_extended import current_user

from core.languages import DEFAULT_LANGUAGE, LANGUAGES


def response_language() -> str:
    # Asked for every label of an answer: worked out once per request (once it no longer depends on
    # whether the user is known yet).
    known = g.get("swm_language")
    if known is None:
        known, settled = _language()
        if settled:
            g.swm_language = known
    return known


def _language() -> tuple[str, bool]:
    if request.headers.get("Accept-Language"):
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best, True
        # "zh", "zh-TW", "en-GB" …: match on the primary tag.
        for lang, _quality in request.accept_languages:
            primary = lang.split("-")[0].lower()
            for supported in LANGUAGES:
                if supported.split("-")[0].lower() == primary:
                    return supported, True
    try:
        user = current_user
        if user is not None:
            return user.locale, True
    except RuntimeError:
        pass
    return DEFAULT_LANGUAGE, False
