"""The registry: one client per agency of the tracker's table, each in its agency's polling style."""

from __future__ import annotations

import httpx

from status_tracker.adapters import (
    AgencyClient,
    BatchClient,
    EtagClient,
    FeedClient,
    ThrottledClient,
    build_client,
    build_clients,
)
from status_tracker.agencies import AGENCIES
from status_tracker.kinds import KINDS
from tests.adapters.mocks import REFERENCES, Admin

STYLE_CLIENTS = {"gacc": FeedClient, "mofcom": BatchClient, "ccpit": BatchClient, "msa": EtagClient,
                 "sta": ThrottledClient, "bank": ThrottledClient}


def test_every_agency_gets_the_client_of_its_polling_style() -> None:
    http = httpx.Client()
    clients = build_clients("http://agencies.test/", http, timeout=3.5)
    assert set(clients) == set(AGENCIES)
    for agency, client in clients.items():
        assert type(client) is STYLE_CLIENTS[agency]
        assert (client.agency, client.base_url, client.http, client.timeout) == (
            agency, f"http://agencies.test/{agency}", http, 3.5)
    assert type(build_client("ccpit", "", http)) is BatchClient


def test_the_clients_the_registry_builds_reach_their_agencies(clients: dict[str, AgencyClient], admin: Admin) -> None:
    for kind, reference in REFERENCES.items():
        admin.register(KINDS[kind].agency, kind, reference)
    gacc, mofcom, ccpit, msa, sta, bank = (clients[a] for a in ("gacc", "mofcom", "ccpit", "msa", "sta", "bank"))
    assert isinstance(gacc, FeedClient) and isinstance(mofcom, BatchClient) and isinstance(ccpit, BatchClient)
    assert isinstance(msa, EtagClient) and isinstance(sta, ThrottledClient) and isinstance(bank, ThrottledClient)
    assert {r.reference for r in gacc.fetch(0, 100).receipts} == {
        REFERENCES[k] for k in ("customs_declaration", "manifest", "transit")}
    assert mofcom.query([REFERENCES["license"]]).items[0].found
    assert ccpit.query([REFERENCES["certificate_of_origin"]]).items[0].found
    for client, kind in ((msa, "transport_vehicle"), (sta, "export_tax_refund"), (bank, "tax_payment")):
        status = client.fetch(REFERENCES[kind]).status
        assert status is not None and status.found and status.receipts[0].kind == kind
