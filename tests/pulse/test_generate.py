"""Generators in files mode (no broker): formats, determinism, realism, injected faults.

Where a dataset's source spec is registered (`ingest.sources.SOURCES`) its files are also landed
with `ingest_files`, so the generator and the loader agree; the format is checked directly too.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import re
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from ingest.files import ingest_files
from ingest.sources import SOURCES
from pulse.cli import main as pulse
from pulse.generate import DATASETS
from pulse.generate.faults import Faults
from pulse.generate.producer import murmur2_many
from pulse.generate.runner import Options, run
from tests.conftest import REPO

DAY = dict(start=datetime(2024, 5, 1), end=datetime(2024, 5, 2))


def generate(settings, name: str, out: Path, **kw):
    opts = Options(dataset=name, to="files", out=out, **{**DAY, "users": 150, **kw})
    return run(opts, settings)


def read_csv(path: Path, delimiter: str = ",") -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def land_if_registered(settings, source: str, files: list[str]) -> None:
    """Land with the source's spec when it is registered: every record lands, none quarantined.
    JSON-lines files only where the spec reads them (view_log, for one, is a topic-only source)."""
    if source not in SOURCES:
        return  # the spec is someone else's and not merged yet; the format is checked directly
    if files[0].endswith(".jsonl") and SOURCES[source].file_reader is None:
        return
    results = ingest_files(settings, source, files)
    for r in results:
        assert r.reconciles() and r.quarantined == 0 and r.landed > 0, r


def test_murmur2_many_equals_kafka_python_partitioner():
    from kafka.partitioner.default import murmur2

    rng = random.Random(5)
    keys = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 70))) for _ in range(400)]
    keys += [b"u0000001", b"8c004f71-7203-4ba9-7d6a-bfb074f02569", b""]
    assert murmur2_many(keys).tolist() == [murmur2(k) for k in keys]


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_seed_same_files_other_seed_other_files(settings, tmp_path, name):
    def files_of(out: Path, seed: int) -> dict[str, bytes]:
        generate(settings, name, out, seed=seed)
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    first, again, other = files_of(tmp_path / "a", 3), files_of(tmp_path / "b", 3), files_of(tmp_path / "c", 4)
    assert first and first == again
    assert first != other


def test_web_events_extract_format_and_sessions(settings, tmp_path):
    s = generate(settings, "web_events", tmp_path, faults=Faults(duplicate_fraction=0.01))
    rows = read_csv(tmp_path / "web_events.csv")
    assert list(rows[0]) == ["event_name", "user_id", "app_version", "event_time", "device_id", "client"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["user_id"]) and re.fullmatch(r"[0-9a-f]{64}", r["device_id"])
               for r in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})? UTC", r["event_time"]) for r in rows)
    assert {len(r["event_time"]) for r in rows} > {23}  # 0 to 6 fraction digits, like the extract
    times = [r["event_time"] for r in rows]
    assert times != sorted(times)  # not sorted, like the extract
    assert len(rows) - len({tuple(r.values()) for r in rows}) == s.duplicates > 0
    # Per-user devices and app version: one version per user, at most two devices.
    by_user = defaultdict(set)
    for r in rows:
        by_user[r["user_id"]].add((r["app_version"], r["device_id"]))
    assert all(len({v for v, _ in pairs}) == 1 and len({d for _, d in pairs}) <= 2 for pairs in by_user.values())
    # Sessions are separated: within a user, gaps are under 20 minutes or over 35 minutes.
    ts = defaultdict(list)
    for r in rows:
        ts[r["user_id"]].append(datetime.fromisoformat(r["event_time"][:-4]).timestamp())
    gaps = [b - a for t in ts.values() for a, b in zip(sorted(t), sorted(t)[1:], strict=False)]
    assert gaps and not [g for g in gaps if 20 * 60 < g < 35 * 60]
    land_if_registered(settings, "web_events", [str(tmp_path / "web_events.csv")])


def test_interactions_funnels_zipf_and_daily_cycle(settings, tmp_path):
    generate(settings, "interactions", tmp_path, users=400)
    rows = read_csv(tmp_path / "interactions.csv")
    assert list(rows[0]) == ["user_id", "item_id", "interaction_type", "timestamp"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["timestamp"]) for r in rows)
    types = Counter(r["interaction_type"] for r in rows)
    assert types["view"] > types["click"] > types["add_to_cart"] > types["purchase"] > 0
    # A funnel step never comes before the step it follows, for one user and item.
    seen = defaultdict(set)
    before = {"click": "view", "add_to_cart": "click", "purchase": "add_to_cart"}
    for r in rows:
        key = (r["user_id"], r["item_id"])
        if r["interaction_type"] in before:
            assert before[r["interaction_type"]] in seen[key], r
        seen[key].add(r["interaction_type"])
    # Zipf popularity: the top 1% of items get a large share of the views.
    views = Counter(r["item_id"] for r in rows if r["interaction_type"] == "view")
    top = sum(c for _, c in views.most_common(max(1, len(views) // 100)))
    assert top / sum(views.values()) > 0.15
    # Daily cycle: the evening (18-22 UTC) is busier than the early morning (05-09 UTC).
    hours = Counter(int(r["timestamp"][11:13]) for r in rows)
    assert sum(hours[h] for h in range(18, 22)) > 2 * sum(hours[h] for h in range(5, 9))
    land_if_registered(settings, "interactions", [str(tmp_path / "interactions.csv")])


def test_watch_events_tick_every_4_seconds_per_stream(settings, tmp_path):
    generate(settings, "watch_events", tmp_path, users=40)
    rows = [json.loads(line) for line in (tmp_path / "watch_events.jsonl").read_text().splitlines()]
    assert set(rows[0]) == {"user_id", "program_id", "start_time", "session_id", "device", "event_time"}
    streams = defaultdict(list)
    for r in rows:
        streams[(r["session_id"], r["program_id"], r["start_time"])].append(
            datetime.fromisoformat(r["event_time"][:-1]).timestamp())
    gaps = [b - a for t in streams.values() for a, b in zip(t, t[1:], strict=False)]
    inside = [g for g in gaps if g < 60]
    assert len(inside) > 0.9 * len(gaps) and all(3.9 <= g <= 4.1 for g in inside)
    assert len({r["user_id"] for r in rows}) > 10 and len({r["program_id"] for r in rows}) > 10
    land_if_registered(settings, "watch_events", [str(tmp_path / "watch_events.jsonl")])


def test_campaigns_quoted_and_view_log_uses_their_ids(settings, tmp_path):
    generate(settings, "campaigns", tmp_path, count=30)
    lines = (tmp_path / "campaigns.csv").read_text().splitlines()
    assert lines[0] == "network_id,campaign_id,campaign_name"
    assert all(re.fullmatch(r'\d+,\d+,".*"', line) for line in lines[1:])
    campaigns = read_csv(tmp_path / "campaigns.csv")
    assert len(campaigns) == 30 and len({c["campaign_id"] for c in campaigns}) == 30
    ids = {int(c["campaign_id"]) for c in campaigns}

    generate(settings, "view_log", tmp_path, catalog=30, users=50)
    views = [json.loads(line) for line in (tmp_path / "view_log.jsonl").read_text().splitlines()]
    assert set(views[0]) == {"view_id", "start_timestamp", "end_timestamp", "banner_id", "campaign_id"}
    assert {v["campaign_id"] for v in views} <= ids
    assert all(isinstance(v["banner_id"], int) and v["start_timestamp"] <= v["end_timestamp"] for v in views)
    ends = [v["end_timestamp"] for v in views]
    assert ends == sorted(ends)  # published at end_timestamp
    # --campaigns-file: ids come from that file.
    (tmp_path / "few.csv").write_text('network_id,campaign_id,campaign_name\n1,7,"a"\n2,9,"b"\n')
    generate(settings, "view_log", tmp_path / "few", campaigns_file=str(tmp_path / "few.csv"), users=10)
    few = [json.loads(line) for line in (tmp_path / "few" / "view_log.jsonl").read_text().splitlines()]
    assert {v["campaign_id"] for v in few} == {7, 9}
    land_if_registered(settings, "campaigns", [str(tmp_path / "campaigns.csv")])
    land_if_registered(settings, "view_log", [str(tmp_path / "view_log.jsonl")])


def test_product_views_and_orders_agree_with_a_plausible_ctr(settings, tmp_path):
    generate(settings, "product_views", tmp_path, users=3000)
    generate(settings, "orders", tmp_path, users=3000)
    root = tmp_path / "product_views"
    assert sorted(p.name for p in root.iterdir()) == ["Android", "MobileWeb", "iOS"]
    viewed: Counter = Counter()
    for path in root.rglob("*.json"):
        batches = json.loads(path.read_text())
        assert isinstance(batches, list) and batches
        for b in batches:
            assert {"events", "mpid", "timestamp_unixtime_ms", "batch_id", "message_id", "message_type",
                    "schema_version"} <= set(b) and "platform" not in b
            for e in b["events"]:
                d = e["data"]
                if e["event_type"] == "custom_event" and d["event_name"] == "product":
                    viewed[(path.parent.name, d["custom_attributes"]["codeColor"])] += 1
    orders = read_csv(tmp_path / "orders.csv", ";")
    items = read_csv(tmp_path / "order_items.csv", ";")
    assert list(orders[0])[:4] == ["id", "user_id", "order_date", "order_subtotal"]
    assert list(items[0]) == ["id", "order_id", "sku", "quantity", "code_color"]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", o["order_date"]) for o in orders)
    assert {o["device_type"] for o in orders} <= {"iOS", "Android", "MobileWeb"}
    assert "DELIVERED" in {o["order_status"] for o in orders}
    platform = {o["id"]: o["device_type"] for o in orders}
    bought = Counter((platform[i["order_id"]], i["code_color"]) for i in items)
    assert set(bought) <= set(viewed)  # every purchase is of a product viewed on that platform
    ctr = sum(bought.values()) / sum(viewed.values())
    assert 0.008 < ctr < 0.035, ctr
    land_if_registered(settings, "orders", [str(tmp_path / "orders.csv")])
    land_if_registered(settings, "order_items", [str(tmp_path / "order_items.csv")])
    if "product_views" in SOURCES:
        # Every product view lands; whether the spec lands or quarantines the few non-product
        # events (category, screen_view) is its own choice, so only reconciliation is asked of them.
        results = ingest_files(settings, "product_views", [str(p) for p in sorted(root.rglob("*.json"))])
        assert all(r.reconciles() for r in results)
        assert sum(r.landed for r in results) >= sum(viewed.values())


# The challenge generator's vocabularies and formats (docs/generators.md).
CHALLENGE_ACTIONS = {"page_view", "edit", "create", "delete", "share"}
CHALLENGE_COUNTRIES = {"US", "UK", "CA", "AU", "DE", "FR", "JP", "IN", "BR", "MX"}
CHALLENGE_DEVICES = {"iPhone", "iPad", "Android Phone", "Android Tablet", "Windows", "Mac"}
CHALLENGE_PLANS = {"free", "basic", "premium", "enterprise"}


def test_lakehouse_csvs_have_the_challenge_formats_and_vocabularies(settings, tmp_path):
    generate(settings, "user_interactions", tmp_path, users=300)
    generate(settings, "user_metadata", tmp_path, users=300)
    acts = read_csv(tmp_path / "user_interactions.csv")
    assert list(acts[0]) == ["user_id", "timestamp", "action_type", "page_id", "duration_ms", "app_version"]
    assert len(acts) > 1000
    assert all(re.fullmatch(r"u\d{6,}", a["user_id"]) and re.fullmatch(r"p\d{6,}", a["page_id"]) for a in acts)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", a["timestamp"]) for a in acts)
    assert all(re.fullmatch(r"[5-7]\.\d\.\d", a["app_version"]) for a in acts)
    assert {a["action_type"] for a in acts} == CHALLENGE_ACTIONS
    # duration_ms uniform in 100..300000, as the challenge draws it: mean and quartiles of a uniform.
    durations = sorted(int(a["duration_ms"]) for a in acts)
    assert 100 <= durations[0] and durations[-1] <= 300000
    n = len(durations)
    assert abs(sum(durations) / n - 150050) < 150000 / n ** 0.5 * 4
    assert abs(durations[n // 4] - 75075) < 12000 and abs(durations[3 * n // 4] - 225025) < 12000
    # Actions uniform over the five types.
    assert max(Counter(a["action_type"] for a in acts).values()) < n / 5 * 1.25

    meta = read_csv(tmp_path / "user_metadata.csv")
    assert list(meta[0]) == ["user_id", "join_date", "country", "device_type", "subscription_type"]
    assert {m["country"] for m in meta} == CHALLENGE_COUNTRIES
    assert {m["device_type"] for m in meta} == CHALLENGE_DEVICES
    assert {m["subscription_type"] for m in meta} == CHALLENGE_PLANS
    assert all("2020-01-01" <= m["join_date"] <= "2023-12-31" for m in meta)
    by_user = defaultdict(list)
    for m in meta:
        by_user[m["user_id"]].append(tuple(m.values()))
    assert set(by_user) == {f"u{i:06d}" for i in range(1, 301)}
    twice = [rows for rows in by_user.values() if len(rows) > 1]
    assert twice and all(len(set(rows)) == len(rows) for rows in twice)  # repeated ids conflict
    assert {a["user_id"] for a in acts} <= set(by_user)
    land_if_registered(settings, "user_interactions", [str(tmp_path / "user_interactions.csv")])
    land_if_registered(settings, "user_metadata", [str(tmp_path / "user_metadata.csv")])


# The committed real-format lakehouse fixtures (tests/fixtures/<dataset>/<dataset>_sample.csv,
# built by `make dbt-fixture`) and the `pulse generate` arguments that wrote them.
LAKEHOUSE_FIXTURES = {
    "user_metadata": ["--users", "20", "--seed", "18"],
    "user_interactions": ["--users", "24", "--start", "2023-03-01", "--end", "2023-03-03", "--seed", "18",
                          "--duplicate-fraction", "0.03", "--bad-fraction", "0.03"],
}


@pytest.mark.parametrize("dataset", sorted(LAKEHOUSE_FIXTURES))
def test_lakehouse_fixtures_are_what_pulse_generate_writes(settings, tmp_path, dataset):
    args = LAKEHOUSE_FIXTURES[dataset]
    assert pulse(["generate", dataset, *args, "--out", str(tmp_path), "--quiet"]) == 0
    committed = REPO / "tests" / "fixtures" / dataset / f"{dataset}_sample.csv"
    assert (tmp_path / f"{dataset}.csv").read_bytes() == committed.read_bytes(), (
        f"regenerate with: pulse generate {dataset} {' '.join(args)} --out DIR, then copy DIR/{dataset}.csv "
        f"to {committed.relative_to(REPO)}")


def test_user_metadata_count_repeats_user_ids_like_the_challenge_sample(settings, tmp_path):
    """The challenge's 100,000 rows draw ids from a million with replacement: about 95,160 distinct
    users, 4.9% of them on several rows. --count asks for rows and gets exactly that many."""
    generate(settings, "user_metadata", tmp_path, users=None, count=20000)
    meta = read_csv(tmp_path / "user_metadata.csv")
    assert len(meta) == 20000
    rows_per_user = Counter(Counter(m["user_id"] for m in meta).values())
    users = sum(rows_per_user.values())
    assert abs(users / 20000 - 0.9516) < 0.004
    assert abs((users - rows_per_user[1]) / users - 0.0492) < 0.006
    assert rows_per_user[3] > 0


def test_user_interactions_sessions_are_separable_by_the_30_minute_gap(settings, tmp_path):
    """pulse's addition: a user's actions come in sessions, starts under 30 min apart inside one and
    30+ min between two, so the case's session rule finds the sessions the generator made."""
    generate(settings, "user_interactions", tmp_path, users=100, start=datetime(2023, 3, 1), end=datetime(2023, 3, 8))
    times = defaultdict(list)
    for a in read_csv(tmp_path / "user_interactions.csv"):
        times[a["user_id"]].append(datetime.fromisoformat(a["timestamp"]))
    gaps = [(b - a).total_seconds() for ts in map(sorted, times.values()) for a, b in itertools.pairwise(ts)]
    inside = [g for g in gaps if g < 1800]
    assert inside and len(inside) < len(gaps)
    assert not [g for g in gaps if 1800 <= g < 1900]  # no gap is ambiguous


def test_injected_faults_appear_at_the_requested_fractions(settings, tmp_path):
    faults = Faults(late_fraction=0.1, max_delay=30, duplicate_fraction=0.05, bad_fraction=0.08)
    s = generate(settings, "interactions", tmp_path, users=400, faults=faults)
    n = s.sent
    assert n > 5000
    originals = n - s.duplicates
    assert abs(s.late / originals - 0.10) < 0.02
    assert abs(s.duplicates / originals - 0.05) < 0.015
    assert abs(sum(s.bad.values()) / originals - 0.08) < 0.02
    assert set(s.bad) == {"malformed_json", "missing_field", "wrong_type"}
    lines = (tmp_path / "interactions.csv").read_text().splitlines()[1:]
    assert len(lines) == n
    # Exact duplicates are in the file as often as reported (a bad record may be duplicated too).
    assert len(lines) - len(set(lines)) >= s.duplicates - 5
    # Late records lie back in time: out of order against what came before them.
    good = [r for r in read_csv(tmp_path / "interactions.csv") if re.fullmatch(r"\d{4}-.*Z", r["timestamp"] or "")]
    latest, out_of_order = "", 0
    for r in good:
        out_of_order += r["timestamp"] < latest
        latest = max(latest, r["timestamp"])
    assert 0.7 * s.late < out_of_order <= s.late * 1.1
    if "interactions" in SOURCES:
        [r] = ingest_files(settings, "interactions", [str(tmp_path / "interactions.csv")])
        bad_with_copies = r.quarantined
        assert r.reconciles() and sum(s.bad.values()) <= bad_with_copies <= sum(s.bad.values()) * 1.1


def test_options_are_checked(settings, tmp_path):
    with pytest.raises(ValueError, match="--to files"):
        run(Options(dataset="campaigns", to="kafka"), settings)
    with pytest.raises(ValueError, match="--end"):
        run(Options(dataset="interactions", to="files", out=tmp_path, start=datetime(2024, 5, 2),
                    end=datetime(2024, 5, 1)), settings)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(bad_fraction=1.5)
    with pytest.raises(ValueError, match="unknown dataset"):
        run(Options(dataset="nope", to="files"), settings)


def test_every_source_has_a_generator_and_its_sink_follows_the_spec():
    """A new source (ingest/sources/) needs its generator: this fails until one is registered."""
    from ingest.sources import SOURCES
    from pulse.generate import DATASETS

    generated = {name for cls in DATASETS.values() for name in (cls.name, *cls.also_writes)}
    assert generated == set(SOURCES)
    for name, cls in DATASETS.items():
        assert cls.sink == ("kafka" if SOURCES[name].kafka_topic else "files"), name


def test_a_generator_for_an_unknown_source_is_refused():
    from pulse.generate.core import Dataset

    with pytest.raises(TypeError, match="no source named 'nope'"):
        type("Nope", (Dataset,), {"name": "nope"})
