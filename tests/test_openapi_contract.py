"""The committed OpenAPI document is exactly what the code serves."""

from __future__ import annotations

import json

from app.processes.cli import SPEC_PATH, spec_text


def test_committed_document_matches_the_code(app):
    with app.app_context():
        generated = spec_text()
    committed = SPEC_PATH.read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(generated), "api_spec/openapi.json is stale: run `make spec`"
    assert committed == generated


def test_the_served_document_is_the_committed_one(client):
    assert client.get("/openapi.json").json == json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def test_swagger_ui_is_served_without_internet(client):
    page = client.get("/docs")
    assert page.status_code == 200 and b"/docs/static/swagger-ui-bundle.js" in page.data
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
