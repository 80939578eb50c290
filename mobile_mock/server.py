"""Serving the mock with cheroot (CherryPy's HTTP/1.1 WSGI server): in a test's background thread or in the foreground.

cheroot keeps HTTP/1.1 connections alive, so firebase-admin's requests pool reuses them (werkzeug 3.1's dev
server sends `Connection: close` on every response), and it writes each chunk of a streamed response as the
app yields it, which Server-Sent Events need.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import wsgi
from flask import Flask

from mobile_mock.state import EXTENSION, MockState

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Worker threads, a fixed pool. cheroot parks idle keep-alive connections in a selector, so a worker is busy
# only while it answers a request. The exception is an SSE stream, which holds its worker until the phone
# leaves or the server stops. 128 workers cover the SDK's 100-connection pool sending at once, plus a
# couple of dozen open streams and admin calls. With a `latency_ms` fault each send sleeps in its worker,
# so fewer workers would make the mock answer one after another what FCM answers in parallel. Requests
# beyond 128 wait in cheroot's queue; they are not refused. Idle workers cost no CPU.
WORKER_THREADS = 128
# How long an idle kept-alive connection stays open. This is also the socket timeout for reads and writes.
IDLE_TIMEOUT = 75
# Idle connections that may be kept alive. cheroot's default of 10 would answer `Connection: close` to most
# of the SDK's 100 pooled connections.
KEEP_ALIVE_LIMIT = 1024
ACCEPT_BACKLOG = 1024  # send_each(500) opens hundreds of connections at once
# How often cheroot's selector thread wakes to expire idle connections. stop() waits for that thread to
# notice, so cheroot's default of 0.5 s would add up to half a second to every stop (to each test's teardown).
POLL_INTERVAL = 0.05


def build_server(app: Flask, host: str, port: int, *, access_log: bool = False) -> wsgi.Server:
    server = wsgi.Server((host, port), _with_access_log(app) if access_log else app,
                         numthreads=WORKER_THREADS, max=WORKER_THREADS,
                         request_queue_size=ACCEPT_BACKLOG, timeout=IDLE_TIMEOUT)
    server.keep_alive_conn_limit = KEEP_ALIVE_LIMIT
    server.expiration_interval = POLL_INTERVAL
    return server


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[str, Callable[[], None]]:
    """Start serving in a daemon thread; return the base URL (with the bound port) and an idempotent `stop()`."""
    server = build_server(app, host, port)
    bound = threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        # cheroot's threads inherit the daemon flag of the thread that starts them. prepare() runs here, in
        # a daemon thread, so a test that never calls stop() cannot keep the interpreter alive.
        try:
            server.prepare()  # binds the socket and starts the workers
        except BaseException as error:
            failed.append(error)
            return
        finally:
            bound.set()
        server.serve()

    thread = threading.Thread(target=run, name=f"mobile_mock {host}:{port}", daemon=True)
    thread.start()
    bound.wait()
    if failed:
        raise failed[0]
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        _close(app)
        server.stop()  # hangs up idle kept-alive connections too
        thread.join(timeout=5)

    return f"http://{host}:{_bound_port(server)}", stop


def serve_forever(app: Flask, host: str, port: int, *, access_log: bool = False,
                  announce: Callable[[str], None] = print) -> None:
    """Serve until Ctrl-C or SIGTERM, then end open streams and connections."""
    server = build_server(app, host, port, access_log=access_log)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM -> KeyboardInterrupt -> clean exit
    try:
        server.prepare()
        announce(f"mobile_mock listening on http://{host}:{_bound_port(server)}")
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        _close(app)
        server.stop()


def _bound_port(server: wsgi.Server) -> int:
    return int(server.bind_addr[1])  # prepare() replaces port 0 with the port it bound


def _close(app: Flask) -> None:
    state = app.extensions.get(EXTENSION)
    if isinstance(state, MockState):
        state.close()  # streams end first, so cheroot's stop() finds their workers free


def _with_access_log(app: WSGIApp) -> WSGIApp:
    """One line per request on stderr: cheroot keeps no access log of its own."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            query = environ.get("QUERY_STRING")
            target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
            when = time.strftime("%d/%b/%Y %H:%M:%S")
            print(f'{environ.get("REMOTE_ADDR", "-")} - - [{when}] "{environ["REQUEST_METHOD"]} {target} '
                  f'{environ["SERVER_PROTOCOL"]}" {status.split(" ", 1)[0]}', file=sys.stderr, flush=True)
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return logged
