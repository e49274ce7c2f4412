"""Fail on an import cycle between pulse's modules, or on the ingestion shim importing the app.

`ingest` (sources, readers, validation, the Kafka lander, the lake writer, audit) is used by
`pulse` (the command line, broker, generators, live loop, readers, alerts) and never the reverse.
Every import that runs counts, also one inside a function: a late import hides a cycle, it does not
remove it. Imports under `if TYPE_CHECKING:` (annotations only) never run and do not count.
Run by `make lint`: `python tools/check_imports.py`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "pulse")
FORBIDDEN = {"ingest": ("pulse",)}  # package -> packages it must not import


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """The project modules `path` imports (`from a.b import c` counts a.b.c when c is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))
    type_only = {id(n) for block in ast.walk(tree) if _is_type_checking(block) for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import a.b.c` of a function's name: its module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _is_type_checking(node: ast.AST) -> bool:
    """`if TYPE_CHECKING:`: imports for annotations only, never run, so they make no cycle."""
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def problems_in(root: Path) -> tuple[int, list[str]]:
    """How many modules `root`'s packages hold, and what is wrong with their imports."""
    files = {module_name(p, root): p for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))}
    modules = set(files)
    graph = {name: imports_of(path, name, modules) for name, path in files.items()}
    problems = []
    for name, targets in sorted(graph.items()):
        top = name.split(".")[0]
        for target in sorted(targets):
            if target.split(".")[0] in FORBIDDEN.get(top, ()):
                problems.append(f"{files[name].relative_to(root)}: {name} imports {target} "
                                f"({top} must not import {target.split('.')[0]})")
    for component in cycles(graph):
        problems.append("import cycle: " + " -> ".join(component))
    return len(files), problems


def main() -> int:
    count, problems = problems_in(ROOT)
    for line in problems:
        print(f"check_imports: {line}", file=sys.stderr)
    if not problems:
        print(f"check_imports: {count} modules, no cycle, ingest imports nothing of pulse")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
