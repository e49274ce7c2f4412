"""One stream, four ways, the same marts: results are decided by the data, never by when pulse ran.

A producer streams banner views, watch heartbeats and interactions to a real broker for about
two and a half minutes, with duplicates (a view re-sent seconds later), out-of-order events,
views really late by their Kafka record timestamp (> minute end + 10 s), and one view from a slow
producer: on time by its Kafka timestamp, sent after its minute was reported. Then:
  (i)   `pulse run` live for the whole stream (data dir A);
  (ii)  `pulse ingest kafka --until-caught-up` + `dbt build` afterwards (B);
  (iii) `pulse run` stopped for two minutes mid-stream and restarted: the backlog lands two
        minutes after it arrived, far past the 10 s allowance (C);
  (iv)  `dbt build --full-refresh` over A's lake.
All four give identical minute reports (mart and report folder), late views, watch streams and
interaction aggregates, and the report and late views hold exactly what the topic implies.
Live, the slow producer's view rewrote its minute and is counted as a correction.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from tests.conftest import REPO, run_dbt_subprocess

pytestmark = pytest.mark.integration

SOURCES = ("view_log", "watch_events", "interactions")
STREAM_S = 150
DOWN_AT_S, DOWN_FOR_S = 10, 120  # (iii) stops 10 s in, for two minutes
CAMPAIGNS = {101: 1, 102: 1, 103: 2}
SELECT = ("stg_campaigns__views+", "stg_campaigns__campaigns+", "stg_streams__watch_events+",
          "stg_interactions__events+")
WAIT_S = 240
# Everything but bookkeeping (when pulse landed a row) and a stream's open/finished state, which
# follows the observer's clock (a live run closes the last streams, a batch run cannot yet).
MARTS = {
    "fct_campaign_views_minute": "",
    "fct_late_views": " exclude (landed_at)",
    "fct_streams": " exclude (is_open, last_ingested_at)",
    "fct_interactions_per_minute": " exclude (last_ingested_at)",
}


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Stream(threading.Thread):
    """The producer: about 40 messages/s for STREAM_S seconds, every record stamped by Kafka when
    sent (CreateTime), except the slow producer's view, which carries its original timestamp."""

    def __init__(self, bootstrap: str, topics: dict[str, str]):
        super().__init__(daemon=True)
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        self.topics = topics
        self.rng = random.Random(7)
        self.started_at = time.monotonic()
        self.error: BaseException | None = None
        self.slow_view: dict | None = None

    def send(self, source: str, record: dict, key: str, timestamp_ms: int | None = None) -> None:
        self.producer.send(self.topics[source], json.dumps(record).encode(), key=key.encode(),
                           timestamp_ms=timestamp_ms)

    def view(self, ends_before_s: float) -> dict:
        end = utcnow() - timedelta(seconds=ends_before_s)
        campaign = self.rng.choice(list(CAMPAIGNS))
        return {"view_id": uuid.uuid4().hex, "start_timestamp": iso(end - timedelta(seconds=self.rng.uniform(1, 30))),
                "end_timestamp": iso(end), "banner_id": campaign * 10, "campaign_id": campaign}

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.producer.flush()
            self.producer.close()

    def _run(self) -> None:
        rng, resend = self.rng, []
        sessions = {f"s{i}": {"user": f"u{i}", "program": f"p{i}", "next": 0.0, "pause_at": rng.uniform(20, 80)}
                    for i in range(10)}
        first_minute = utcnow().replace(second=0, microsecond=0)
        tick = 0
        while (elapsed := time.monotonic() - self.started_at) < STREAM_S:
            for _ in range(4):  # views: 5% really late, 2% re-sent 1-3 s later (a duplicate)
                v = self.view(rng.uniform(75, 95) if rng.random() < 0.05 else rng.uniform(0, 8))
                self.send("view_log", v, v["view_id"])
                if rng.random() < 0.02:
                    resend.append((elapsed + rng.uniform(1, 3), v))
            for due, v in [r for r in resend if r[0] <= elapsed]:
                self.send("view_log", v, v["view_id"])
                resend.remove((due, v))
            for _ in range(3):  # interactions, a few minutes out of order
                t = utcnow() - timedelta(seconds=rng.uniform(0, 90) if rng.random() < 0.1 else rng.uniform(0, 2))
                user = f"u{rng.randrange(30)}"
                self.send("interactions", {"user_id": user, "item_id": f"i{rng.randrange(12)}",
                                           "interaction_type": rng.choice(("view", "click", "purchase")),
                                           "timestamp": iso(t)}, user)
            for sid, s in sessions.items():  # heartbeats every ~4 s; one 70 s pause; program switches
                if elapsed < s["next"]:
                    continue
                if s["pause_at"] is not None and elapsed >= s["pause_at"]:
                    s["pause_at"], s["next"] = None, elapsed + 70
                    continue
                if rng.random() < 0.03:
                    s["program"] = f"p{rng.randrange(20)}"
                now = utcnow()
                self.send("watch_events", {"user_id": s["user"], "program_id": s["program"],
                                           "start_time": iso(now - timedelta(seconds=30)), "session_id": sid,
                                           "device": rng.choice(("iphone", "roku", "Apple TV")),
                                           "event_time": iso(now - timedelta(seconds=rng.uniform(0, 1)))}, sid)
                s["next"] = elapsed + rng.uniform(3, 5)
            if self.slow_view is None and elapsed > 100:  # on time by Kafka's clock, sent long after
                end = first_minute + timedelta(seconds=30)
                self.slow_view = {"view_id": "slow-producer", "start_timestamp": iso(end - timedelta(seconds=5)),
                                  "end_timestamp": iso(end), "banner_id": 1010, "campaign_id": 101}
                stamp = first_minute + timedelta(seconds=65)
                self.send("view_log", self.slow_view, "slow",
                          timestamp_ms=int(stamp.replace(tzinfo=UTC).timestamp() * 1000))
            tick += 1
            self.producer.flush()
            time.sleep(max(0.0, tick * 0.25 - (time.monotonic() - self.started_at)))


def read_topic(bootstrap: str, topic: str) -> list[tuple[dict, datetime]]:
    """Every message of the topic with its Kafka record timestamp (UTC)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        out, done, deadline = [], set(), time.monotonic() + 60
        while len(done) < len(tps) and time.monotonic() < deadline:
            for msgs in consumer.poll(timeout_ms=500).values():
                out += [(json.loads(m.value), datetime(1970, 1, 1) + timedelta(milliseconds=m.timestamp))
                        for m in msgs]
            done |= {tp for tp in tps if (hw := consumer.highwater(tp)) is not None and consumer.position(tp) >= hw}
        assert len(done) == len(tps), f"could not read {topic} to its end"
        return out
    finally:
        consumer.close()


def expected_report(views: list[tuple[dict, datetime]]) -> tuple[dict, set]:
    """(campaign, minute) -> on-time views, and the late view ids: the first copy to arrive (Kafka
    timestamp) decides; late when it arrived more than 10 s after its minute ended."""
    first: dict[str, tuple[datetime, dict]] = {}
    for v, stamp in views:
        if v["view_id"] not in first or stamp < first[v["view_id"]][0]:
            first[v["view_id"]] = (stamp, v)
    report: dict = defaultdict(int)
    late = set()
    for vid, (stamp, v) in first.items():
        minute = datetime.fromisoformat(v["end_timestamp"][:-1]).replace(second=0, microsecond=0)
        if (stamp - (minute + timedelta(minutes=1))).total_seconds() > 10:
            late.add(vid)
        else:
            report[(v["campaign_id"], minute)] += 1
    return dict(report), late


def env_for(data_dir: Path, bootstrap: str, topics: dict[str, str], tmp: Path) -> dict[str, str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PULSE_DATA_DIR": str(data_dir),
           "DBT_TARGET_PATH": str(tmp / f"target-{data_dir.parent.name}"),
           "DBT_LOG_PATH": str(tmp / f"logs-{data_dir.parent.name}")}
    env.update({f"PULSE_TOPIC_{s.upper()}": t for s, t in topics.items()})
    return env


def pulse(env: dict, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pulse.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, f"pulse {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


class Run:
    """`pulse run` as a subprocess, appending to one log."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.proc = env, log, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pulse.cli", "run", "--plain", "--interval", "1", "--no-alerts"],
            env=self.env, cwd=REPO, stdout=self.log.open("a"), stderr=subprocess.STDOUT)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"pulse run ignored SIGTERM:\n{self.log.read_text()[-3000:]}") from None
        assert code == 0 and "stopped cleanly" in self.log.read_text(), self.log.read_text()[-3000:]


def exported_report(data_dir: Path) -> dict | None:
    path = data_dir / "exports" / "fct_campaign_views_minute.parquet"
    if not path.exists():
        return None
    rows = duckdb.sql(f"select campaign_id, minute_timestamp, total_count from read_parquet('{path}')").fetchall()
    return {(c, m): n for c, m, n in rows}


def wait_until(check, what: str, logs: list[Path]) -> None:
    deadline, detail = time.monotonic() + WAIT_S, None
    while time.monotonic() < deadline:
        ok, detail = check()
        if ok:
            return
        time.sleep(1)
    tails = "\n".join(f"--- {log.name} ---\n{log.read_text()[-2500:]}" for log in logs)
    raise AssertionError(f"{what} not reached within {WAIT_S} s: {detail}\n{tails}")


def marts(data_dir: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return {table: [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in
                        con.execute(f"select *{exclude} from marts.{table} order by all").fetchall()]
                for table, exclude in MARTS.items()}


def report_folder(data_dir: Path) -> list[tuple]:
    hive = ds.partitioning(pa.schema([("network_id", pa.int32()), ("minute_timestamp", pa.timestamp("us"))]),
                           flavor="hive")
    table = ds.dataset(data_dir / "reports" / "campaign_minute", format="parquet", partitioning=hive).to_table()
    return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in row.values()) for row in table.to_pylist())


def test_live_backlog_batch_and_full_refresh_give_the_same_marts(kafka_broker, tmp_path):
    run_id = uuid.uuid4().hex[:8]
    topics = {s: f"replay_{run_id}_{s}" for s in SOURCES}
    dirs = {name: tmp_path / name / "data" for name in ("live", "batch", "restarted")}
    envs = {name: env_for(d, kafka_broker, topics, tmp_path) for name, d in dirs.items()}
    campaigns = tmp_path / "campaigns.csv"
    campaigns.write_text("network_id,campaign_id,campaign_name\n"
                         + "".join(f"{n},{c},campaign {c}\n" for c, n in CAMPAIGNS.items()))
    for env in envs.values():
        pulse(env, "ingest", "files", "campaigns", str(campaigns))

    admin = KafkaAdminClient(bootstrap_servers=kafka_broker)  # the topics exist before the runs start
    try:
        admin.create_topics([NewTopic(topic, 2, 1) for topic in topics.values()])
    finally:
        admin.close()

    logs = {name: tmp_path / f"{name}.log" for name in ("live", "restarted")}
    live, restarted = Run(envs["live"], logs["live"]), Run(envs["restarted"], logs["restarted"])
    live.start()
    restarted.start()
    stream = Stream(kafka_broker, topics)
    try:
        stream.start()
        time.sleep(DOWN_AT_S)
        restarted.stop()  # (iii): down for two minutes mid-stream
        time.sleep(DOWN_FOR_S)
        restarted.start()
        stream.join(STREAM_S + 60)
        assert stream.error is None and not stream.is_alive(), stream.error

        views = read_topic(kafka_broker, topics["view_log"])
        want_report, want_late = expected_report(views)
        assert want_late and len(views) > len({v["view_id"] for v, _ in views}), "no late views or duplicates"
        assert ("slow-producer" not in want_late and stream.slow_view is not None)

        # (ii) afterwards, in batch, while the live runs close their last minutes.
        pulse(envs["batch"], "ingest", "kafka", "--until-caught-up")
        run_dbt_subprocess(dirs["batch"], "build", "--select", *SELECT, target_dir=tmp_path / "target-batch")

        for name in ("live", "restarted"):  # every minute closed and reported, live
            wait_until(lambda name=name: (exported_report(dirs[name]) == want_report,
                                          f"{name}: {len(exported_report(dirs[name]) or {})} report rows, "
                                          f"want {len(want_report)}"), f"{name} minute report", list(logs.values()))
    finally:
        for run in (live, restarted):
            if run.proc is not None and run.proc.poll() is None:
                run.stop()

    results = {name: marts(d) for name, d in dirs.items()}
    folders = {name: report_folder(d) for name, d in dirs.items()}
    with duckdb.connect(str(dirs["live"] / "warehouse.duckdb"), read_only=True) as con:
        corrections = con.execute("select sum(corrected_views), sum(report_writes) - count(*) "
                                  "from marts.fct_campaign_minute_report_log").fetchone()
        late_ids = {r[0] for r in con.execute("select view_id from marts.fct_late_views").fetchall()}
    # (iv) a full refresh over the live run's lake.
    run_dbt_subprocess(dirs["live"], "build", "--full-refresh", "--select", *SELECT,
                       target_dir=tmp_path / "target-live-refresh")
    results["full refresh"], folders["full refresh"] = marts(dirs["live"]), report_folder(dirs["live"])

    for name in ("batch", "restarted", "full refresh"):
        for table in MARTS:
            assert results[name][table] == results["live"][table], f"{name} differs from live in {table}"
        assert folders[name] == folders["live"], f"{name}: report folder differs from live"
    report = {(c, m): n for c, _network, m, _avg, n in results["live"]["fct_campaign_views_minute"]}
    assert report == want_report and late_ids == want_late
    assert all(rows for rows in results["live"].values())
    # Live, the slow producer's view landed after its minute was reported: a correction, rewritten.
    assert corrections[0] >= 1 and corrections[1] >= 1, corrections
