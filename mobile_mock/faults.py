"""Run-time fault injection: which sends fail, how, and how slowly, from a seeded RNG."""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mobile_mock.errors import FCM_ERRORS

PASS = "OK"  # a scripted outcome that lets one send through
RATE_CODES = {  # per-request rate field -> the error it injects
    "unavailable_rate": "UNAVAILABLE",
    "internal_rate": "INTERNAL",
    "quota_exceeded_rate": "QUOTA_EXCEEDED",
}
STICKY_CODES = {  # per-token fraction field -> the error a picked token always answers
    "unregistered_rate": "UNREGISTERED",
    "sender_id_mismatch_rate": "SENDER_ID_MISMATCH",
}


@dataclass
class FaultConfig:
    seed: int = 0
    tokens: dict[str, str] = field(default_factory=dict)  # token -> FCM errorCode it answers
    unregistered_rate: float = 0.0
    sender_id_mismatch_rate: float = 0.0
    unavailable_rate: float = 0.0
    internal_rate: float = 0.0
    quota_exceeded_rate: float = 0.0
    retry_after: int = 1  # seconds, sent with every 429
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    next: list[str] = field(default_factory=list)  # outcomes for the next sends, in order
    # The service account's key revoked or disabled: /token refuses every grant, and the access tokens
    # issued so far stop working (revoked when the plan is set), so sends answer 401 until it is lifted.
    refuse_tokens: bool = False

    @classmethod
    def from_json(cls, data: Any, default_seed: int = 0) -> FaultConfig:
        """Build from a POSTed JSON object, raising ValueError on anything unknown or out of range."""
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(unknown)}")
        config = cls(**{"seed": default_seed, **data})
        config._check()
        return config

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def active(self) -> bool:
        rates = (*RATE_CODES, *STICKY_CODES)
        return bool(self.tokens or self.next or self.latency_ms or self.latency_jitter_ms or self.refuse_tokens
                    or any(getattr(self, name) for name in rates))

    def _check(self) -> None:
        if not isinstance(self.seed, int):
            raise ValueError("seed must be an integer")
        for name in (*RATE_CODES, *STICKY_CODES):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a number between 0 and 1")
        for name in ("retry_after", "latency_ms", "latency_jitter_ms"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a non-negative number")
        if not isinstance(self.refuse_tokens, bool):
            raise ValueError("refuse_tokens must be true or false")
        if not isinstance(self.tokens, dict) or not isinstance(self.next, list):
            raise ValueError("tokens must be an object and next a list")
        for code in [*self.tokens.values(), *self.next]:
            if code != PASS and code not in FCM_ERRORS:
                raise ValueError(f"unknown error code {code!r}; use one of {', '.join([PASS, *FCM_ERRORS])}")


class FaultInjector:
    """Decides faults; per-request draws share one seeded RNG, per-token picks hash (seed, token)."""

    def __init__(self, seed: int = 0) -> None:
        self._default_seed = seed
        self._lock = threading.Lock()
        self.configure(FaultConfig(seed=seed))

    @property
    def config(self) -> FaultConfig:
        return self._config

    @property
    def default_seed(self) -> int:
        return self._default_seed

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._next = list(config.next)
            self._rng = random.Random(config.seed)
            self._active = config.active  # read without the lock: the no-fault path stays cheap

    def pending(self) -> list[str]:
        """Scripted outcomes not used yet."""
        with self._lock:
            return list(self._next)

    def clear(self) -> None:
        self.configure(FaultConfig(seed=self._default_seed))

    def delay_seconds(self) -> float:
        config = self._config
        if not self._active or not (config.latency_ms or config.latency_jitter_ms):
            return 0.0
        with self._lock:
            jitter = self._rng.uniform(0, config.latency_jitter_ms)
        return (config.latency_ms + jitter) / 1000.0

    def request_fault(self) -> str | None:
        """The outcome forced on this send whatever its target: scripted first, then the random rates."""
        if not self._active:
            return None
        with self._lock:
            if self._next:
                code = self._next.pop(0)
                return None if code == PASS else code
            for name, code in RATE_CODES.items():
                rate = getattr(self._config, name)
                if rate and self._rng.random() < rate:
                    return code
        return None

    def token_fault(self, token: str) -> str | None:
        """The error a given device token answers: named explicitly, or picked by a sticky fraction."""
        if not self._active:
            return None
        config = self._config
        code = config.tokens.get(token)
        if code is not None:
            return None if code == PASS else code
        for name, sticky in STICKY_CODES.items():
            rate = getattr(config, name)
            if rate and _unit_hash(config.seed, sticky, token) < rate:
                return sticky
        return None


def _unit_hash(seed: int, salt: str, token: str) -> float:
    """A number in [0, 1) fixed by (seed, salt, token): the same tokens fail whatever the thread order."""
    digest = hashlib.blake2b(f"{seed}:{salt}:{token}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
