"""The shopper simulation behind product_views and orders (CTR case).

A shopper (one mParticle id, one platform) browses Zipf-popular products; each product view may
end in a purchase (per-platform CTR around 1-3%), bought in one order placed minutes after the
last view. A session is planned whole when it starts, so `product_views` and `orders` with the
same seed, range and --users see the very same shoppers: every ordered product was viewed.
"""

from __future__ import annotations

import bisect
import random

import numpy as np

from pulse.generate.core import Dataset, UserPool, uuid_text, zipf_weights

PLATFORMS = ("iOS", "Android", "MobileWeb")
PLATFORM_WEIGHTS = (0.35, 0.40, 0.25)
BUY_PROBABILITY = {"iOS": 0.025, "Android": 0.018, "MobileWeb": 0.012}


def product(pid: int, seed: int) -> tuple[str, float]:
    """(codeColor, price) of product `pid`: '20008657_002' style ids, prices like 189.9."""
    r = random.Random(f"{seed}:product:{pid}")
    return f"{20000000 + pid * 7 + r.randrange(7):08d}_{1 + r.randrange(12):03d}", round(r.uniform(39, 499), 1)


def signed64(rng: random.Random) -> int:
    return rng.getrandbits(64) - (1 << 63)


class ShopSim(Dataset):
    """Plans whole shopper sessions; subclasses keep the views or the orders."""

    sessions_per_user_day = 0.8
    default_users = 2000
    kind = ""  # "view" or "order": which records this dataset keeps
    stream = "shop"  # one random stream for both, so they simulate the same shoppers

    def setup(self) -> None:
        self.pool = UserPool(self.plan, self.users)
        n = self.plan.catalog or 2000
        self.products = [product(i, self.plan.seed) for i in range(n)]
        order = np.random.default_rng(self.plan.seed).permutation(n)
        self._cum = np.cumsum(zipf_weights(n, 1.05)[order]).tolist()
        self._orders = 0
        self._items = 0
        self._people: dict[int, tuple[int, str, int]] = {}

    def person(self, u: int) -> tuple[int, str, int]:
        p = self._people.get(u)
        if p is None:
            gidx = self.pool.global_index(self.plan, u)
            r = random.Random(f"{self.plan.seed}:shopper:{gidx}")
            p = self._people[u] = (signed64(r), r.choices(PLATFORMS, PLATFORM_WEIGHTS)[0], 100000 + gidx)
        return p

    def _pick(self, rng: random.Random) -> int:
        return min(bisect.bisect_right(self._cum, rng.random()), len(self._cum) - 1)

    def plan_session(self, t: float) -> list[tuple]:
        rng = self.rng
        u = self.pool.acquire(t)
        mpid, platform, customer = self.person(u)
        session_id = signed64(rng)
        out: list[tuple] = []
        bought: list[int] = []
        for _ in range(max(1, int(rng.expovariate(1 / 5)))):
            pid = self._pick(rng)
            events = [("product", t, pid, float(int(float(signed64(rng)))))]  # ids rounded through floats
            if rng.random() < 0.10:
                events.append((rng.choice(("category", "screen_view")), t + rng.uniform(0.1, 2), None,
                               float(int(float(signed64(rng))))))
            fraction = rng.random() < 0.2  # some timestamps carry fractional milliseconds
            out.append((t, "view", mpid, platform, session_id, tuple(events), signed64(rng), uuid_text(rng), fraction))
            if rng.random() < BUY_PROBABILITY[platform]:
                bought.append(pid)
            t += rng.expovariate(1 / 30) + 1.0
        if bought:
            t += rng.uniform(60, 900)
            self._orders += 1
            order_id = self._orders * self.plan.shards + self.plan.shard
            items = []
            for pid in bought:
                self._items += 1
                qty = 2 if rng.random() < 0.1 else 1
                items.append((self._items * self.plan.shards + self.plan.shard, pid, qty, rng.choice("PMGU")))
            out.append((t, "order", order_id, customer, platform, tuple(items), rng.random(), rng.random(),
                        rng.random(), rng.random()))
        self.pool.release(u, t + rng.uniform(3600, 3 * 86400))
        return out

    def session(self, t: float):
        kind = self.kind
        for rec in self.plan_session(t):
            if rec[1] == kind:
                yield rec

    def calibration_session(self, t: float):
        return iter(self.plan_session(t))
