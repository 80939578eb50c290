"""Behind the load balancer: the client's address and scheme from X-Forwarded-*, believed only when the request
comes straight from a trusted proxy (SWM_TRUSTED_PROXIES). Anyone else could write those headers themselves and
pick the address their login attempts are counted under."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxyFix:
    """werkzeug's ProxyFix (one hop: the balancer's own entry) for requests whose peer is a trusted proxy."""

    def __init__(self, wsgi_app: Any, networks: Iterable[Network]) -> None:
        self.direct = wsgi_app
        self.fixed = ProxyFix(wsgi_app, x_for=1, x_proto=1)
        self.networks = list(networks)

    def trusts(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        handler = self.fixed if self.trusts(environ.get("REMOTE_ADDR")) else self.direct
        return handler(environ, start_response)
