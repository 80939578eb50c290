"""The agencies' lifecycles (their own copy) use exactly the codes the tracker's table of kinds knows.

The mocks never import the tracker; only this test looks at both sides.
"""

from __future__ import annotations

from agency_mocks.lifecycles import LIFECYCLES
from status_tracker.kinds import KINDS


def test_every_kind_belongs_to_the_same_agency_on_both_sides() -> None:
    assert {k: lc.agency for k, lc in LIFECYCLES.items()} == {k: kind.agency for k, kind in KINDS.items()}


def test_every_code_an_agency_can_send_is_known_to_the_tracker() -> None:
    for key, lifecycle in LIFECYCLES.items():
        known = {code.code for code in KINDS[key].codes}
        assert set(lifecycle.codes) <= known, key


def test_no_path_goes_on_after_a_terminal_code() -> None:
    for key, lifecycle in LIFECYCLES.items():
        for path in lifecycle.paths:
            codes = [step.code for step in path.steps]
            assert not any(KINDS[key].code(c).terminal for c in codes[:-1]), (key, codes)
