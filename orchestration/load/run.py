"""One load: for every mart, replace in the target the day partitions that changed since the last load."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from .marts import Mart
from .partitions import DayState, changed_days, day_states
from .relations import BuiltRelation


class Target(Protocol):
    name: str
    con: object  # the DuckDB connection that reads the warehouse

    def describe(self) -> str: ...
    def source(self, schema: str, identifier: str) -> str: ...
    def prepare(self, mart: Mart) -> None: ...
    def loaded(self, mart: Mart) -> dict[date, DayState]: ...
    def replace(self, mart: Mart, relation: str, days: list[date], current: dict[date, DayState],
                run_id: str) -> None: ...


@dataclass
class MartLoad:
    mart: str
    days: int  # day partitions the mart has now
    replaced: dict[date, int] = field(default_factory=dict)  # day -> rows loaded (0: the day was removed)

    def line(self) -> str:
        if not self.replaced:
            return f"{self.mart}: nothing changed in {self.days} day partition(s), nothing loaded"
        detail = ", ".join(f"{day}: {rows} rows" for day, rows in self.replaced.items())
        return f"{self.mart}: replaced {len(self.replaced)} of {self.days} day partition(s) ({detail})"


def load_marts(target: Target, marts: list[Mart], built: dict[str, BuiltRelation], run_id: str) -> list[MartLoad]:
    results = []
    for mart in marts:
        relation = built[mart.name]
        if relation.adapter != "duckdb":
            raise ValueError(f"{mart.name} was built by the {relation.adapter!r} adapter; the load reads the "
                             "marts from the DuckDB warehouse only (docs/orchestration.md)")
        source = target.source(relation.schema, relation.identifier)
        current = day_states(target.con, mart.select(source), mart.day_column)
        if None in current:
            raise ValueError(f"{mart.name} has rows without {mart.day_column}; they belong to no day partition")
        target.prepare(mart)
        days = changed_days(current, target.loaded(mart))
        target.replace(mart, source, days, current, run_id)
        results.append(MartLoad(mart.name, len(current), {day: current[day].rows if day in current else 0
                                                          for day in days}))
    return results
