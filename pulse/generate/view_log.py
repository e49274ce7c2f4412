"""Banner views (campaign-minute-report case): published at end_timestamp, campaign ids from
campaigns.csv (the same seed's catalogue, or `--campaigns-file`), Zipf-popular campaigns,
a few banners per campaign, log-normal view durations."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pulse.generate.campaigns import DEFAULT_CAMPAIGNS, campaign, campaign_ids_from_csv
from pulse.generate.core import Dataset, Picker, iso_ms, uuid_text, zipf_weights
from pulse.generate.formats import write_jsonl


class ViewLog(Dataset):
    name = "view_log"
    help = "banner views, published at end_timestamp (topic view_log; JSON lines as files)"
    fields = ("view_id", "start_timestamp", "end_timestamp", "banner_id", "campaign_id")
    bad_kinds = ("malformed_json", "missing_field", "wrong_type", "negative_duration")
    wrong_types = {"banner_id": "banner-7", "campaign_id": "abc", "start_timestamp": "soon"}
    sessions_per_user_day = 20.0

    def setup(self) -> None:
        path = self.plan.options.get("campaigns_file")
        if path:
            self.campaigns = campaign_ids_from_csv(Path(path))
        else:
            n = self.plan.catalog or DEFAULT_CAMPAIGNS
            self.campaigns = [campaign(self.plan.seed, i)[1] for i in range(n)]
        order = np.random.default_rng(self.plan.seed).permutation(len(self.campaigns))
        self._campaign = Picker(self.np_rng, zipf_weights(len(self.campaigns), 0.9)[order])

    def session(self, t: float):
        # One view per "session": the arrival process is the stream of views ending.
        rng = self.rng
        campaign_id = self.campaigns[self._campaign()]
        banner = campaign_id * 100 + 1 + int(rng.random() ** 2 * 5)
        duration = min(max(rng.lognormvariate(2.0, 0.9), 0.2), 600.0)
        yield (t, uuid_text(rng), t - duration, banner, campaign_id)

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        return {"view_id": rec[1], "start_timestamp": iso_ms(rec[2] + shift), "end_timestamp": iso_ms(rec[0] + shift),
                "banner_id": rec[3], "campaign_id": rec[4]}

    def kafka_key(self, rec) -> bytes:
        return rec[1].encode()

    def kafka_value(self, rec, shift: float = 0.0) -> bytes:
        return (f'{{"view_id":"{rec[1]}","start_timestamp":"{iso_ms(rec[2] + shift)}",'
                f'"end_timestamp":"{iso_ms(rec[0] + shift)}","banner_id":{rec[3]},"campaign_id":{rec[4]}}}').encode()

    def negate_duration(self, d: dict) -> None:
        d["start_timestamp"], d["end_timestamp"] = d["end_timestamp"], d["start_timestamp"]

    def write_files(self, stream, out: Path) -> list:
        path = out / "view_log.jsonl"
        write_jsonl(self, stream, path)
        return [path]
