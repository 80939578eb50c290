"""Structured logs: one JSON object per line (fields from `extra=` included), or plain text for a console."""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from notifications.delivery_log import mask_token

# FCM registration tokens ("<instance id>:APA91b<payload>"), and any other long opaque run of token characters
# (a token of another shape, a JWT's parts): whoever holds one can push to that phone or act as that user.
# ASCII only, so long Chinese text stays; 100 characters, so digests (64 hex) stay readable.
_SECRETS = re.compile(r"[\w-]+:APA91b[\w-]+|[\w:-]{100,}", re.ASCII)


def mask_secrets(text: str) -> str:
    return _SECRETS.sub(lambda m: mask_token(m.group()), text)


class _Masking(logging.Formatter):
    """Masks secrets in the finished line, so messages, extra fields and tracebacks are all covered."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(self.inner.format(record))


def configure_logging(default_format: str = "json", stream: TextIO | None = None) -> None:
    fmt = os.environ.get("SWM_LOG_FORMAT", default_format)
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter: logging.Formatter
    if fmt == "json":
        formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                  rename_fields={"asctime": "time", "levelname": "level"})
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    handler.setFormatter(_Masking(formatter))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("SWM_LOG_LEVEL", "INFO"))
    # One line per job run and per request is noise at this volume; their warnings still show.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
