"""`make demo`: migrate an embedded SQLite database, seed the demo data, serve the API, say where to look."""

from __future__ import annotations

import os

from werkzeug.serving import run_simple

from app import create_app, migrate
from app.extensions import db
from app.seed import seed_demo

HOST, PORT = "127.0.0.1", int(os.environ.get("SWM_DEMO_PORT", "8100"))


def main() -> None:
    app = create_app()
    migrate.upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        logins = seed_demo(db.session)
        db.session.commit()
    base = f"http://{HOST}:{PORT}"
    print("\nSingle Window Mobile demo")
    print(f"  API docs (Swagger UI): {base}/docs\n  OpenAPI document:      {base}/openapi.json")
    print("  Demo logins (phone / password):")
    for phone, password, who in logins:
        print(f"    {phone} / {password}  {who}")
    print("  Ctrl-C stops it.\n", flush=True)
    run_simple(HOST, PORT, app, threaded=True)


if __name__ == "__main__":
    main()
