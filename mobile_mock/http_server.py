"""A small threaded WSGI server that keeps HTTP/1.1 connections alive (werkzeug's dev server closes each one)."""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
IDLE_TIMEOUT = 75.0  # seconds an idle keep-alive connection may hold its thread
MAX_LINE = 65536


class KeepAliveServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A thread per connection. `close_connections()` hangs up idle kept-alive connections at once and
    lets busy ones finish their response first, so a stopped server really stops answering."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # send_each(500) opens hundreds of connections at once

    def __init__(self, host: str, port: int, app: WSGIApp, quiet: bool = True) -> None:
        self.app = app
        self.quiet = quiet
        self.closing = False
        self._idle: set[socket.socket] = set()  # connections waiting for their next request
        self._lock = threading.Lock()
        super().__init__((host, port), KeepAliveHandler)

    @property
    def server_port(self) -> int:
        return int(self.server_address[1])

    def wait_for_request(self, connection: socket.socket) -> bool:
        """Mark a connection idle; False if the server is closing and it should hang up instead."""
        with self._lock:
            if self.closing:
                return False
            self._idle.add(connection)
            return True

    def request_arrived(self, connection: socket.socket) -> None:
        with self._lock:
            self._idle.discard(connection)

    def close_connections(self) -> None:
        with self._lock:
            self.closing = True
            idle, self._idle = self._idle, set()
        for connection in idle:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server: KeepAliveServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in one write, but SSE sends small frames that must not wait for Nagle.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        if not self.server.wait_for_request(self.connection):
            self.close_connection = True
            return
        try:
            self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        finally:
            self.server.request_arrived(self.connection)
        if len(self.raw_requestline) > MAX_LINE:
            self.send_error(414)
            return
        if not self.raw_requestline or not self.parse_request():
            self.close_connection = True
            return
        try:
            self._run_wsgi()
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def _run_wsgi(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "Chunked request bodies are not supported")  # no SDK call sends one
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = _Response(self)
        result = self.server.app(self._environ(body), response.start)
        try:
            for data in result:
                response.write(data)
            response.finish()
            self.log_request(response.code)
        except OSError:  # the client left (an SSE phone closing its page): nothing more to send
            self.close_connection = True
            raise
        except Exception:
            self.close_connection = True
            if not response.headers_sent:
                self.send_error(500)
            raise
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),  # PEP 3333: bytes as latin-1
            "QUERY_STRING": query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "CONTENT_LENGTH": str(len(body)) if body else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                key = f"HTTP_{key}"
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ


class _Response:
    """Writes one WSGI response: Content-Length as given, else chunked (streams such as SSE)."""

    def __init__(self, handler: KeepAliveHandler) -> None:
        self._handler = handler
        self._status = "500 Internal Server Error"
        self._headers: list[tuple[str, str]] = []
        self._chunked = False
        self._bodyless = False
        self.headers_sent = False

    @property
    def code(self) -> int:
        return int(self._status.split(" ", 1)[0])

    def start(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info and self.headers_sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self._status, self._headers = status, headers
        return self.write

    def write(self, data: bytes) -> None:
        head = b"" if self.headers_sent else self._head()
        if self._bodyless:
            data = b""  # HEAD, 204 and 304 carry no body whatever the app yields
        if self._chunked:
            payload = head + (f"{len(data):x}\r\n".encode() + data + b"\r\n" if data else b"")
        else:
            payload = head + data
        if payload:
            self._handler.wfile.write(payload)

    def finish(self) -> None:
        head = b"" if self.headers_sent else self._head()
        tail = head + (b"0\r\n\r\n" if self._chunked else b"")
        if tail:
            self._handler.wfile.write(tail)

    def _head(self) -> bytes:
        handler = self._handler
        code = self.code
        names = {name.lower() for name, _ in self._headers}
        self._bodyless = handler.command == "HEAD" or code in (204, 304) or 100 <= code < 200
        self._chunked = "content-length" not in names and not self._bodyless
        lines = [f"{handler.protocol_version} {self._status}"]
        lines += [f"{name}: {value}" for name, value in self._headers]
        if self._chunked:
            lines.append("Transfer-Encoding: chunked")
        if handler.close_connection or handler.server.closing:
            handler.close_connection = True
            lines.append("Connection: close")
        self.headers_sent = True
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
