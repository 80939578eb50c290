"""SWM_AGENCY_TIMEOUT and SWM_AGENCY_MAX_BYTES reach every agency client the scheduler builds."""

from __future__ import annotations

import pytest

from app.config import from_environment
from app.processes.scheduler import build_poller
from status_tracker.adapters import DEFAULT_MAX_BYTES
from status_tracker.agencies import AGENCIES


def test_the_scheduler_s_clients_use_the_configured_deadline_and_byte_cap(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SWM_DATABASE_URL", f"sqlite:///{tmp_path / 'swm.sqlite3'}")
    monkeypatch.setenv("SWM_AGENCY_TIMEOUT", "3.5")
    monkeypatch.setenv("SWM_AGENCY_MAX_BYTES", "123456")
    poller, http = build_poller(from_environment(), on_change=None)
    try:
        assert set(poller.clients) == set(AGENCIES)
        assert {(c.timeout, c.max_bytes) for c in poller.clients.values()} == {(3.5, 123456)}
    finally:
        http.close()


@pytest.mark.parametrize(("value", "expected"), [(None, 8 * 2**20), ("1048576", 2**20)])
def test_the_byte_cap_defaults_to_8_mib(monkeypatch, value, expected) -> None:
    if value is None:
        monkeypatch.delenv("SWM_AGENCY_MAX_BYTES", raising=False)
    else:
        monkeypatch.setenv("SWM_AGENCY_MAX_BYTES", value)
    assert from_environment()["AGENCY_MAX_BYTES"] == expected
    assert DEFAULT_MAX_BYTES == 8 * 2**20  # what a client built without the setting reads
