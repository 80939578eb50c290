"""What the per-item clients (MSA with ETags, STA and bank behind a rate limit) share: reading one item's answer."""

from __future__ import annotations

from status_tracker.adapters.base import BadAnswer, ItemAnswer, ItemStatus
from status_tracker.adapters.http_calls import AgencyClient, AgencyResponse, reference_path
from status_tracker.adapters.json_parser import parse_item


class PerItemClient(AgencyClient):
    route = "/items/{reference}/status"

    def _get(self, reference: str, headers: dict[str, str] | None = None) -> AgencyResponse:
        return self._send("GET", self.route.format(reference=reference_path(reference)), headers=headers)

    def _item_answer(self, reference: str, response: AgencyResponse) -> ItemAnswer:
        """200 → the parsed status; 404 → found=False; any other status → AgencyUnavailable."""
        if response.status_code == 404:
            return ItemAnswer(status=ItemStatus(reference=reference, found=False))
        if response.status_code != 200:
            raise self._refused(response)
        answer = parse_item(response.content)
        if answer.status is None:  # the parser leaves out the status only when the body is unreadable
            raise self._unreadable(answer.problems[0])
        if answer.status.reference != reference:  # never file one item's receipts under another
            raise BadAnswer(f"{self.agency}: asked for {reference!r}, answered {answer.status.reference[:64]!r}")
        return answer
