"""Conditional GETs: an ETag computed from what an answer is made of (never from its serialized body), and a
304 Not Modified when the client already holds it, before anything is serialized. See docs/read-path.md."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, request

# Personal data: only the phone may keep it, and it asks again (If-None-Match) every time it shows it.
PRIVATE = "private, no-cache"
# The same for everyone and changed only by a release: any cache may keep it for an hour.
PUBLIC_HOUR = "public, max-age=3600"
# The answer depends on these request headers as well as on the URL.
VARY = "Authorization, Accept-Language"


def etag(*parts: Any) -> str:
    """A strong ETag of the values an answer is made of: the same values give the same tag."""
    return '"' + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest() + '"'


def headers(tag: str, cache_control: str = PRIVATE) -> dict[str, str]:
    # A public answer is everyone's: only the language changes it.
    return {"ETag": tag, "Cache-Control": cache_control,
            "Vary": "Accept-Language" if cache_control.startswith("public") else VARY}


def not_modified(tag: str, cache_control: str = PRIVATE) -> Response | None:
    """A 304 if the request's If-None-Match holds the tag, else None (the caller answers in full)."""
    # Weak comparison, as RFC 9110 asks of If-None-Match; werkzeug keeps the tags without their quotes.
    if request.if_none_match.contains_weak(tag.strip('"')):
        response = Response(status=304)
        response.headers.update(headers(tag, cache_control))
        return response
    return None
