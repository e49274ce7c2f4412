"""campaigns.csv (campaign-minute-report case): `network_id,campaign_id,campaign_name`, names
quoted. Campaign i depends only on (seed, i), so a longer list extends a shorter one and
view_log (same seed) draws its campaign ids from exactly these rows."""

from __future__ import annotations

import random
from pathlib import Path

from pulse.generate.core import Dataset
from pulse.generate.formats import write_csv

DEFAULT_CAMPAIGNS = 40
_THEMES = ("Spring Sale", "Summer Deals", "Back to School", "Black Friday", "Holiday Gifts", "New Arrivals",
           "Clearance", "Brand Awareness", "Retargeting", "App Install", "Loyalty", "Flash Sale")
_TARGETS = ("Shoes", "Dresses", "Electronics", "Home", "Sports", "Beauty", "Kids", "Travel", "Books", "Garden")


def campaign(seed: int, i: int) -> tuple[int, int, str]:
    """(network_id, campaign_id, campaign_name) of the i-th campaign; ids increase with i."""
    r = random.Random(f"{seed}:campaign:{i}")
    network = 1 + r.randrange(max(2, 1 + i // 8)) % 6  # a few networks, 1..6
    cid = 1000 + i * 17 + r.randrange(17)
    name = f'{r.choice(_THEMES)} {2020 + r.randrange(6)} - {r.choice(_TARGETS)}'
    if r.random() < 0.15:
        name += ', "limited"'  # commas and quotes inside a name: why the names are quoted
    return network, cid, name


def campaign_ids_from_csv(path: Path) -> list[int]:
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "campaign_id" not in rows[0]:
        raise ValueError(f"{path}: not a campaigns.csv (needs a campaign_id column and at least one row)")
    try:
        return [int(r["campaign_id"]) for r in rows]
    except ValueError as exc:
        raise ValueError(f"{path}: bad campaign_id ({exc})") from None


class Campaigns(Dataset):
    name = "campaigns"
    help = "campaigns.csv: network_id,campaign_id,\"campaign_name\" (a reference table)"
    static = True
    fields = ("network_id", "campaign_id", "campaign_name")
    bad_kinds = ("malformed_json", "missing_field", "wrong_type")
    wrong_types = {"campaign_id": "C-12", "network_id": "n/a"}

    def static_rows(self):
        for i in range(self.plan.count or DEFAULT_CAMPAIGNS):
            yield (0.0, *campaign(self.plan.seed, i))

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        return {"network_id": rec[1], "campaign_id": rec[2], "campaign_name": rec[3]}

    def write_files(self, stream, out: Path) -> list:
        path = out / "campaigns.csv"
        write_csv(self, stream, path, quote_fields=("campaign_name",))
        return [path]
