"""An FCM-compatible endpoint (OAuth token, messages:send, topics) with device inboxes, streams and faults."""

from __future__ import annotations

from mobile_mock.app import create_app
from mobile_mock.service_account import make_service_account
from mobile_mock.state import MockState

__all__ = ["MockState", "create_app", "make_service_account"]
