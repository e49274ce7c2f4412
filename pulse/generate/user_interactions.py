"""user_interactions (lakehouse case), in the format of the challenge's `user_interactions_sample.csv`:
`user_id,timestamp,action_type,page_id,duration_ms,app_version` with the challenge generator's
vocabularies and ranges (docs/generators.md): user ids `u000001`.., naive UTC seconds, the five
action types drawn uniformly, page ids `p000001`..`p1000000`, duration_ms uniform in 100..300000,
app versions 5.0.0..7.9.9. pulse's own additions: interactions come in sessions (gaps under 30
minutes, then 30+ minutes away) with a daily cycle, and a user keeps one app version. Users are
those of user_metadata with the same seed and --users."""

from __future__ import annotations

import random

from pulse.generate.core import Dataset, TimeText, UserPool

ACTIONS = ("page_view", "edit", "create", "delete", "share")
MIN_DURATION_MS, MAX_DURATION_MS = 100, 300_000
PAGES = 1_000_000  # the challenge's page id space; --catalog narrows it
# Starts of consecutive actions are at most 300 s (the longest duration) + this apart: < 30 min.
MAX_PAUSE_S = 1499.0
_TIME = TimeText("%Y-%m-%d %H:%M:%S")


def lakehouse_user(gidx: int) -> str:
    """The challenge's user id: `u` and the (1-based) number, zero-padded to six digits."""
    return f"u{gidx + 1:06d}"


def app_version(r: random.Random) -> str:
    """major 5-7, minor 0-9, patch 0-9, as the challenge draws them."""
    return f"{r.randint(5, 7)}.{r.randint(0, 9)}.{r.randint(0, 9)}"


class UserInteractions(Dataset):
    name = "user_interactions"
    help = "lakehouse user_interactions CSV in the challenge's format (duration_ms 100..300000; or a topic)"
    fields = ("user_id", "timestamp", "action_type", "page_id", "duration_ms", "app_version")
    sessions_per_user_day = 1.0
    bad_kinds = ("malformed_json", "missing_field", "wrong_type", "negative_duration")
    wrong_types = {"duration_ms": "fast", "timestamp": "n/a"}

    def setup(self) -> None:
        self.pool = UserPool(self.plan, self.users)
        self._pages = self.plan.catalog or PAGES

    def session(self, t: float):
        rng = self.rng
        u = self.pool.acquire(t)
        gidx = self.pool.global_index(self.plan, u)
        user = lakehouse_user(gidx)
        version = app_version(random.Random(f"{self.plan.seed}:lh-version:{gidx}"))
        spread = MAX_DURATION_MS - MIN_DURATION_MS + 1
        for _ in range(max(1, int(rng.expovariate(1 / 6)))):
            # Uniform choices as int(random() * n): the challenge's distributions, at a fraction
            # of randint's cost.
            duration = MIN_DURATION_MS + int(rng.random() * spread)
            page = 1 + int(rng.random() * self._pages)
            yield (t, user, ACTIONS[int(rng.random() * len(ACTIONS))], f"p{page:06d}", duration, version)
            t += duration / 1000 + min(rng.expovariate(1 / 90), MAX_PAUSE_S)
        self.pool.release(u, t + rng.uniform(1900, 3 * 86400))

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        return {"user_id": rec[1], "timestamp": _TIME.second(rec[0] + shift), "action_type": rec[2],
                "page_id": rec[3], "duration_ms": rec[4], "app_version": rec[5]}

    def kafka_key(self, rec) -> bytes:
        return rec[1].encode()

    def negate_duration(self, d: dict) -> None:
        d["duration_ms"] = -d["duration_ms"]
