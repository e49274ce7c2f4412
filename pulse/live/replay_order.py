"""The order a replay runs the recorded models in: the chains of the models readers wait on first.

dbt runs the realtime models on several threads, so the recorded statements interleave models in
whatever order the threads took them, and a mart whose export a reader waits for (the stream
states, the interaction overview, the campaign minute report) could come last in a cycle of
sixty statements. A replay runs them one after the other, and only dbt's DAG constrains the order:
any order in which each model comes after the realtime models it reads (directly or through a
view) is one dbt itself could have run. So the replay first runs, for each model with a
`live_priority` (model config `meta`, lowest first), the models it needs that have not run yet and
then it, and after those the rest in the recorded order. Each model's statements stay together and
in their recorded order; dbt's on-run-start hooks stay first and its on-run-end hooks last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

HOOKS = "hooks"


def realtime_ancestors(nodes: Mapping[str, Any], realtime: Iterable[str]) -> dict[str, set[str]]:
    """Per realtime model (by name), the realtime models it reads, directly or through other nodes
    (a view, an ephemeral model). `nodes`: the manifest's nodes by unique id."""
    wanted = set(realtime)
    by_id = {uid: node for uid, node in nodes.items() if getattr(node, "resource_type", None) == "model"}
    memo: dict[str, set[str]] = {}

    def upstream(uid: str) -> set[str]:
        if uid not in memo:
            memo[uid] = set()  # a cycle cannot occur in dbt's DAG; this only guards the recursion
            found: set[str] = set()
            for parent in getattr(by_id[uid].depends_on, "nodes", []):
                if parent in by_id:
                    if by_id[parent].name in wanted:
                        found.add(by_id[parent].name)
                    found |= upstream(parent)
            memo[uid] = found
        return memo[uid]

    return {node.name: upstream(uid) for uid, node in by_id.items() if node.name in wanted}


def priority_order(statements: list, ancestors: Mapping[str, set[str]], priority: Mapping[str, int]) -> list:
    """`statements` (each with a `.node`) reordered as the module says; the recorded order when no
    recorded model has a priority, or the hooks are not all at the ends (nothing to reorder safely)."""
    models = [s.node for s in statements if s.node != HOOKS]
    if not any(m in priority for m in models):
        return list(statements)
    first = next(i for i, s in enumerate(statements) if s.node != HOOKS)
    last = max(i for i, s in enumerate(statements) if s.node != HOOKS)
    if any(s.node == HOOKS for s in statements[first:last + 1]):
        return list(statements)
    recorded = list(dict.fromkeys(models))  # models in the order they first appear
    rank = {m: i for i, m in enumerate(recorded)}
    by_model: dict[str, list] = {m: [] for m in recorded}
    for s in statements[first:last + 1]:
        by_model[s.node].append(s)
    done: set[str] = set()
    order: list[str] = []
    for model in sorted((m for m in recorded if m in priority), key=lambda m: (priority[m], rank[m])):
        needed = ({model} | set(ancestors.get(model, ()))) - done
        order += sorted((m for m in needed if m in by_model), key=rank.__getitem__)
        done |= needed
    order += [m for m in recorded if m not in done]
    return [*statements[:first], *(s for m in order for s in by_model[m]), *statements[last + 1:]]
