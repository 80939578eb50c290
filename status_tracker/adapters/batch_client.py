"""MOFCOM's and CCPIT's batch query over HTTP: up to 100 references per POST; parsing is json_parser's."""

from __future__ import annotations

from status_tracker.adapters.base import BatchAnswer, ParseProblem
from status_tracker.adapters.http_calls import AgencyClient
from status_tracker.adapters.json_parser import parse_batch
from status_tracker.adapters.problems import unreadable

MAX_REFERENCES = 100


class BatchClient(AgencyClient):
    def query(self, references: list[str]) -> BatchAnswer:
        """One ItemStatus per reference answered (found or not). The caller splits into batches of <= 100."""
        if len(references) > MAX_REFERENCES:
            raise ValueError(f"at most {MAX_REFERENCES} references per query, got {len(references)}")
        if not references:
            return BatchAnswer(items=[])
        response = self._send("POST", "/status/query", json={"references": references})
        if response.status_code != 200:
            raise self._refused(response)
        answer = parse_batch(response.content)
        problem = unreadable(answer.problems)
        if problem is not None:
            raise self._unreadable(problem)
        answered = {item.reference for item in answer.items}
        unanswered = [ParseProblem(f"{self.agency}: no result for {r!r}") for r in references if r not in answered]
        return BatchAnswer(items=answer.items, problems=[*answer.problems, *unanswered]) if unanswered else answer
