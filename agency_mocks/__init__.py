"""Simulated agency systems (GACC, MOFCOM, CCPIT, MSA, STA, bank) that the tracker polls over HTTP."""

from __future__ import annotations

from agency_mocks.factory import create_app

__all__ = ["create_app"]
