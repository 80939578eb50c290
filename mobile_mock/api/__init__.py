"""The mock's HTTP surface, one blueprint per concern, registered from this explicit list."""

from __future__ import annotations

from mobile_mock.api.admin import bp as admin_bp
from mobile_mock.api.devices import bp as devices_bp
from mobile_mock.api.fcm import bp as fcm_bp
from mobile_mock.api.token import bp as token_bp

BLUEPRINTS = (token_bp, fcm_bp, devices_bp, admin_bp)
