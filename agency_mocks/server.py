"""Serving the mocks over a real socket: in a daemon thread for tests, or in the foreground for demos."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from werkzeug.serving import make_server


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[str, Callable[[], None]]:
    """Start serving `app` (port 0: any free port); returns its base URL and a function that stops it."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="agency-mocks", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{host}:{server.server_port}", stop


def serve_forever(app: Flask, host: str, port: int) -> None:
    server = make_server(host, port, app, threaded=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C is how a demo ends: no traceback
        pass
    finally:
        server.server_close()
