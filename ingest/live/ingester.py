"""Drive the Kafka landing class (the ingestion issue's) from a background thread.

The thread owns the ingester (kafka-python consumers are not thread-safe): it polls without
pause, lands on its own cadence and whenever the loop asks for a flush before a dbt cycle, so
consuming goes on while dbt runs. The loop reads the latest lag per source from here.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..config import Settings

_MODULES = ("ingest.kafka_ingest", "ingest.kafka")


def find_ingester_class() -> type:
    """The class with poll_once/flush/close that the ingestion issue provides, or the one named
    by PULSE_INGESTER=module:Class (an alternative landing class, e.g. for a benchmark)."""
    override = os.environ.get("PULSE_INGESTER")
    if override:
        module, _, cls = override.partition(":")
        try:
            return getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError) as exc:
            raise RuntimeError(f"PULSE_INGESTER={override}: cannot load it ({exc})") from None
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name) or exc.name == name:
                continue
            raise
        for attr in dir(module):
            obj = getattr(module, attr)
            if isinstance(obj, type) and all(callable(getattr(obj, m, None)) for m in ("poll_once", "flush", "close")):
                return obj
    raise RuntimeError("no Kafka ingester found (ingest.kafka_ingest with a poll_once/flush/close class)")


def lag_by_source(stats: Any, topic_source: Mapping[str, str]) -> dict[str, int]:
    """Records behind per source, from whatever per-partition shape the ingester reports."""
    out: dict[str, int] = {}
    items = _partition_items(stats)
    for topic, lag in items:
        source = topic_source.get(topic, topic)
        if lag is not None:
            out[source] = out.get(source, 0) + max(int(lag), 0)
    return out


def _partition_items(stats: Any) -> list[tuple[str, int | None]]:
    if stats is None:
        return []
    if hasattr(stats, "partitions"):
        stats = stats.partitions
    if isinstance(stats, Mapping):
        stats = [(k, v) for k, v in stats.items()]
    out = []
    for item in stats:
        key, value = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
        topic = getattr(value, "topic", None) or (value.get("topic") if isinstance(value, Mapping) else None)
        if topic is None:
            topic = key[0] if isinstance(key, tuple) else getattr(key, "topic", key)
        lag = getattr(value, "lag", None)
        if lag is None and isinstance(value, Mapping):
            lag = value.get("lag")
        out.append((str(topic), lag))
    return out


class IngestThread(threading.Thread):
    def __init__(self, settings: Settings, sources: list[str], *, poll_timeout_s: float = 0.2,
                 land_every_s: float = 1.0, factory: Callable[..., Any] | None = None):
        super().__init__(name="pulse-ingest", daemon=True)
        self.settings = settings
        self.sources = sources
        self.poll_timeout_s = poll_timeout_s
        self.land_every_s = land_every_s
        self._factory = factory
        self._stopping = threading.Event()
        self._flush_wanted = threading.Event()
        self._flushed = threading.Condition()
        self._flush_count = 0
        self.lag: dict[str, int] = {}
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self._topic_source = {settings.topic(s): s for s in sources}

    def run(self) -> None:
        try:
            factory = self._factory or find_ingester_class()
            ingester = factory(self.settings, self.sources)
        except BaseException as exc:  # reported to the loop, which stops with the reason
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        last_land = time.monotonic()
        try:
            while not self._stopping.is_set():
                stats = ingester.poll_once(self.poll_timeout_s)
                lag = lag_by_source(stats, self._topic_source)
                if lag:
                    self.lag = {**self.lag, **lag}
                if self._flush_wanted.is_set() or time.monotonic() - last_land >= self.land_every_s:
                    self._flush_wanted.clear()
                    ingester.flush()
                    last_land = time.monotonic()
                    with self._flushed:
                        self._flush_count += 1
                        self._flushed.notify_all()
            ingester.flush()
        except BaseException as exc:
            self.error = exc
        finally:
            try:
                ingester.close()
            finally:
                with self._flushed:
                    self._flush_count += 1
                    self._flushed.notify_all()

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Ask the thread to land everything polled so far; wait until it has."""
        if not self.is_alive():
            return False
        with self._flushed:
            target = self._flush_count + 1
            self._flush_wanted.set()
            return self._flushed.wait_for(lambda: self._flush_count >= target or not self.is_alive(), timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stopping.set()
        self.join(timeout_s)
