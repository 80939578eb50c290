"""Memory of a real scheduler process while agencies answer far too much: a 50 MB feed page, a batch of 10^6 results.

    .venv/bin/python -m bench.oversize_rss [--seconds 20]

A loopback server plays every agency: GACC's feed page is 50 MB of receipts (or a small page), MOFCOM's batch
answer holds 10^6 results (or one); the other agencies answer 503. A real `swm scheduler` polls it
on a fresh SQLite database; its resident memory is sampled from /proc. Printed per scenario: the peak RSS and its
growth over the process's RSS when the first poll began, in MiB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app.processes import migrate
from bench.common import ROOT, bulk_items, company, engine_for, print_table

FEED_HEAD = (b"<?xml version='1.0' encoding='utf-8'?><RECEIPT_FEED AGENCY=\"GACC\"><HEAD><FEED_ID>bench</FEED_ID>"
             b"<AFTER>0</AFTER><NEXT_SEQ>%d</NEXT_SEQ><LAST_SEQ>%d</LAST_SEQ><HAS_MORE>false</HAS_MORE>"
             b"</HEAD><RECEIPTS>")
RECEIPT = (b"<DEC_RESULT><SEQ_NO>%d</SEQ_NO><RECEIPT_ID>R%016d</RECEIPT_ID><ENTRY_ID>310120241%09d</ENTRY_ID>"
           b"<KIND>customs_declaration</KIND><CHANNEL>L</CHANNEL><NOTICE_DATE>2026-06-03 08:00:00</NOTICE_DATE>"
           b"<VERSION>1</VERSION><NOTE>bench</NOTE></DEC_RESULT>")


def feed_page(size: int) -> bytes:
    count = max(1, size // len(RECEIPT % (1, 1, 1)))
    body = b"".join(RECEIPT % (n, n, n) for n in range(1, count + 1))
    return FEED_HEAD % (count, count) + body + b"</RECEIPTS></RECEIPT_FEED>"


def batch_answer(results: int) -> bytes:
    one = b'{"reference": "LIC%012d", "found": false}'
    return b'{"results": [' + b", ".join(one % n for n in range(results)) + b"]}"


_SMALL_FEED, _BIG_FEED, _SMALL_BATCH, _BIG_BATCH = (feed_page(2_000), feed_page(50 * 2**20), batch_answer(1),
                                                     batch_answer(10**6))
# name -> (feed page, batch answer, whether answers declare their Content-Length)
SCENARIOS = {
    "small answers": (_SMALL_FEED, _SMALL_BATCH, True),
    "50 MB feed page": (_BIG_FEED, _SMALL_BATCH, True),
    "50 MB feed page, no Content-Length": (_BIG_FEED, _SMALL_BATCH, False),
    "batch of 10^6 results": (_SMALL_FEED, _BIG_BATCH, True),
    "batch of 10^6 results, no Content-Length": (_SMALL_FEED, _BIG_BATCH, False),
}


class Agencies(BaseHTTPRequestHandler):
    feed = b""
    batch = b""
    declare_length = True  # else the body ends when the connection closes (HTTP/1.0), so it must be streamed
    first_request: float | None = None

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._answer(self.feed if self.path.startswith("/gacc/receipts") else None)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(self.batch if self.path.startswith("/mofcom/status/query") else None)

    def _answer(self, body: bytes | None) -> None:
        if Agencies.first_request is None:
            Agencies.first_request = time.monotonic()
        if body is None:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if body[:1] == b"{" else "application/xml")
        if self.declare_length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.close_connection = True
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client refused the rest: what we hope for
            pass

    def log_message(self, *args: object) -> None:
        pass


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def measure(feed: bytes, batch: bytes, declare_length: bool, seconds: float) -> tuple[float, float]:
    Agencies.feed, Agencies.batch, Agencies.declare_length, Agencies.first_request = feed, batch, declare_length, None
    server = ThreadingHTTPServer(("127.0.0.1", 0), Agencies)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="swm-rss-") as folder:
        url = f"sqlite:///{folder}/rss.sqlite3"
        migrate.upgrade(url)
        engine = engine_for(url)
        bulk_items(engine, company(engine), "license", ["LIC000000000001"], due_fraction=1.0)
        engine.dispose()
        env = {**os.environ, "SWM_DATABASE_URL": url, "SWM_AGENCY_URL": f"http://127.0.0.1:{server.server_port}",
               "SWM_POLL_SECONDS": "2", "SWM_AGENCY_TIMEOUT": "30", "SWM_LOG_FORMAT": "text"}
        process = subprocess.Popen([sys.executable, "-m", "app.processes.cli", "scheduler"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        baseline, peak = 0, 0
        try:
            deadline = time.monotonic() + 60
            while Agencies.first_request is None and time.monotonic() < deadline:
                baseline = rss_kib(process.pid)
                time.sleep(0.02)
            end = time.monotonic() + seconds
            while time.monotonic() < end and process.poll() is None:
                peak = max(peak, rss_kib(process.pid))
                time.sleep(0.05)
        finally:
            process.terminate()
            process.wait(timeout=30)
            server.shutdown()
    return baseline / 1024, peak / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20, help="how long to watch each scenario")
    args = parser.parse_args(argv)
    rows = []
    for name, (feed, batch, declare_length) in SCENARIOS.items():
        baseline, peak = measure(feed, batch, declare_length, args.seconds)
        rows.append([name, f"{len(feed) / 2**20:.1f}", f"{len(batch) / 2**20:.1f}", f"{baseline:.0f}",
                     f"{peak:.0f}", f"{peak - baseline:+.0f}"])
    print_table("Scheduler RSS (MiB) while agencies answer too much",
                ["scenario", "feed MiB", "batch MiB", "RSS at first poll", "peak RSS", "growth"], rows)


if __name__ == "__main__":
    main()
