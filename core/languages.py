"""The languages the platform speaks: the kinds and stages, the notifications, the API's texts and the console
are written in each, and a user's locale is one of them."""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
