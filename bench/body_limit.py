"""Body limit: the API worker's peak memory while a 100 MB request body arrives, with a Content-Length and
chunked. One gunicorn sync worker (as in production) on a throw-away SQLite database; the figure is the
worker's VmHWM (peak resident set) before and after, and what the client was answered.

    .venv/bin/python -m bench.body_limit [--megabytes 100] [--source DIR]

`--source` runs another checkout of the code (e.g. an older commit from `git archive`) with this virtualenv.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import free_port, print_table

CHUNK = b" " * (1024 * 1024)


def _peak_rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no VmHWM")


def _send(port: int, megabytes: int, chunked: bool) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.putrequest("POST", "/auth/login")
    connection.putheader("Content-Type", "application/json")
    if chunked:
        connection.putheader("Transfer-Encoding", "chunked")
    else:
        connection.putheader("Content-Length", str(megabytes * len(CHUNK)))
    connection.endheaders()
    try:
        for _ in range(megabytes):
            connection.send(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK)
        if chunked:
            connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed before the body was through: read what it said
    try:
        return str(connection.getresponse().status)
    except OSError as exc:
        return type(exc).__name__


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--source", default=str(Path(__file__).resolve().parent.parent))
    args = parser.parse_args(argv)
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        env = {**os.environ, "SWM_DATABASE_URL": url, "PYTHONPATH": args.source, "SWM_LOG_FORMAT": "text"}
        upgrade = "import sys; from app.processes import migrate; migrate.upgrade(sys.argv[1])"
        subprocess.run([sys.executable, "-c", upgrade, url], env=env, cwd=args.source, check=True)
        port = free_port()
        master = subprocess.Popen([str(bindir / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout",
                                   "120", "app:create_app()"], env=env, cwd=args.source,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    probe.request("GET", "/health")
                    probe.getresponse().read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            worker = int(subprocess.check_output(["pgrep", "-P", str(master.pid)]).split()[0])
            rows: list[list[object]] = [["(idle)", "", _peak_rss_mb(worker)]]
            for chunked in (False, True):
                status = _send(port, args.megabytes, chunked)
                rows.append([f"{args.megabytes} MB, {'chunked' if chunked else 'Content-Length'}", status,
                             _peak_rss_mb(worker)])
        finally:
            master.terminate()
            master.wait()
    print_table(f"POST /auth/login with a large body ({args.source})", ["body", "answer", "worker peak RSS MB"],
                rows)


if __name__ == "__main__":
    main()
