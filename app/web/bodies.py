"""Request bodies and JSON answers, bounded in one place.

* a body larger than MAX_CONTENT_LENGTH (SWM_MAX_BODY_BYTES) is refused with 413 while it is read, also
  when it comes chunked without a Content-Length;
* a JSON body nested beyond MAX_DEPTH is malformed (400), never a RecursionError and a 500;
* every answer can be encoded, whatever string it echoes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

# No request of this API nests deeper than 4 levels; 32 leaves room and stays far from the parser's recursion.
MAX_DEPTH = 32
TOO_DEEP = f"the JSON body is nested more than {MAX_DEPTH} levels deep"

_SURROGATES = re.compile("[\ud800-\udfff]")


class TooDeep(ValueError):
    """Raised as a ValueError, so Flask's and webargs' "malformed JSON" handling applies to it."""

    def __init__(self) -> None:
        super().__init__(TOO_DEEP)


def depth_within(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether the parsed document nests at most `limit` arrays/objects deep (iterative: no recursion)."""
    level = [value]
    for _ in range(limit):
        level = [child for node in level if isinstance(node, (dict, list))
                 for child in (node.values() if isinstance(node, dict) else node)]
        if not level:
            return True
    return not any(isinstance(node, (dict, list)) for node in level)


def loads(data: str | bytes, **kwargs: Any) -> Any:
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise TooDeep() from None
    if not depth_within(value):
        raise TooDeep()
    return value


class JSONProvider(DefaultJSONProvider):
    ensure_ascii = False  # Chinese labels stay readable

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        if not text.isascii() and _SURROGATES.search(text):
            # A lone surrogate cannot be encoded as UTF-8: escape it (\ud800) rather than fail the answer.
            text = super().dumps(obj, **{**kwargs, "ensure_ascii": True})
        return text


class Request(FlaskRequest):
    """Flask's request, but a body without Content-Length that goes on past the limit is a 413, not cut short."""

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False):  # type: ignore[override]
        first_read = getattr(self, "_cached_data", None) is None
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        limit = self.max_content_length
        if first_read and limit is not None and self.content_length is None and len(data) >= limit:
            # Werkzeug stops a stream without Content-Length at the limit and hands over what it read, cut
            # short: one byte more from the server's stream tells a body of exactly the limit from a longer one.
            if self.input_stream.read(1):
                raise RequestEntityTooLarge()
        return data.decode(errors="replace") if as_text else data
