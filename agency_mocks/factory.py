"""create_app: builds the one Flask app that serves every simulated agency, from a small config dict."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from agency_mocks.blueprints import RATE_LIMITED_AGENCIES, register_blueprints
from agency_mocks.blueprints.common import error_response, http_error_as_json
from agency_mocks.clock import BEIJING, SimClock
from agency_mocks.faults import Faults
from agency_mocks.lifecycles import AGENCIES
from agency_mocks.ratelimit import TokenBucket
from agency_mocks.simulation import Conflict, InvalidRequest, Simulation
from agency_mocks.state import EXTENSION_KEY, MockState

DEFAULTS: dict[str, Any] = {
    "seed": 42,
    "speed": 60.0,  # simulated seconds per real second
    "compress": 1.0,  # lifecycles this many times shorter (with speed 1: quick stories, no time after the real now)
    "start": None,  # datetime or ISO-8601 string; None: now, in Beijing time, whole seconds
    "clock": None,  # a ready SimClock (tests inject one with a fake real-time source); overrides speed/start
    "rate_limits": {agency: {"per_second": 10.0, "burst": 10} for agency in RATE_LIMITED_AGENCIES},
    "monotonic": time.monotonic,  # real time for the rate limits
    "sleep": time.sleep,  # how latency and timeouts wait
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    settings = {**DEFAULTS, **(config or {})}
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown agency_mocks settings: {sorted(unknown)}")
    seed = int(settings["seed"])
    clock = settings["clock"] or SimClock(_start(settings["start"]), float(settings["speed"]))
    limits = {**DEFAULTS["rate_limits"], **settings["rate_limits"]}

    app = Flask(__name__, static_folder=None)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # notes are Chinese; keep them readable
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = MockState(
        seed=seed,
        clock=clock,
        simulation=Simulation(clock, seed, float(settings["compress"])),
        faults={agency: Faults(agency, seed) for agency in AGENCIES},
        limits={agency: TokenBucket(limits[agency]["per_second"], int(limits[agency].get("burst", 1)),
                                    settings["monotonic"]) for agency in RATE_LIMITED_AGENCIES},
        feed_id=uuid.uuid4().hex[:12],
        sleep=settings["sleep"],
    )
    register_blueprints(app)
    app.register_error_handler(HTTPException, http_error_as_json)
    app.register_error_handler(Conflict, lambda error: _as_error(409, error))
    app.register_error_handler(InvalidRequest, lambda error: _as_error(400, error))
    return app


def _as_error(status: int, error: Exception) -> Response:
    return error_response(status, str(error))


def _start(value: datetime | str | None) -> datetime:
    if value is None:
        return datetime.now(BEIJING).replace(microsecond=0)
    start = datetime.fromisoformat(value) if isinstance(value, str) else value
    return start if start.tzinfo else start.replace(tzinfo=BEIJING)  # naive means Beijing time
