"""Command line: python -m agency_mocks --host 127.0.0.1 --port 8101 --seed 42 --speed 60."""

from __future__ import annotations

import argparse

from agency_mocks.blueprints import RATE_LIMITED_AGENCIES
from agency_mocks.factory import create_app
from agency_mocks.server import serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m agency_mocks", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    parser.add_argument("--start", help="simulated start, ISO-8601 (default: now)")
    parser.add_argument("--compress", type=float, default=1.0,
                        help="lifecycles this many times shorter (with --speed 1: no receipt dated after now)")
    parser.add_argument("--rate", type=float, default=10.0, help="STA and bank requests per second")
    parser.add_argument("--burst", type=int, default=10, help="STA and bank burst size")
    args = parser.parse_args(argv)
    limit = {"per_second": args.rate, "burst": args.burst}
    app = create_app({"seed": args.seed, "speed": args.speed, "start": args.start, "compress": args.compress,
                      "rate_limits": {agency: limit for agency in RATE_LIMITED_AGENCIES}})
    print(f"agency mocks on http://{args.host}:{args.port} (seed {args.seed}, speed {args.speed}x, "
          f"lifecycles {args.compress}x shorter)",
          flush=True)
    serve_forever(app, args.host, args.port)


if __name__ == "__main__":
    main()
