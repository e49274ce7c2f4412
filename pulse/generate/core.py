"""The simulation framework every dataset generator shares.

A dataset describes one *session* (a user's visit, a stream, a shopper's browse) as a Python
generator of records in time order; `simulate` merges many overlapping sessions into one stream in
publish-time order. Sessions arrive as a Poisson process whose intensity follows a daily cycle
(historical mode) or the requested rate (live mode). Records are tuples whose first item is the
publish time in epoch seconds (float, UTC).

Randomness comes only from generators seeded by (seed, shard, purpose), so a historical run with
the same arguments gives the same records; catalogues (items, products, campaigns) depend on the
seed alone, so every shard and every dataset of one seed agree on them.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np

from ingest.sources import SOURCES

Record = tuple
DAY = 86400.0
# Opening more sessions up front costs seconds at high rates; beyond this the arrivals fill in.
MAX_WARM_SESSIONS = 50_000


@dataclass(frozen=True)
class Plan:
    """What to simulate: a time range (historical) or a rate from now (live), and for which shard."""

    seed: int = 1
    live: bool = False
    start: float = 0.0  # epoch seconds; live: the wall clock at start
    end: float = math.inf  # historical: the end of the range (exclusive)
    count: int | None = None  # messages to emit (None: until --end, --duration or Ctrl-C)
    rate: float = 100.0  # live: events/s to aim the session intensity at
    ramp_s: float = 0.0  # live: seconds to ramp linearly from ramp_from to rate
    ramp_from: float = 0.0
    users: int | None = None  # population size (None: the dataset's default)
    catalog: int | None = None  # items/products/programs/campaigns/pages (None: dataset default)
    shard: int = 0
    shards: int = 1
    options: dict = field(default_factory=dict)  # dataset-specific (e.g. campaigns_file)

    def for_shard(self, shard: int, shards: int) -> Plan:
        count = None if self.count is None else self.count // shards + (1 if shard < self.count % shards else 0)
        return replace(self, shard=shard, shards=shards, count=count, rate=self.rate / shards,
                       ramp_from=self.ramp_from / shards, users=None if self.users is None else
                       max(1, self.users // shards + (1 if shard < self.users % shards else 0)))

    @property
    def span(self) -> float:
        """Seconds the events spread over (historical): the range, or a day when it is open-ended."""
        return self.end - self.start if math.isfinite(self.end) else DAY

    def rate_at(self, elapsed: float) -> float:
        """The target rate `elapsed` seconds after the start (the optional linear ramp)."""
        if self.ramp_s > 0 and elapsed < self.ramp_s:
            return max(self.ramp_from + (self.rate - self.ramp_from) * elapsed / self.ramp_s, 1.0)
        return self.rate


def rng_for(plan: Plan, purpose: str, shard_specific: bool = True) -> random.Random:
    key = f"{plan.seed}:{plan.shard if shard_specific else '*'}:{purpose}"
    return random.Random(key)


def np_rng_for(plan: Plan, purpose: str, shard_specific: bool = True) -> np.random.Generator:
    digest = random.Random(f"{plan.seed}:{plan.shard if shard_specific else '*'}:{purpose}").getrandbits(64)
    return np.random.default_rng(digest)


# ---------------------------------------------------------------------------------------- time text

class TimeText:
    """Fast timestamp text: the formatted second is cached, since records come in time order."""

    def __init__(self, pattern: str = "%Y-%m-%dT%H:%M:%S", offset_s: float = 0.0):
        self._pattern = pattern
        self._offset = offset_s
        self._cache: dict[int, str] = {}

    def second(self, t: float) -> str:
        s = math.floor(t + self._offset)
        text = self._cache.get(s)
        if text is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            text = self._cache[s] = time.strftime(self._pattern, time.gmtime(s))
        return text

    def iso_ms(self, t: float) -> str:
        """'2024-05-01T10:00:04.123Z' (the Kafka message contract)."""
        ms = int((t - math.floor(t)) * 1000)
        return f"{self.second(t)}.{ms:03d}Z"


def iso_ms(t: float) -> str:
    return _ISO.iso_ms(t)


_ISO = TimeText()


def to_epoch(dt: datetime) -> float:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def uuid_text(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


# ------------------------------------------------------------------------------------- distributions

def zipf_weights(n: int, s: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    return w / w.sum()


class Picker:
    """Draws indices with fixed weights, a block at a time (vectorised), one per call."""

    def __init__(self, rng: np.random.Generator, weights: np.ndarray, block: int = 8192):
        self._rng = rng
        self._cum = np.cumsum(weights / weights.sum())
        self._cum[-1] = 1.0
        self._block = block
        self._buf: list[int] = []
        self._pos = 0

    def __call__(self) -> int:
        if self._pos >= len(self._buf):
            self._buf = np.searchsorted(self._cum, self._rng.random(self._block), side="right").tolist()
            self._pos = 0
        v = self._buf[self._pos]
        self._pos += 1
        return v


def daily_cycle(t: float) -> float:
    """Activity factor by hour of day (mean 1): quiet at night, peaking in the evening (UTC)."""
    hour = (t % DAY) / 3600.0
    return 1.0 + 0.7 * math.cos(2 * math.pi * (hour - 20.0) / 24.0)


class UserPool:
    """A population with Zipf-skewed activity; a user is in at most one session at a time, and
    after a session stays away for the dataset's inactivity gap (so sessions are separable)."""

    def __init__(self, plan: Plan, size: int, skew: float = 0.8):
        self.size = size
        rng = np_rng_for(plan, "users")
        order = rng.permutation(size)
        weights = zipf_weights(size, skew)[np.argsort(order)]
        self._pick = Picker(rng, weights)
        self._busy = [0.0] * size
        self._fallback = rng_for(plan, "users-fallback")

    def global_index(self, plan: Plan, i: int) -> int:
        """Index unique across shards: shard k owns k, k+N, k+2N, ..."""
        return i * plan.shards + plan.shard

    def acquire(self, t: float) -> int:
        busy = self._busy
        for _ in range(12):
            i = self._pick()
            if busy[i] <= t:
                busy[i] = math.inf
                return i
        i = self._fallback.randrange(self.size)  # population saturated: accept an overlap
        busy[i] = math.inf
        return i

    def release(self, i: int, free_at: float) -> None:
        self._busy[i] = free_at


# ---------------------------------------------------------------------------------------- datasets

class Dataset:
    """One generated dataset. Subclasses set the class attributes and implement `setup`/`session`
    and the renderers; the framework does pacing, faults, Kafka and files."""

    name: str = ""  # the source it generates (ingest/sources/), which decides its natural sink
    help: str = ""
    sink: str = "kafka"  # the natural destination, from the source's spec: "kafka" or "files"
    also_writes: tuple[str, ...] = ()  # further sources its files hold (orders: order_items)
    fields: tuple[str, ...] = ()
    default_users: int = 1000
    sessions_per_user_day: float = 1.5  # historical density when no --count is given
    static: bool = False  # a reference table (rows, not events): no time range, no rate
    stream: str = ""  # random stream name; datasets of one simulation share it (default: name)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            spec = SOURCES.get(cls.name)
            if spec is None:
                raise TypeError(f"generator {cls.__name__}: no source named {cls.name!r} in ingest/sources/")
            cls.sink = "kafka" if spec.kafka_topic else "files"

    def __init__(self, plan: Plan):
        self.plan = plan
        self.rng = rng_for(plan, self.stream or self.name)
        self.np_rng = np_rng_for(plan, self.stream or self.name)
        self.users = plan.users or max(1, self.default_users // plan.shards)  # a shard's share
        self.setup()

    # -- the simulation
    def setup(self) -> None:
        pass

    def session(self, t: float) -> Iterator[Record]:
        raise NotImplementedError

    def static_rows(self) -> Iterator[Record]:
        raise NotImplementedError

    # -- rendering: `shift` (seconds, <= 0) moves event times back for late records
    def as_dict(self, rec: Record, shift: float = 0.0) -> dict:
        raise NotImplementedError

    def kafka_key(self, rec: Record) -> bytes:
        raise NotImplementedError

    def kafka_value(self, rec: Record, shift: float = 0.0) -> bytes:
        import json

        return json.dumps(self.as_dict(rec, shift), separators=(",", ":")).encode()

    # -- bad records: which kinds apply, and how the generic breakage is done for this dataset
    bad_kinds: tuple[str, ...] = ("malformed_json", "missing_field", "wrong_type")
    wrong_types: dict = {}  # field -> a value of the wrong type for it

    def negate_duration(self, d: dict) -> None:
        raise NotImplementedError

    def bad_dict(self, rec: Record, kind: str, rng: random.Random) -> dict:
        """A broken version of the record for `--bad-fraction` (kinds: faults.BAD_KINDS)."""
        d = self.as_dict(rec)
        if kind == "missing_field":
            del d[rng.choice(list(self.required_fields()))]
        elif kind == "wrong_type":
            name = rng.choice(sorted(self.wrong_types))
            d[name] = self.wrong_types[name]
        elif kind == "negative_duration":
            self.negate_duration(d)
        return d

    def required_fields(self) -> tuple[str, ...]:
        return self.fields

    # -- files: `--to files --out DIR`
    file_kinds: tuple[str, ...] | None = None  # bad kinds possible in files (None: bad_kinds)

    def write_files(self, stream, out) -> list:
        from pulse.generate.formats import write_csv

        path = out / f"{self.name}.csv"
        write_csv(self, stream, path)
        return [path]


@dataclass
class Calibration:
    events_per_session: float
    session_seconds: float


def calibrate(cls: type[Dataset], plan: Plan, sessions: int = 300) -> Calibration:
    """Mean events and duration of one session, measured on a throwaway instance."""
    probe = cls(replace(plan, seed=plan.seed + 7919, shard=0, shards=1, users=max(plan.users or 0, sessions)))
    events = 0
    span = 0.0
    t = 1.6e9
    for _ in range(sessions):
        first = last = None
        for rec in getattr(probe, "calibration_session", probe.session)(t):
            events += 1
            first = rec[0] if first is None else first
            last = rec[0]
        if first is not None:
            span += last - first
        t += 10 * DAY
    return Calibration(max(events / sessions, 1e-3), span / sessions)


def simulate(cls: type[Dataset], plan: Plan, ds: Dataset | None = None) -> Iterator[Record]:
    """All sessions merged in publish-time order, from plan.start until plan.end (or forever).
    Calibration happens here, before the first record is asked for (not inside a timed loop)."""
    ds = ds or cls(plan)
    cal = calibrate(cls, plan)
    events_per_s = plan.rate if plan.live else (plan.count or 0) / max(plan.span, 1.0)
    if plan.users is None and events_per_s and math.isfinite(events_per_s):
        # Enough people that the sessions open at this rate (Little's law) rarely share a user.
        open_sessions = events_per_s * 2 / cal.events_per_session * cal.session_seconds
        if open_sessions * 3 > ds.users:
            ds = cls(replace(plan, users=int(open_sessions * 3) + 1))
    return _merge(plan, ds, cal)


def _merge(plan: Plan, ds: Dataset, cal: Calibration) -> Iterator[Record]:
    """Open the warm sessions now (eagerly), and return the generator that merges the rest."""
    if plan.live:
        base = plan.rate / cal.events_per_session

        def intensity(t: float, _t0=plan.start) -> float:
            # Sessions per second for the (ramping) target rate, nudged so event time tracks the clock.
            drift = max(-1.0, min(1.0, (t - time.time()) / 20.0))
            return plan.rate_at(t - _t0) / cal.events_per_session * math.exp(drift)
    else:
        if plan.count is not None:
            # 5% headroom, so --count is reached (a little) before --end despite the randomness.
            base = 1.05 * plan.count / max(plan.span, 1.0) / cal.events_per_session
        else:
            base = ds.users * ds.sessions_per_user_day / DAY

        def intensity(t: float) -> float:
            return base * daily_cycle(t)

    rng = rng_for(plan, "arrivals")
    heap: list = []
    seq = 0
    push = heapq.heappush
    # Start warm: as many sessions as are open in the steady state (Little's law), spread over
    # one mean gap, so the first minutes are not empty.
    gap = cal.session_seconds / max(cal.events_per_session, 1.0) or 1.0
    warm = int(base * cal.session_seconds * (daily_cycle(plan.start) if not plan.live else 1.0))
    for _ in range(min(warm, MAX_WARM_SESSIONS)):
        gen = ds.session(plan.start + rng.random() * gap)
        rec = next(gen, None)
        if rec is not None:
            seq += 1
            push(heap, (rec[0], seq, rec, gen))
    return _drain(plan, ds, heap, seq, rng, intensity)


def _drain(plan: Plan, ds: Dataset, heap: list, seq: int, rng: random.Random, intensity) -> Iterator[Record]:
    """Emit the earliest pending record, or open the next arriving session, until the end."""
    push, replace_top = heapq.heappush, heapq.heapreplace
    t_arrival = plan.start + rng.expovariate(intensity(plan.start))
    end = plan.end
    while True:
        if heap and heap[0][0] <= t_arrival:
            t, _, rec, gen = heap[0]
            if t >= end:
                return
            nxt = next(gen, None)
            if nxt is None:
                heapq.heappop(heap)
            else:
                seq += 1
                replace_top(heap, (nxt[0], seq, nxt, gen))
            yield rec
        else:
            if t_arrival >= end:
                if not heap:
                    return
                t_arrival = math.inf
                continue
            gen = ds.session(t_arrival)
            rec = next(gen, None)
            if rec is not None:
                seq += 1
                push(heap, (rec[0], seq, rec, gen))
            t_arrival += rng.expovariate(max(intensity(t_arrival), 1e-9))


def generated_records(cls: type[Dataset], plan: Plan, ds: Dataset | None = None) -> Iterator[Record]:
    """Records of one shard, publish-time order for event datasets, table order for static ones.
    Pass `ds` to render with the same instance (catalogues) that simulated."""
    ds = ds or cls(plan)
    return ds.static_rows() if cls.static else simulate(cls, plan, ds)


def now() -> float:
    return time.time()


Clock = Callable[[], float]
