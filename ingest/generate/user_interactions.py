"""user_interactions (lakehouse case): `user_id,timestamp,action_type,page_id,duration_ms,
app_version`; sessions separated by 30+ minutes, durations 100..300000 ms, a year of data
when asked for one. Users are those of user_metadata with the same seed and --users."""

from __future__ import annotations

import random

from .core import Dataset, Picker, TimeText, UserPool, zipf_weights

ACTIONS = ("page_view", "edit", "create", "delete", "share")
ACTION_WEIGHTS = (0.62, 0.18, 0.10, 0.04, 0.06)
APP_VERSIONS = ("5.0.1", "5.1.0", "5.2.0", "5.2.3", "6.0.0")
_TIME = TimeText("%Y-%m-%d %H:%M:%S")


def lakehouse_user(gidx: int) -> str:
    return f"u{gidx:06d}"


class UserInteractions(Dataset):
    name = "user_interactions"
    help = "lakehouse user_interactions CSV (duration_ms 100..300000; or a topic)"
    sink = "files"
    fields = ("user_id", "timestamp", "action_type", "page_id", "duration_ms", "app_version")
    sessions_per_user_day = 1.0
    bad_kinds = ("malformed_json", "missing_field", "wrong_type", "negative_duration")
    wrong_types = {"duration_ms": "fast", "timestamp": "n/a"}

    def setup(self) -> None:
        import numpy as np

        self.pool = UserPool(self.plan, self.users)
        self._page = Picker(self.np_rng, zipf_weights(self.plan.catalog or 1000, 1.0))
        self._action = Picker(self.np_rng, np.asarray(ACTION_WEIGHTS))

    def session(self, t: float):
        rng = self.rng
        u = self.pool.acquire(t)
        gidx = self.pool.global_index(self.plan, u)
        user = lakehouse_user(gidx)
        version = APP_VERSIONS[random.Random(f"{self.plan.seed}:lh-version:{gidx}").randrange(len(APP_VERSIONS))]
        for _ in range(max(1, int(rng.expovariate(1 / 6)))):
            duration = int(min(max(rng.lognormvariate(9.6, 1.3), 100), 300000))
            yield (t, user, ACTIONS[self._action()], f"page_{self._page():04d}", duration, version)
            t += duration / 1000 + min(rng.expovariate(1 / 90), 1500.0)
        self.pool.release(u, t + rng.uniform(1900, 3 * 86400))

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        return {"user_id": rec[1], "timestamp": _TIME.second(rec[0] + shift), "action_type": rec[2],
                "page_id": rec[3], "duration_ms": rec[4], "app_version": rec[5]}

    def kafka_key(self, rec) -> bytes:
        return rec[1].encode()

    def negate_duration(self, d: dict) -> None:
        d["duration_ms"] = -d["duration_ms"]
