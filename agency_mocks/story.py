"""One item's story: which path through its lifecycle it takes, and when; decided by seed, kind, reference."""

from __future__ import annotations

import random
from dataclasses import dataclass

from agency_mocks.lifecycles import LIFECYCLES


@dataclass(frozen=True)
class PlannedStep:
    offset: float  # simulated seconds after registration
    code: str


def plan_story(seed: int, kind: str, reference: str) -> tuple[PlannedStep, ...]:
    # A private RNG per item: the story does not depend on what else was registered, or in which order.
    rng = random.Random(f"{seed}:{kind}:{reference}")
    paths = LIFECYCLES[kind].paths
    path = rng.choices(paths, weights=[p.weight for p in paths])[0]
    offset = 0.0
    planned = []
    for step in path.steps:
        offset += round(rng.uniform(step.min_minutes, step.max_minutes) * 60)
        planned.append(PlannedStep(offset, step.code))
    return tuple(planned)
