"""Command line: `python -m mobile_mock make-service-account ...` and `python -m mobile_mock serve ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mobile_mock.app import create_app
from mobile_mock.server import serve_forever
from mobile_mock.service_account import make_service_account, write_service_account


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return int(args.run(args) or 0)


def _make_service_account(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"{out} exists; pass --force to replace it", file=sys.stderr)
        return 1
    info = make_service_account(args.project_id, args.token_uri)
    write_service_account(info, out)
    print(f"wrote {out} ({info['client_email']}, token_uri {info['token_uri']})")
    return 0


def _serve(args: argparse.Namespace) -> int:
    app = create_app({
        "SERVICE_ACCOUNT_FILES": args.service_account,
        "STRICT_TOKENS": args.strict,
        "FAULT_SEED": args.seed,
        "TOKEN_LIFETIME": args.token_lifetime,
        "MAX_STORED_MESSAGES": args.max_messages,
        "SSE_KEEPALIVE_SECONDS": args.sse_keepalive,
        "API_URL": args.api_url,
    })

    def announce(line: str) -> None:
        print(line, flush=True)
        base = line.rsplit(" ", 1)[-1]
        print(f"phone web app: {base}/phone/ (API {args.api_url}; start the API with SWM_CORS_ORIGINS={base})",
              flush=True)

    serve_forever(app, args.host, args.port, access_log=args.access_log, announce=announce)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mobile_mock", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    make = commands.add_parser("make-service-account", help="write a throw-away service-account JSON file")
    make.add_argument("--out", required=True, help="where to write the JSON")
    make.add_argument("--project-id", default="demo-swm")
    make.add_argument("--token-uri", default="http://127.0.0.1:8102/token", help="the mock's /token URL")
    make.add_argument("--force", action="store_true", help="overwrite an existing file")
    make.set_defaults(run=_make_service_account)

    serve = commands.add_parser("serve", help="run the mock (cheroot: threaded keep-alive HTTP/1.1 server)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8102, help="0 picks a free port (printed on start)")
    serve.add_argument("--service-account", action="append", default=[], metavar="PATH",
                       help="trust this service-account file (repeatable)")
    serve.add_argument("--strict", action="store_true", help="only tokens issued by POST /devices are valid")
    serve.add_argument("--seed", type=int, default=0, help="default fault RNG seed")
    serve.add_argument("--token-lifetime", type=int, default=3600, help="access-token lifetime in seconds")
    serve.add_argument("--max-messages", type=int, default=200_000, help="stored deliveries kept")
    serve.add_argument("--sse-keepalive", type=float, default=15.0, help="seconds between stream keepalives")
    serve.add_argument("--access-log", action="store_true", help="log every request (slow)")
    serve.add_argument("--api-url", default="http://127.0.0.1:8100",
                       help="the REST API the phone web app (/phone/) talks to")
    serve.set_defaults(run=_serve)
    return parser


if __name__ == "__main__":
    sys.exit(main())
