"""The replay's model order (pulse/live/replay_order.py): the chains of the prioritized models
first, each after every realtime model it reads, the rest in the recorded order, each model's
statements together, dbt's hooks at the ends. The statements and the DAG are plain stand-ins (a
unit test of the ordering alone); tests/pulse/test_compiled_live_path.py replays the real
project's recording and compares its marts with `dbt build`."""

from __future__ import annotations

from dataclasses import dataclass, field

from pulse.live.replay_order import priority_order, realtime_ancestors


@dataclass(frozen=True)
class S:
    node: str
    sql: str = ""


@dataclass
class DependsOn:
    nodes: list[str] = field(default_factory=list)


@dataclass
class Node:
    name: str
    depends_on: DependsOn
    resource_type: str = "model"


def test_realtime_ancestors_follow_the_dag_through_views_that_are_not_rebuilt():
    nodes = {
        "model.p.a": Node("a", DependsOn(["source.p.lake"])),
        "model.p.v": Node("v", DependsOn(["model.p.a"])),  # a view, not realtime
        "model.p.b": Node("b", DependsOn(["model.p.v"])),
        "model.p.c": Node("c", DependsOn(["model.p.b", "model.p.a"])),
    }
    assert realtime_ancestors(nodes, ["a", "b", "c"]) == {"a": set(), "b": {"a"}, "c": {"a", "b"}}


def test_prioritized_chains_run_first_the_rest_in_recorded_order():
    # Recorded by two dbt threads: x, y and their children interleaved.
    recorded = [S("hooks", "bounds"), S("x", "x1"), S("y", "y1"), S("x", "x2"), S("y", "y2"),
                S("x_child", "xc"), S("y_child", "yc1"), S("z", "z"), S("y_child", "yc2"),
                S("hooks", "manifest")]
    ancestors = {"x": set(), "y": set(), "x_child": {"x"}, "y_child": {"y"}, "z": {"x"}}
    ordered = priority_order(recorded, ancestors, {"y_child": 1})
    assert [s.sql for s in ordered] == ["bounds", "y1", "y2", "yc1", "yc2", "x1", "x2", "xc", "z", "manifest"]
    # Every model after the models it reads: a valid order for dbt's DAG.
    position = {s.node: i for i, s in enumerate(ordered)}
    assert all(position[p] < position[m] for m, ps in ancestors.items() for p in ps)
    assert priority_order(recorded, ancestors, {}) == recorded  # no priority: as recorded


def test_hooks_between_models_keep_the_recorded_order():
    recorded = [S("a"), S("hooks"), S("b")]
    assert priority_order(recorded, {"a": set(), "b": set()}, {"b": 1}) == recorded
