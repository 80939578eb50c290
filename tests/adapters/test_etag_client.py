"""MSA's per-item client with ETags against the mocks."""

from __future__ import annotations

import pytest

from status_tracker.adapters import AgencyClient, AgencyUnavailable, EtagClient, ItemAnswer, ItemStatus
from tests.adapters.mocks import DAY, REFERENCES, Admin

VESSEL = REFERENCES["transport_vehicle"]  # IMO9321483/118W: a "/" inside, passed through as it is


@pytest.fixture
def msa(clients: dict[str, AgencyClient], admin: Admin) -> EtagClient:
    admin.register("msa", "transport_vehicle", VESSEL)
    admin.advance(DAY)
    client = clients["msa"]
    assert isinstance(client, EtagClient)
    return client


def test_an_item_comes_with_its_history_and_the_etag_of_its_version(msa: EtagClient) -> None:
    answer = msa.fetch(VESSEL)
    assert answer.status is not None
    assert (answer.status.reference, answer.status.found, answer.status.etag) == (VESSEL, True, '"v5"')
    assert [(r.version, r.code) for r in answer.status.receipts] == [(1, "01"), (2, "02"), (3, "03"), (4, "06"),
                                                                      (5, "07")]
    assert (answer.not_modified, answer.problems) == (False, [])


def test_asking_again_with_the_etag_costs_a_304_until_the_item_changes(msa: EtagClient, admin: Admin) -> None:
    first = msa.fetch(VESSEL)
    assert first.status is not None
    assert msa.fetch(VESSEL, first.status.etag) == ItemAnswer(status=None, not_modified=True)
    admin.force("msa", VESSEL, "09", note="撤销")
    changed = msa.fetch(VESSEL, first.status.etag)
    assert changed.status is not None and changed.status.etag == '"v6"'
    assert (changed.status.receipts[-1].code, changed.status.receipts[-1].note) == ("09", "撤销")


def test_an_unknown_vessel_is_not_found(msa: EtagClient) -> None:
    assert msa.fetch("IMO0000000/000X") == ItemAnswer(status=ItemStatus(reference="IMO0000000/000X", found=False))


def test_a_stale_answer_carries_its_own_older_etag(msa: EtagClient, admin: Admin) -> None:
    admin.faults("msa", out_of_order_rate=1)
    answer = msa.fetch(VESSEL, '"v5"')
    assert answer.status is not None
    assert answer.status.etag == f'"v{answer.status.receipts[-1].version}"' and answer.status.etag != '"v5"'


@pytest.mark.parametrize("reference", ["IMO9321483/118W?x=1", "A#1", "100%/B", "A B", "a/./b", "a/../b", "..",
                                       "A+B;C"])
def test_references_with_characters_that_mean_something_in_a_url_reach_the_right_item(
        msa: EtagClient, admin: Admin, reference: str) -> None:
    admin.register("msa", "transport_vehicle", reference)
    answer = msa.fetch(reference)
    assert answer.status is not None and answer.status.reference == reference


def test_faults_are_unavailable(msa: EtagClient, admin: Admin) -> None:
    admin.faults("msa", malformed_rate=1)
    with pytest.raises(AgencyUnavailable, match="^msa: unreadable answer: not readable JSON"):
        msa.fetch(VESSEL)
    admin.faults("msa", malformed_rate=0, error_rate=1)
    with pytest.raises(AgencyUnavailable, match="^msa: HTTP 503 simulated failure$"):
        msa.fetch(VESSEL)
    admin.faults("msa", error_rate=0, timeout_rate=1)
    with pytest.raises(AgencyUnavailable, match=r"^msa: no answer within 2 s"):
        msa.fetch(VESSEL)
