"""Each agency carries an item's parties, as registered, in its own style: GACC's receipts list them as PARTY
elements; the JSON agencies' answers have a `parties` list. Amending them shows in every later answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.agency_mocks.support import parse_feed, register

DECLARANT = {"role": "declarant", "uscc": "91310115MA1H7X2K3D", "customs_code": "3122960001", "name": "远航报关"}
CONSIGNEE = {"role": "consignee", "customs_code": "3205260002"}


def test_gacc_receipts_name_the_parties_with_their_codes(mocks: httpx.Client) -> None:
    register(mocks, "gacc", "transit", "2233202400004567", parties=[DECLARANT, CONSIGNEE])
    register(mocks, "gacc", "customs_declaration", "310120241001234567")  # registered without parties
    body = mocks.get("/gacc/receipts").content
    _, receipts = parse_feed(body)
    assert [r["ENTRY_ID"] for r in receipts] == ["2233202400004567", "310120241001234567"]
    transit, declaration = ET.fromstring(body).find("RECEIPTS")
    assert declaration.find("PARTIES") is None
    assert [(p.get("ROLE"), {child.tag: child.text for child in p}) for p in transit.find("PARTIES")] == [
        ("DECLARANT", {"SCC": "91310115MA1H7X2K3D", "CODE": "3122960001", "NAME": "远航报关"}),
        ("CONSIGNEE", {"CODE": "3205260002"}),
    ]


@pytest.mark.parametrize(("agency", "kind", "reference", "ask"), [
    ("mofcom", "license", "LIC202400012345", None),
    ("msa", "transport_vehicle", "IMO9321483/118W", "/msa/vessels/IMO9321483/118W/status"),
    ("sta", "export_tax_refund", "TR2024000123", "/sta/items/TR2024000123/status"),
])
def test_json_answers_carry_a_parties_list(mocks: httpx.Client, agency, kind, reference, ask) -> None:
    register(mocks, agency, kind, reference, parties=[DECLARANT])
    if ask is None:
        answer = mocks.post(f"/{agency}/status/query", json={"references": [reference]}).json()["results"][0]
    else:
        answer = mocks.get(ask).json()
    assert answer["parties"] == [DECLARANT]


def test_amended_parties_show_in_the_next_answer(mocks: httpx.Client) -> None:
    register(mocks, "mofcom", "license", "LIC202400012345", parties=[DECLARANT])
    amended = mocks.put("/mofcom/admin/items/LIC202400012345/parties", json={"parties": [CONSIGNEE]})
    assert amended.status_code == 200 and amended.json()["parties"] == [CONSIGNEE]
    answer = mocks.post("/mofcom/status/query", json={"references": ["LIC202400012345"]}).json()["results"][0]
    assert answer["parties"] == [CONSIGNEE]
    assert mocks.put("/mofcom/admin/items/LIC000000000000/parties", json={"parties": []}).status_code == 404


@pytest.mark.parametrize("parties", [
    {"agent": "ACME"}, [{"role": "agent"}], [{"uscc": "91310115MA1H7X2K3D"}], [{"role": "agent", "uscc": 5}],
    [{"role": "agent", "uscc": "x", "colour": "red"}], [DECLARANT] * 11,
])
def test_malformed_parties_are_refused(mocks: httpx.Client, parties) -> None:
    response = mocks.post("/gacc/admin/items", json={"kind": "transit", "reference": "2233202400004567",
                                                     "parties": parties})
    assert response.status_code == 400, response.text
    assert "part" in response.json()["message"]
