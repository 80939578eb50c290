"""`make bench`: every benchmark, one after the other, each printing its figures and ratios."""

from __future__ import annotations

import sys

from bench import (
    api_read,
    batch_tracking,
    body_limit,
    desk_search,
    dispatch,
    ingest,
    late_alerts,
    latency,
    national,
    oversize_rss,
    poll_cost,
    port_charges,
    webhooks,
)


def main() -> None:
    quick = "--quick" in sys.argv
    ingest.main(["--items", "1000" if quick else "5000"])
    poll_cost.main(["--sizes", "1000,10000" if quick else "1000,100000,1000000"])
    dispatch.main(["--pushes", "2000" if quick else "10000"])
    latency.main(["--samples", "15" if quick else "60"])
    desk_search.main(["--items", "10000" if quick else "1000000", "--queries", "450" if quick else "2000"])
    oversize_rss.main(["--seconds", "8" if quick else "20"])
    body_limit.main(["--megabytes", "20" if quick else "100"])
    national.main(["--rates", "5,10", "--seconds", "20"] if quick else ["--rates", "5,10,20,40,60", "--seconds", "60"])
    late_alerts.main(["--sizes", "1000,10000" if quick else "1000,10000,100000"])
    api_read.main(["--items", "20000" if quick else "1000000", "--rounds", "1" if quick else "3",
                   "--seconds", "2" if quick else "5"])
    port_charges.main(["--enterprises", "1000" if quick else "10000", "--samples", "100" if quick else "500"])
    webhooks.main(["--deliveries", "1000" if quick else "5000"])
    batch_tracking.main(["--rounds", "1" if quick else "3"])


if __name__ == "__main__":
    main()
