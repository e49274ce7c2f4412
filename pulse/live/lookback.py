"""How far back the realtime models re-read the lake each cycle (the `lookback_seconds` of the
live clock file; batch runs use the project's `lake_ingest_lookback_seconds`).

An incremental model reads lake rows landed after its previous run's `landed_through` (the run
manifest, docs/incremental.md) minus this lookback. Batch runs keep the project's 300 s, in case
a file became visible after a run had read newer rows. In the loop that meant re-reading five minutes of data every
cycle (1.5M rows at 5k events/s; bench/bench_live_cycle.py measures the difference).

The loop can bound it exactly instead: every model's landed_through is at most the wall clock when
the previous dbt run ended, and the lake watch knows the oldest `_ingested_at` among the files that
appeared since. Looking back from that end to that file re-reads every file a run may have missed;
the loop's own files land between runs, newer than any landed_through, so normally the lookback is 0
and a run reads exactly the rows it has not seen. No margin: files and runs are stamped by this
host's clock, and `behind` is measured between those very stamps, so even a clock step back is
covered. (Writers on other hosts with skewed clocks are not: run batch dbt, 300 s, for those.)
Exactly-new rows matter beyond speed: fct_streams extends a stored stream only when every new row
comes after it, and a re-read row looks like a late one. Files new since a run that had a failing
model are kept in the bound until a run succeeds. The first run of a loop keeps the project's
default: the whole lake is new to the watch then.
"""

from __future__ import annotations

import math
from datetime import datetime

from pulse.live.arrival_clock import utc_naive


class LandingLookback:
    def __init__(self):
        self._last_dbt_end: float | None = None
        self._oldest_unconfirmed: datetime | None = None  # oldest new file since the last clean run

    def seconds(self, oldest_new: datetime | None) -> int | None:
        """The lookback for this cycle's run; None keeps the project's default."""
        if oldest_new is not None and (self._oldest_unconfirmed is None or oldest_new < self._oldest_unconfirmed):
            self._oldest_unconfirmed = oldest_new
        if self._last_dbt_end is None:
            return None
        if self._oldest_unconfirmed is None:
            return 0
        behind = (utc_naive(self._last_dbt_end) - self._oldest_unconfirmed).total_seconds()
        # Rows are read when landed strictly after landed_through - lookback: look back past the file.
        return math.floor(behind) + 1 if behind >= 0 else 0

    def dbt_ran(self, ended: float, clean: bool) -> None:
        """After each run: `ended` wall clock, `clean` when no model failed."""
        self._last_dbt_end = ended
        if clean:
            self._oldest_unconfirmed = None
