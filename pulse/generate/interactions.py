"""User-item interactions (interactions-realtime case): funnels view -> click -> add_to_cart ->
purchase inside sessions, Zipf-popular items, occasional likes and shares."""

from __future__ import annotations

from pulse.generate.core import Dataset, Picker, UserPool, iso_ms, zipf_weights

TYPES = ("view", "click", "add_to_cart", "purchase", "like", "share")


class Interactions(Dataset):
    name = "interactions"
    help = "user-item interactions with funnels (topic interactions; CSV as files)"
    fields = ("user_id", "item_id", "interaction_type", "timestamp")
    sessions_per_user_day = 2.0
    wrong_types = {"timestamp": "last tuesday"}

    def setup(self) -> None:
        self.pool = UserPool(self.plan, self.users)
        self._item = Picker(self.np_rng, zipf_weights(self.plan.catalog or 5000, 1.1))

    def session(self, t: float):
        rng = self.rng
        u = self.pool.acquire(t)
        user = f"u{self.pool.global_index(self.plan, u):07d}"
        cart: list[str] = []
        for _ in range(max(1, int(rng.expovariate(1 / 6)))):
            item = f"item-{self._item():06d}"
            yield (t, user, item, "view")
            t += rng.expovariate(1 / 15) + 0.2
            if rng.random() < 0.30:
                yield (t, user, item, "click")
                t += rng.expovariate(1 / 20) + 0.2
                if rng.random() < 0.25:
                    yield (t, user, item, "add_to_cart")
                    cart.append(item)
                    t += rng.expovariate(1 / 10) + 0.2
            elif rng.random() < 0.03:
                yield (t, user, item, "like" if rng.random() < 0.7 else "share")
                t += rng.expovariate(1 / 10) + 0.2
        for item in cart:
            if rng.random() < 0.4:
                t += rng.expovariate(1 / 30) + 0.5
                yield (t, user, item, "purchase")
        self.pool.release(u, t + rng.uniform(30 * 60, 10 * 3600))

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        return {"user_id": rec[1], "item_id": rec[2], "interaction_type": rec[3], "timestamp": iso_ms(rec[0] + shift)}

    def kafka_key(self, rec) -> bytes:
        return rec[1].encode()

    def kafka_value(self, rec, shift: float = 0.0) -> bytes:
        return (f'{{"user_id":"{rec[1]}","item_id":"{rec[2]}","interaction_type":"{rec[3]}",'
                f'"timestamp":"{iso_ms(rec[0] + shift)}"}}').encode()
