"""`python -m erp_mock --port 8103`: the demo's ERP. The signing secret comes from ERP_WEBHOOK_SECRET (or
POST /admin/behaviour {"secrets": [...]})."""

from __future__ import annotations

import argparse
import os

from werkzeug.serving import make_server

from erp_mock.app import Inbox, create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="erp_mock")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8103)
    args = parser.parse_args()
    secrets = [s for s in os.environ.get("ERP_WEBHOOK_SECRET", "").split(",") if s]
    server = make_server(args.host, args.port, create_app(Inbox(secrets=secrets)), threaded=True)
    print(f"ERP receiver on http://{args.host}:{args.port}/ (webhooks at /webhooks)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
