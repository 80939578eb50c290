"""MSA's per-item query over HTTP with If-None-Match, so an unchanged item costs a bodiless 304."""

from __future__ import annotations

import dataclasses

from status_tracker.adapters.base import ItemAnswer
from status_tracker.adapters.bounds import bounded_etag
from status_tracker.adapters.per_item import PerItemClient


class EtagClient(PerItemClient):
    route = "/vessels/{reference}/status"

    def fetch(self, reference: str, etag: str | None = None) -> ItemAnswer:
        """The item's status with this answer's ETag; `not_modified` on 304; found=False on 404.

        The tag is that of the version answered, and a stale answer carries an older one: the caller keeps the
        tag of the newest version it has seen, not blindly the last one.
        """
        response = self._get(reference, {"If-None-Match": etag} if etag else None)
        if response.status_code == 304:
            return ItemAnswer(status=None, not_modified=True)
        answer = self._item_answer(reference, response)
        if answer.status is None or not answer.status.found:
            return answer
        # A tag that does not fit the column is not kept: the item is then simply asked without one.
        tagged = dataclasses.replace(answer.status, etag=bounded_etag(response.headers.get("ETag")))
        return dataclasses.replace(answer, status=tagged)
