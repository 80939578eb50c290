"""The 95198 desk's console: server-rendered pages for customer-service staff, over desk/service.py.

Signed in with a cookie session that holds a server-side login session id (revocable like the API's); its
forms carry CSRF tokens. Only this blueprint is CSRF-protected: the JSON API authenticates with bearer
tokens, which a browser never attaches on its own.
"""

from __future__ import annotations

from app.web.console import session, views  # noqa: F401  (they register themselves on bp)
from app.web.console.blueprint import SHIFT, bp, csrf

__all__ = ["SHIFT", "bp", "csrf"]
