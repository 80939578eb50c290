"""The receiving end: POST /webhooks verifies and keeps each message; GET / lists them; /admin/* steers it."""

from __future__ import annotations

import html
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Inbox:
    """What the receiver got and how it should answer next (shared by its threads)."""

    secrets: list[str] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    fail_next: int = 0  # answer this many verified messages with fail_status before accepting again
    fail_status: int = 503
    always_status: int | None = None  # answer every message with this (e.g. 410)
    delay_seconds: float = 0.0
    big_answer_bytes: int = 0  # answer with this many bytes (a receiver that talks too much)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, body: bytes, headers: dict[str, str]) -> Any:
        """The parsed body if any of the secrets signed it (a rotation's new or old one), else raises."""
        error: Exception = WebhookVerificationError("no secret configured")
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except WebhookVerificationError as exc:
                error = exc
        raise error

    def ids(self) -> list[str]:
        with self.lock:
            return [m["id"] for m in self.received]


def create_app(inbox: Inbox) -> Flask:
    app = Flask(__name__)

    @app.post("/webhooks")
    def receive():  # type: ignore[no-untyped-def]
        body = request.get_data()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            payload = inbox.verify(body, headers)
        except WebhookVerificationError as exc:
            with inbox.lock:
                inbox.rejected += 1
            return jsonify(error=str(exc)), 401
        if inbox.delay_seconds:
            time.sleep(inbox.delay_seconds)
        with inbox.lock:
            if inbox.always_status is not None:
                return jsonify(error="not taking these"), inbox.always_status
            if inbox.fail_next > 0:
                inbox.fail_next -= 1
                return jsonify(error="ERP busy"), inbox.fail_status
            inbox.received.append({"id": headers["webhook-id"], "timestamp": headers["webhook-timestamp"],
                                   "payload": payload, "received_at": time.time()})
        if inbox.big_answer_bytes:
            return Response(b"x" * inbox.big_answer_bytes, status=200, mimetype="text/plain")
        return "", 204

    @app.get("/received")
    def received():  # type: ignore[no-untyped-def]
        with inbox.lock:
            return jsonify(received=list(inbox.received), rejected=inbox.rejected)

    @app.post("/admin/behaviour")
    def behaviour():  # type: ignore[no-untyped-def]
        changes = request.get_json(force=True)
        with inbox.lock:
            for name in ("fail_next", "fail_status", "always_status", "delay_seconds", "big_answer_bytes"):
                if name in changes:
                    setattr(inbox, name, changes[name])
            if "secrets" in changes:
                inbox.secrets = list(changes["secrets"])
        return jsonify(ok=True)

    @app.get("/")
    def page():  # type: ignore[no-untyped-def]
        with inbox.lock:
            rows = list(reversed(inbox.received[-200:]))
            rejected = inbox.rejected
        lines = "".join(
            f"<tr><td>{html.escape(m['id'])}</td><td>{html.escape(m['payload'].get('type', ''))}</td>"
            f"<td><code>{html.escape(json.dumps(m['payload'].get('data'), ensure_ascii=False))}</code></td></tr>"
            for m in rows)
        return (f"<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=3><title>ERP webhooks</title>"
                f"<h1>ERP: webhooks received ({len(inbox.received)}), signatures refused: {rejected}</h1>"
                f"<table border=1 cellpadding=4><tr><th>webhook-id</th><th>type</th><th>data</th></tr>{lines}</table>")

    return app
