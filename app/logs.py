"""Structured logs: one JSON object per line (fields from `extra=` included), or plain text for a console."""

from __future__ import annotations

import logging
import os
import sys

from pythonjsonlogger.json import JsonFormatter


def configure_logging(default_format: str = "json") -> None:
    fmt = os.environ.get("SWM_LOG_FORMAT", default_format)
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           rename_fields={"asctime": "time", "levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("SWM_LOG_LEVEL", "INFO"))
    # One line per job run and per request is noise at this volume; their warnings still show.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
