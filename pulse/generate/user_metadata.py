"""user_metadata (lakehouse case), in the format of the challenge's `user_metadata_sample.csv`:
`user_id,join_date,country,device_type,subscription_type`, with the challenge generator's
vocabularies, each drawn uniformly (docs/generators.md).

The challenge draws every row's user id from 1..1,000,000 with replacement, so its 100,000 rows
hold about 95,200 distinct users and about 4.9% of them appear on two or more rows, each row with
independently drawn (so conflicting) attributes. Here user i gets a zero-truncated Poisson number
of rows with the same mean rows per id (0.1): the same share of users on 2, 3 or more rows.
`--users N` gives users u000001..uN (the ids user_interactions uses with the same --users);
`--count N` instead gives exactly N rows (about 0.952 N users), like the challenge's sample size.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from pulse.generate.core import Dataset
from pulse.generate.user_interactions import lakehouse_user

COUNTRIES = ("US", "UK", "CA", "AU", "DE", "FR", "JP", "IN", "BR", "MX")
DEVICES = ("iPhone", "iPad", "Android Phone", "Android Tablet", "Windows", "Mac")
SUBSCRIPTIONS = ("free", "basic", "premium", "enterprise")
FIRST_JOIN = date(2020, 1, 1)
JOIN_DAYS = (date(2023, 12, 31) - FIRST_JOIN).days + 1  # both ends inclusive, as in the challenge
ROWS_PER_ID = 0.1  # the challenge's 100,000 rows over 1,000,000 possible ids


def rows_for_user(r: random.Random, mean: float = ROWS_PER_ID) -> int:
    """How many rows a user who appears at all gets: Poisson(mean) given at least one, by inversion."""
    u = r.random() * -math.expm1(-mean)  # uniform below P(k >= 1)
    k, p = 1, mean * math.exp(-mean)
    cumulative = p
    while u > cumulative:
        k += 1
        p *= mean / k
        cumulative += p
    return k


class UserMetadata(Dataset):
    name = "user_metadata"
    help = "lakehouse user_metadata CSV in the challenge's format; some user ids on several conflicting rows"
    static = True
    fields = ("user_id", "join_date", "country", "device_type", "subscription_type")
    wrong_types = {"join_date": "last year"}

    def _row(self, r: random.Random, user: str) -> tuple:
        joined = FIRST_JOIN + timedelta(days=int(r.random() * JOIN_DAYS))
        return (0.0, user, joined.isoformat(), r.choice(COUNTRIES), r.choice(DEVICES), r.choice(SUBSCRIPTIONS))

    def _user_rows(self, gidx: int) -> list[tuple]:
        r = random.Random(f"{self.plan.seed}:lh-user:{gidx}")
        user = lakehouse_user(gidx)
        rows: list[tuple] = []
        for _ in range(rows_for_user(r)):
            row = self._row(r, user)
            while any(row[2:] == seen[2:] for seen in rows):  # 1 in 350,000: keep rows conflicting
                row = self._row(r, user)
            rows.append(row)
        return rows

    def static_rows(self):
        rows: list[tuple] = []
        count = self.plan.count if self.plan.users is None else None
        gidx = 0
        while (gidx < self.users) if count is None else (len(rows) < count):
            rows.extend(self._user_rows(gidx))
            gidx += 1
        if count is not None:
            del rows[count:]
        self.rng.shuffle(rows)
        yield from rows

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        return dict(zip(self.fields, rec[1:], strict=True))
