"""Threshold alerts evaluated by the live loop (`pulse run`) every cycle.

Rules live in a YAML file (alerts.yml at the repository root by default; see docs/live.md):

    webhook_url: http://hooks.example/pulse     # optional; env PULSE_ALERT_WEBHOOK overrides
    rules:
      - name: hot_item                          # unique
        metric: events                          # events | ingest_lag_seconds | sql
        source: interactions                    # events: the lake source counted
        key: item_id                            # optional: one count per key value
        where: "interaction_type = 'purchase'"  # optional filter on the source's rows
        window: 60s                             # tumbling window (s, m or h)
        threshold: 500                          # fires when value > threshold (op: >, >=, <, <=)

Metrics:
    events              rows of `source` per `key` per event-time window, counted incrementally
                        from the lake files each cycle lands (no rescan of the history)
    ingest_lag_seconds  per source, how far the consumer is behind the newest message (0 when
                        caught up), windowed by wall clock: fires at most once per window
    sql                 any query over the exports returning key, window_start, value; write
                        `{model_name}` for the export of a model

A fired alert is written once per (rule, key, window): appended to data/alerts/alerts.jsonl (the
record, read back on restart so nothing fires twice), exported to data/exports/alerts.parquet
for the dashboard, logged, and POSTed as JSON to the webhook when one is configured.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from ingest.config import Settings
from ingest.lake import write_table_atomic
from pulse.serve.export_reader import parquet_source

log = logging.getLogger("pulse.alerts")

METRICS = ("events", "ingest_lag_seconds", "sql")
OPS = {">": lambda v, t: v > t, ">=": lambda v, t: v >= t, "<": lambda v, t: v < t, "<=": lambda v, t: v <= t}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, None: 1}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

ALERT_SCHEMA = pa.schema([
    ("rule", pa.string()), ("key", pa.string()), ("window_start", pa.timestamp("us")),
    ("window_end", pa.timestamp("us")), ("value", pa.float64()), ("threshold", pa.float64()),
    ("op", pa.string()), ("fired_at", pa.timestamp("us")), ("message", pa.string()),
])


def parse_duration(value: Any, where: str) -> float:
    if isinstance(value, int | float) and value > 0:
        return float(value)
    m = _DURATION.match(str(value))
    if not m or float(m[1]) <= 0:
        raise ValueError(f"{where}: window must be a positive duration like 60s, 5m or 1h, got {value!r}")
    return float(m[1]) * _UNIT[m[2]]


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    threshold: float
    window_s: float
    op: str = ">"
    key: str | None = None
    source: str | None = None
    where: str | None = None
    sql: str | None = None
    description: str = ""

    def breaches(self, value: float) -> bool:
        return OPS[self.op](value, self.threshold)


@dataclass(frozen=True)
class AlertConfig:
    rules: tuple[Rule, ...]
    webhook_url: str | None = None


def load_rules(path: Path, env: Mapping[str, str] | None = None) -> AlertConfig:
    """Read and check a rules file; ValueError naming the file, rule and field on bad input."""
    env = os.environ if env is None else env
    try:
        doc = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rules", []), list):
        raise ValueError(f"{path}: expected a mapping with a `rules:` list")
    rules: list[Rule] = []
    for i, raw in enumerate(doc.get("rules") or []):
        where = f"{path}: rule {i + 1}"
        if not isinstance(raw, dict) or not raw.get("name"):
            raise ValueError(f"{where}: each rule needs a `name`")
        where = f"{path}: rule {raw['name']!r}"
        metric = raw.get("metric")
        if metric not in METRICS:
            raise ValueError(f"{where}: metric must be one of {', '.join(METRICS)}, got {metric!r}")
        try:
            threshold = float(raw["threshold"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{where}: threshold must be a number, got {raw.get('threshold')!r}") from None
        op = str(raw.get("op", ">"))
        if op not in OPS:
            raise ValueError(f"{where}: op must be one of {', '.join(OPS)}, got {op!r}")
        key = raw.get("key")
        if key is not None and not _IDENT.match(str(key)):
            raise ValueError(f"{where}: key must be a column name, got {key!r}")
        if metric == "events" and not raw.get("source"):
            raise ValueError(f"{where}: metric events needs a `source` (the lake source to count)")
        if metric == "sql" and not raw.get("sql"):
            raise ValueError(f"{where}: metric sql needs a `sql` query returning key, window_start, value")
        rules.append(Rule(
            name=str(raw["name"]), metric=metric, threshold=threshold, op=op,
            window_s=parse_duration(raw.get("window", "60s"), where), key=key,
            source=raw.get("source"), where=raw.get("where"), sql=raw.get("sql"),
            description=str(raw.get("description", "")),
        ))
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: rule names must be unique")
    webhook = env.get("PULSE_ALERT_WEBHOOK") or doc.get("webhook_url") or None
    return AlertConfig(tuple(rules), webhook)


@dataclass
class Alert:
    rule: str
    key: str
    window_start: datetime
    window_end: datetime
    value: float
    threshold: float
    op: str
    fired_at: datetime
    message: str

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("window_start", "window_end", "fired_at"):
            d[k] = d[k].isoformat(sep=" ")
        return d


def alerts_log_path(settings: Settings) -> Path:
    return settings.data_dir / "alerts" / "alerts.jsonl"


def alerts_export_path(settings: Settings) -> Path:
    return settings.exports_dir / "alerts.parquet"


def read_alerts(settings: Settings) -> list[dict[str, Any]]:
    path = alerts_log_path(settings)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class Alerter:
    """Evaluates the rules once per cycle; remembers what fired, across restarts."""

    def __init__(self, settings: Settings, config: AlertConfig, *, timeout_s: float = 3.0):
        import duckdb

        self.settings = settings
        self.config = config
        self.timeout_s = timeout_s
        self._con = duckdb.connect()
        self._counts: dict[tuple[str, str, datetime], int] = {}  # (rule, key, window_start) -> events
        self._newest: dict[str, datetime] = {}  # rule -> newest window seen (to forget old ones)
        self._fired = {(a["rule"], a["key"], a["window_start"]) for a in read_alerts(settings)}
        self.webhook_errors = 0

    # -- evaluation
    def evaluate(self, new_files: Mapping[str, list] | None = None, lag_seconds: Mapping[str, float] | None = None,
                 now: float | None = None) -> list[Alert]:
        """`new_files`: source -> the NewFile list a lake scan found this cycle; `lag_seconds`:
        source -> seconds the ingester is behind. Returns the alerts fired now."""
        now = time.time() if now is None else now
        fired: list[Alert] = []
        for rule in self.config.rules:
            if rule.metric == "events":
                values = self._events(rule, (new_files or {}).get(rule.source, []))
            elif rule.metric == "ingest_lag_seconds":
                window = math.floor(now / rule.window_s) * rule.window_s
                start = datetime.fromtimestamp(window, UTC).replace(tzinfo=None)
                values = [(source, start, float(v)) for source, v in (lag_seconds or {}).items()]
            else:
                values = self._sql(rule)
            for key, start, value in values:
                if rule.breaches(value):
                    alert = self._fire(rule, str(key), start, value, now)
                    if alert is not None:
                        fired.append(alert)
        if fired:
            self._record(fired)
        return fired

    def _events(self, rule: Rule, files: list) -> list[tuple[str, datetime, float]]:
        from ingest.sources import get_source

        if files:
            time_col = get_source(rule.source).partition_field
            key = f'cast("{rule.key}" as varchar)' if rule.key else "'*'"
            where = f"({rule.where})" if rule.where else "true"
            parts = []
            whole = [str(f.path) for f in files if f.offset_floor is None]
            if whole:
                parts.append(f"select * from read_parquet({whole!r}, union_by_name = true)")
            for f in files:
                if f.offset_floor is not None:
                    parts.append(f"select * from read_parquet('{f.path}') where _offset > {int(f.offset_floor)}")
            sql = (
                f"select {key} as key, time_bucket(interval '{int(rule.window_s * 1e6)} microseconds', "
                f'"{time_col}") as window_start, count(*) as n '
                f"from ({' union all by name '.join(parts)}) where {where} group by all"
            )
            for k, start, n in self._con.execute(sql).fetchall():
                bucket = (rule.name, str(k), start)
                self._counts[bucket] = self._counts.get(bucket, 0) + int(n)
                if rule.name not in self._newest or start > self._newest[rule.name]:
                    self._newest[rule.name] = start
        values = [(b[1], b[2], float(n)) for b, n in self._counts.items() if b[0] == rule.name]
        # Windows far behind the newest are finished: drop their counts to bound memory, once they
        # have been evaluated (a backlog landed in one cycle still fires for its older windows).
        newest = self._newest.get(rule.name)
        if newest is not None:
            horizon = newest - timedelta(seconds=rule.window_s * 10)
            for bucket in [b for b in self._counts if b[0] == rule.name and b[2] < horizon]:
                del self._counts[bucket]
        return values

    def _sql(self, rule: Rule) -> list[tuple[str, datetime, float]]:
        exports = self.settings.exports_dir
        missing = []

        def relation(m: re.Match) -> str:
            source = parquet_source(exports, m[1])  # one file, or an hourly export's folder
            if source is None:
                missing.append(m[1])  # the rule is not evaluated (below)
                return m[0]
            return source

        sql = re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", relation, rule.sql or "")
        if missing:
            return []  # the export does not exist yet: nothing to evaluate
        rows = self._con.execute(f"select key, window_start, value from ({sql})").fetchall()
        return [(str(k), s, float(v)) for k, s, v in rows if v is not None]

    # -- firing
    def _fire(self, rule: Rule, key: str, start: datetime, value: float, now: float) -> Alert | None:
        ident = (rule.name, key, start.isoformat(sep=" "))
        if ident in self._fired:
            return None
        self._fired.add(ident)
        what = rule.description or rule.name
        subject = f"{rule.key or 'key'}={key} " if key != "*" else ""
        return Alert(
            rule=rule.name, key=key, window_start=start, window_end=start + timedelta(seconds=rule.window_s),
            value=value, threshold=rule.threshold, op=rule.op,
            fired_at=datetime.fromtimestamp(now, UTC).replace(tzinfo=None),
            message=f"{what}: {subject}value {value:g} {rule.op} {rule.threshold:g} in window from {start}",
        )

    def _record(self, alerts: list[Alert]) -> None:
        path = alerts_log_path(self.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            for a in alerts:
                fh.write(json.dumps(a.as_json()) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        for a in alerts:
            log.warning("ALERT %s", a.message)
        self.export()
        if self.config.webhook_url:
            for a in alerts:
                self._post(a)

    def export(self) -> Path:
        """Rewrite data/exports/alerts.parquet from the alerts log (atomically)."""
        rows = read_alerts(self.settings)
        for r in rows:
            for k in ("window_start", "window_end", "fired_at"):
                r[k] = datetime.fromisoformat(r[k])
        return write_table_atomic(pa.Table.from_pylist(rows, schema=ALERT_SCHEMA), alerts_export_path(self.settings))

    def _post(self, alert: Alert) -> None:
        body = json.dumps(alert.as_json()).encode()
        req = urllib.request.Request(self.config.webhook_url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                resp.read()
        except (urllib.error.URLError, OSError) as exc:
            self.webhook_errors += 1
            log.error("alert webhook %s failed for %s: %s", self.config.webhook_url, alert.rule, exc)
