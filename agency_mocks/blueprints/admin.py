"""Each agency's admin routes: register items, look at one, force a status, switch faults and rate limits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from agency_mocks.blueprints.common import json_body
from agency_mocks.formats import iso_time, receipt_json, status_json
from agency_mocks.simulation import ItemSnapshot
from agency_mocks.state import MockState, mock_state


def add_admin_routes(blueprint: Blueprint, agency: str) -> None:
    @blueprint.post("/admin/items")
    def register_items() -> tuple[Response, int]:
        """One item as {kind, reference, parties?}, or many as {"items": [...]}."""
        body = json_body()
        single = "items" not in body
        entries = [body] if single else body["items"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            abort(400, "items must be a list of objects")
        state = mock_state()
        results = state.simulation.register(
            agency, [(e.get("kind"), e.get("reference"), e.get("parties")) for e in entries]
        )
        created = sum(1 for _, new in results if new)
        if single:
            reference = results[0][0]
            return jsonify(_item_json(state, agency, _snapshot_or_404(state, agency, reference))), (
                201 if created else 200
            )
        return jsonify({"registered": created, "already_registered": len(results) - created}), (
            201 if created else 200
        )

    @blueprint.get("/admin/items/<path:reference>")
    def show_item(reference: str) -> Response:
        state = mock_state()
        return jsonify(_item_json(state, agency, _snapshot_or_404(state, agency, reference)))

    @blueprint.put("/admin/items/<path:reference>/parties")
    def replace_parties(reference: str) -> Response:
        """{parties: [{role, uscc?, customs_code?, name?}, ...]}: the agency's records now name these parties."""
        state = mock_state()
        try:
            snapshot = state.simulation.set_parties(agency, reference, json_body().get("parties"))
        except KeyError:
            abort(404, f"{reference} is not registered with {agency}")
        return jsonify(_item_json(state, agency, snapshot))

    @blueprint.post("/admin/items/<path:reference>/force")
    def force_status(reference: str) -> tuple[Response, int]:
        """{code, note?, strict?}: the status happens now; the item then leaves its planned story."""
        body = json_body()
        code, note, strict = body.get("code"), body.get("note"), body.get("strict", True)
        if not isinstance(code, str) or not code or not (note is None or isinstance(note, str)):
            abort(400, "code must be a non-empty string and note a string")
        state = mock_state()
        try:
            receipt = state.simulation.force(agency, reference, code, note, strict=bool(strict))
        except KeyError:
            abort(404, f"{reference} is not registered with {agency}")
        return jsonify({"reference": reference, "kind": receipt.kind, "seq": receipt.seq,
                        **receipt_json(receipt, state.clock)}), 201

    @blueprint.route("/admin/faults", methods=["GET", "POST", "DELETE"])
    def faults() -> Response:
        """GET shows, POST merges the given settings into the current ones, DELETE switches all off."""
        agency_faults = mock_state().faults[agency]
        if request.method == "POST":
            try:
                agency_faults.update(json_body())
            except ValueError as error:
                abort(400, str(error))
        elif request.method == "DELETE":
            agency_faults.clear()
        return jsonify(agency_faults.settings.to_json())


def add_rate_limit_routes(blueprint: Blueprint, agency: str) -> None:
    @blueprint.route("/admin/rate-limit", methods=["GET", "POST"])
    def rate_limit() -> Response:
        """POST {per_second: number | null, burst?: int} replaces the limit; null switches it off."""
        bucket = mock_state().limits[agency]
        if request.method == "POST":
            body = json_body()
            per_second, burst = body.get("per_second", bucket.per_second), body.get("burst", bucket.burst)
            try:
                bucket.configure(None if per_second is None else float(per_second), int(burst))
            except (TypeError, ValueError) as error:
                abort(400, str(error))
        return jsonify(bucket.to_json())


def _snapshot_or_404(state: MockState, agency: str, reference: str) -> ItemSnapshot:
    snapshot = state.simulation.snapshot(agency, reference)
    if snapshot is None:
        abort(404, f"{reference} is not registered with {agency}")
    return snapshot


def _item_json(state: MockState, agency: str, item: ItemSnapshot) -> dict[str, Any]:
    at = state.clock.to_datetime
    return {
        "agency": agency,
        "reference": item.reference,
        "kind": item.kind,
        "registered_at": iso_time(at(item.registered_at)),
        "parties": list(item.parties),
        "scripted": item.scripted,
        "status": status_json(item.receipts[-1], item.receipts, state.clock),
        "upcoming": [{"code": code, "at": iso_time(at(t))} for t, code in item.upcoming],
    }
