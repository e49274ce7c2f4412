"""Alerts: a generated spike fires exactly once (log, export, a real webhook server), normal
traffic never fires, a restart does not fire again, and bad rule files fail with a clear line."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest.lake import write_rows
from ingest.sources import get_source
from pulse.alerts import Alerter, alerts_export_path, load_rules, read_alerts
from pulse.generate import Plan
from pulse.generate.core import generated_records
from pulse.generate.interactions import Interactions
from pulse.live.lake_watch import LakeWatch
from tests.conftest import free_port

SPIKE_ITEM = "item-spike"


class Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    Hook.received = []
    server = HTTPServer(("127.0.0.1", free_port()), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", Hook.received
    server.shutdown()


def normal_traffic() -> list[dict]:
    start = datetime(2024, 5, 1, tzinfo=UTC).timestamp()
    plan = Plan(seed=7, start=start, end=start + 600, count=20_000)
    ds = Interactions(plan)
    return [ds.as_dict(rec) for rec in generated_records(Interactions, plan)]


class Landing:
    """Lands records as the Kafka ingester would: one file per batch named by its offsets."""

    def __init__(self, settings):
        self.settings = settings
        self.spec = get_source("interactions")
        self.offset = 0

    def land(self, records: list[dict]) -> None:
        rows = []
        for i, rec in enumerate(records):
            row = self.spec.parse(rec)
            row.update(_source="interactions", _ingested_at=datetime(2024, 5, 1), _topic="interactions",
                       _partition=0, _offset=self.offset + i, _file=None, _row=None)
            rows.append(row)
        name = f"interactions+0+{self.offset}-{self.offset + len(records) - 1}"
        write_rows(self.settings, self.spec, rows, name)
        self.offset += len(records)


def rules_file(tmp_path: Path, threshold: int, webhook_url: str) -> Path:
    path = tmp_path / "alerts.yml"
    path.write_text(f"""
webhook_url: {webhook_url}
rules:
  - name: hot_item
    description: An item's interactions in one minute exceed the threshold
    metric: events
    source: interactions
    key: item_id
    window: 1m
    threshold: {threshold}
""")
    return path


def per_item_minute_max(records: list[dict]) -> int:
    return max(Counter((r["item_id"], r["timestamp"][:16]) for r in records).values())


def test_spike_fires_exactly_once_and_normal_traffic_never(settings, tmp_path, webhook):
    url, received = webhook
    traffic = normal_traffic()
    threshold = per_item_minute_max(traffic) + 20  # normal traffic stays below by construction
    config = load_rules(rules_file(tmp_path, threshold, url), env={})
    watch = LakeWatch(settings, [get_source("interactions")])
    alerter = Alerter(settings, config)
    landing = Landing(settings)

    def cycle() -> list:
        new = watch.scan()
        return alerter.evaluate({s: d.files for s, d in new.items()})

    # Normal traffic over ten cycles: nothing fires.
    for i in range(10):
        landing.land(traffic[i * 2000:(i + 1) * 2000])
        assert cycle() == []

    # A spike on one item inside minute 00:05, split over three cycles: it crosses the threshold
    # in the second and must not fire again in the third.
    spike = [{"user_id": f"u{i}", "item_id": SPIKE_ITEM, "interaction_type": "view",
              "timestamp": f"2024-05-01T00:05:{i % 60:02d}.000Z"} for i in range(threshold + 30)]
    landing.land(spike[: threshold // 2])
    assert cycle() == []
    landing.land(spike[threshold // 2: threshold + 5])
    fired = cycle()
    assert [(a.rule, a.key, str(a.window_start)) for a in fired] == [("hot_item", SPIKE_ITEM, "2024-05-01 00:05:00")]
    landing.land(spike[threshold + 5:])
    assert cycle() == []

    # Written once to the log, the export and the webhook (a real HTTP server).
    [logged] = read_alerts(settings)
    assert logged["key"] == SPIKE_ITEM and logged["value"] > threshold
    assert pq.read_table(alerts_export_path(settings)).num_rows == 1
    assert len(received) == 1 and received[0]["rule"] == "hot_item" and received[0]["key"] == SPIKE_ITEM

    # A restart reads the whole lake again and remembers what already fired.
    restarted = Alerter(settings, config)
    again = LakeWatch(settings, [get_source("interactions")]).scan()
    assert restarted.evaluate({s: d.files for s, d in again.items()}) == []
    assert len(received) == 1


def test_a_backlog_landed_in_one_cycle_fires_for_its_older_windows(settings, tmp_path, webhook):
    """Windows far behind the newest are dropped to bound memory, but only after they were
    evaluated: a spike twenty minutes before the newest record of the same batch still fires."""
    url, _ = webhook
    config = load_rules(rules_file(tmp_path, 20, url), env={})
    watch = LakeWatch(settings, [get_source("interactions")])
    alerter = Alerter(settings, config)
    spike = [{"user_id": f"u{i}", "item_id": SPIKE_ITEM, "interaction_type": "view",
              "timestamp": f"2024-05-01T00:05:{i:02d}.000Z"} for i in range(30)]
    newest = [{"user_id": "u0", "item_id": "item-0", "interaction_type": "view",
               "timestamp": "2024-05-01T00:25:00.000Z"}]
    Landing(settings).land(spike + newest)
    new = watch.scan()
    fired = alerter.evaluate({s: d.files for s, d in new.items()})
    assert [(a.key, str(a.window_start), a.value) for a in fired] == [(SPIKE_ITEM, "2024-05-01 00:05:00", 30.0)]


def test_ingest_lag_fires_once_per_window(settings, tmp_path):
    path = tmp_path / "alerts.yml"
    path.write_text("rules:\n  - {name: lag, metric: ingest_lag_seconds, key: source, window: 5m, threshold: 144}\n")
    alerter = Alerter(settings, load_rules(path, env={}))
    t = 1_714_521_600.0  # a 5-minute boundary
    assert alerter.evaluate(lag_seconds={"view_log": 10.0}, now=t) == []
    assert [a.key for a in alerter.evaluate(lag_seconds={"view_log": 150.0}, now=t + 1)] == ["view_log"]
    assert alerter.evaluate(lag_seconds={"view_log": 170.0}, now=t + 200) == []  # same window
    assert len(alerter.evaluate(lag_seconds={"view_log": 170.0}, now=t + 301)) == 1  # next window


def test_webhook_failure_is_logged_not_fatal(settings, tmp_path):
    path = tmp_path / "alerts.yml"
    path.write_text(f"webhook_url: http://127.0.0.1:{free_port()}/nobody\n"
                    "rules:\n  - {name: lag, metric: ingest_lag_seconds, window: 1m, threshold: 1}\n")
    alerter = Alerter(settings, load_rules(path, env={}), timeout_s=1)
    assert len(alerter.evaluate(lag_seconds={"interactions": 5.0}, now=1_714_521_600.0)) == 1
    assert alerter.webhook_errors == 1
    assert len(read_alerts(settings)) == 1


@pytest.mark.parametrize("body, reason", [
    ("rules:\n  - {name: a, metric: nope, threshold: 1}\n", "metric must be one of"),
    ("rules:\n  - {name: a, metric: events, threshold: 1}\n", "needs a `source`"),
    ("rules:\n  - {name: a, metric: events, source: interactions, threshold: lots}\n", "threshold must be a number"),
    ("rules:\n  - {name: a, metric: events, source: interactions, threshold: 1, window: soon}\n", "positive duration"),
    ("rules: [\n", "not valid YAML"),
])
def test_bad_rules_name_the_file_and_rule(tmp_path, body, reason):
    path = tmp_path / "alerts.yml"
    path.write_text(body)
    with pytest.raises(ValueError, match=reason) as exc:
        load_rules(path, env={})
    assert str(path) in str(exc.value)


def test_shipped_rules_file_is_valid():
    config = load_rules(Path(__file__).resolve().parents[2] / "alerts.yml", env={})
    assert {r.name for r in config.rules} >= {"hot_item", "ingest_lag"}


def test_a_sql_rule_reads_an_hourly_export(settings, tmp_path):
    """`{fct_streams}` in a rule's SQL is the mart's hourly export: every hour's file."""
    import duckdb

    folder = settings.exports_dir / "fct_streams"
    con = duckdb.connect()
    for hour, duration in (("10", 30.0), ("11", 7200.0)):
        hour_dir = folder / f"start_time_hour=2024-05-01T{hour}"
        hour_dir.mkdir(parents=True)
        con.execute(f"copy (select 'u{hour}' as user_id, timestamp '2024-05-01 {hour}:05:00' as start_time,"
                    f" cast({duration} as double) as stream_duration) to '{hour_dir}/data_0.parquet'")
    path = tmp_path / "alerts.yml"
    path.write_text("rules:\n  - name: long_stream\n    metric: sql\n    window: 1h\n    threshold: 3600\n"
                    "    sql: select user_id as key, start_time as window_start, stream_duration as value"
                    " from {fct_streams}\n")
    alerter = Alerter(settings, load_rules(path, env={}))
    assert [a.key for a in alerter.evaluate(now=datetime(2024, 5, 1, 12, tzinfo=UTC).timestamp())] == ["u11"]
