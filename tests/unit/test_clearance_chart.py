"""The console's clearance-time chart is scaled to the typical steps; a few long outliers are marked, not
allowed to shrink every other bar to a sliver."""

from __future__ import annotations

from app.web.console.present import BAR_WIDTH, bar_chart
from status_tracker.clearance_times import Transition
from status_tracker.stages import Stage

HOUR = 3600


def _step(p50: float, p90: float, samples: int) -> Transition:
    return Transition("customs_declaration", Stage.SUBMITTED, Stage.RELEASED, samples, p50 * HOUR, p90 * HOUR)


def test_typical_bars_fill_the_chart_and_outliers_are_marked_with_their_samples():
    typical = [_step(3 + n, 5 + 2 * n, 40 + n) for n in range(10)]  # p90s from 5 to 23 h
    outliers = [_step(900, 1100, 3), _step(1000, 1300, 6)]
    chart = bar_chart(typical + outliers, "en", by_kind=False)
    rows = [row for row in chart.rows if not row.heading]
    longest_typical = rows[9]
    assert longest_typical.p90_width > BAR_WIDTH / 2, "the typical steps must not be slivers"
    assert not any(row.off_scale for row in rows[:10])
    assert [row.off_scale for row in rows[10:]] == [True, True]
    assert all(row.p90_width <= BAR_WIDTH for row in rows)
    assert [row.samples for row in rows[10:]] == [3, 6] and rows[10].p90_hours == "1100.0"
    # The axis ends where the typical steps do, not at 1,300 hours.
    assert chart.ticks[-1][1] == "24h"
