"""The server behind serve_in_thread (cheroot): connections are kept alive, and stopping hangs them up."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest


def exchange(sock: socket.socket, request: bytes) -> bytes:
    """Send one request and read exactly one response (Content-Length or chunked)."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        while not body.endswith(b"0\r\n\r\n"):
            body += sock.recv(65536)
    else:
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += sock.recv(65536)
    return head


@pytest.fixture
def connection(live_mock: Any) -> Iterator[socket.socket]:
    host, port = live_mock.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        yield sock


def test_one_connection_carries_many_requests(connection: socket.socket) -> None:
    get = b"GET /admin/health HTTP/1.1\r\nHost: mock\r\n\r\n"
    delete = b"DELETE /admin/messages HTTP/1.1\r\nHost: mock\r\n\r\n"

    heads = [exchange(connection, request) for request in (get, delete, get)]

    assert [head.split(b"\r\n")[0] for head in heads] == [
        b"HTTP/1.1 200 OK", b"HTTP/1.1 204 NO CONTENT", b"HTTP/1.1 200 OK"]
    assert all(b"connection: close" not in head.lower() for head in heads)


def test_a_client_asking_to_close_is_closed(connection: socket.socket) -> None:
    head = exchange(connection, b"GET /admin/health HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n")

    assert b"connection: close" in head.lower()
    assert connection.recv(1) == b""


def test_stopping_hangs_up_idle_kept_alive_connections(live_mock: Any, connection: socket.socket) -> None:
    exchange(connection, b"GET /admin/health HTTP/1.1\r\nHost: mock\r\n\r\n")

    live_mock.stop()

    assert connection.recv(1) == b""


def test_a_pool_of_connections_stays_alive(live_mock: Any) -> None:
    """More than cheroot's default of 10 idle keep-alive connections: the SDK pools up to 100."""
    host, port = live_mock.base_url.removeprefix("http://").split(":")
    sockets = [socket.create_connection((host, int(port)), timeout=5) for _ in range(30)]
    try:
        heads = [exchange(sock, b"GET /admin/health HTTP/1.1\r\nHost: mock\r\n\r\n") for sock in sockets]
        again = [exchange(sock, b"GET /admin/health HTTP/1.1\r\nHost: mock\r\n\r\n") for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()

    assert all(head.startswith(b"HTTP/1.1 200 OK") for head in heads + again)
    assert all(b"connection: close" not in head.lower() for head in heads + again)
