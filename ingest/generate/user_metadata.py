"""user_metadata (lakehouse case): `user_id,join_date,country,device_type,subscription_type`;
about 5% of users appear twice with conflicting attributes, as in the challenge's sample."""

from __future__ import annotations

import random
from datetime import date, timedelta

from .core import Dataset
from .user_interactions import lakehouse_user

COUNTRIES = ("US", "UK", "DE", "FR", "BR", "IN", "JP", "CA", "ES", "AU")
DEVICES = ("mobile", "desktop", "tablet")
SUBSCRIPTIONS = ("free", "basic", "premium")
DUPLICATE_SHARE = 0.05


class UserMetadata(Dataset):
    name = "user_metadata"
    help = "lakehouse user_metadata CSV, with duplicate user ids holding conflicting attributes"
    sink = "files"
    static = True
    fields = ("user_id", "join_date", "country", "device_type", "subscription_type")
    wrong_types = {"join_date": "last year"}

    def _row(self, r: random.Random, gidx: int) -> tuple:
        joined = date(2022, 1, 1) + timedelta(days=r.randrange(730))
        return (0.0, lakehouse_user(gidx), joined.isoformat(), r.choice(COUNTRIES), r.choice(DEVICES),
                r.choices(SUBSCRIPTIONS, (0.6, 0.25, 0.15))[0])

    def static_rows(self):
        rows = []
        for gidx in range(self.users):
            r = random.Random(f"{self.plan.seed}:lh-user:{gidx}")
            first = self._row(r, gidx)
            rows.append(first)
            if r.random() < DUPLICATE_SHARE:
                second = self._row(r, gidx)
                while second[2:] == first[2:]:
                    second = self._row(r, gidx)
                rows.append(second)
        self.rng.shuffle(rows)
        yield from rows

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        return dict(zip(self.fields, rec[1:], strict=True))
