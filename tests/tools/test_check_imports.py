"""tools/check_imports.py on small package trees written for the test, and on the project itself."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check_imports", ROOT / "tools" / "check_imports.py")
check_imports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_imports)


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"ingest/__init__.py": "", "pulse/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_project_has_no_cycle_and_ingest_never_imports_pulse():
    count, problems = check_imports.problems_in(ROOT)
    assert count > 50
    assert problems == []


def test_ingest_importing_pulse_is_named_with_its_file(tmp_path: Path):
    root = tree(tmp_path, {"pulse/app.py": "", "ingest/lake.py": "def f():\n    from pulse import app\n"})
    _, problems = check_imports.problems_in(root)
    assert problems == ["ingest/lake.py: ingest.lake imports pulse.app (ingest must not import pulse)"]


def test_a_cycle_hidden_by_a_late_import_is_found(tmp_path: Path):
    root = tree(tmp_path, {
        "ingest/a.py": "from ingest.b import x\n",
        "ingest/b.py": "x = 1\n\ndef g():\n    from ingest import a\n",
    })
    _, problems = check_imports.problems_in(root)
    assert problems == ["import cycle: ingest.a -> ingest.b"]


def test_imports_for_annotations_only_make_no_cycle(tmp_path: Path):
    root = tree(tmp_path, {
        "pulse/core.py": "from pulse.formats import write\n",
        "pulse/formats.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pulse.core import Dataset\n",
    })
    assert check_imports.problems_in(root)[1] == []
