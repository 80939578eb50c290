"""Serving the receiver: in a thread (tests, benchmarks) or as the demo's process."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server

from erp_mock.app import Inbox, create_app


class ReceiverThread:
    """The receiver on 127.0.0.1 and a free port, in a background thread; `stop()` ends it."""

    def __init__(self, inbox: Inbox | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.inbox = inbox or Inbox()
        self.server = make_server(host, port, create_app(self.inbox), threaded=True)
        self.url = f"http://{host}:{self.server.server_port}/webhooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="erp-receiver")

    def __enter__(self) -> ReceiverThread:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
