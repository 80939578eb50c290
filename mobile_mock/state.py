"""Everything one mock instance holds, built from its config and shared by the blueprints."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from mobile_mock.devices import DeviceRegistry
from mobile_mock.faults import FaultInjector
from mobile_mock.oauth import TokenAuthority
from mobile_mock.service_account import load_service_account
from mobile_mock.stats import SendStats
from mobile_mock.store import MessageStore

EXTENSION = "mobile_mock"


@dataclass
class MockState:
    authority: TokenAuthority
    devices: DeviceRegistry
    store: MessageStore
    stats: SendStats
    faults: FaultInjector
    sse_keepalive: float = 15.0
    shutdown: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MockState:
        state = cls(
            authority=TokenAuthority(lifetime=int(config["TOKEN_LIFETIME"])),
            devices=DeviceRegistry(strict=bool(config["STRICT_TOKENS"])),
            store=MessageStore(max_messages=int(config["MAX_STORED_MESSAGES"])),
            stats=SendStats(),
            faults=FaultInjector(seed=int(config["FAULT_SEED"])),
            sse_keepalive=float(config["SSE_KEEPALIVE_SECONDS"]),
        )
        for info in config["SERVICE_ACCOUNTS"]:
            state.authority.trust(info)
        for path in config["SERVICE_ACCOUNT_FILES"]:
            state.authority.trust(load_service_account(path))
        return state

    def close(self) -> None:
        """Tell open streams to end so their threads exit before the server goes away."""
        self.shutdown.set()
        self.store.close_all_feeds()


def get_state() -> MockState:
    return current_app.extensions[EXTENSION]
