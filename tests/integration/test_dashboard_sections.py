"""The dashboard tells batch panels from live ones (serve/dashboard_data.BATCH_SECTIONS): checked
against the dbt project itself, so a mart that becomes `realtime` (or stops being) cannot leave a
panel saying the wrong thing about what refreshes it."""

from __future__ import annotations

import pytest

from serve import dashboard_data as dd
from tests.conftest import run_dbt_subprocess

pytestmark = pytest.mark.integration


def test_batch_sections_are_exactly_the_panels_over_marts_not_tagged_realtime(tmp_path):
    out = run_dbt_subprocess(tmp_path / "data", "ls", "--resource-type", "model", "--select", "tag:realtime",
                             "--output", "name", "--quiet", target_dir=tmp_path / "target").stdout
    realtime = set(out.split())
    assert "fct_interactions_per_minute" in realtime, out
    exports = {section: names for section, names in dd.EXPORTS.items() if section != "alerts"}  # alerts: not dbt
    batch = {section for section, names in exports.items() if not set(names) & realtime}
    assert batch == dd.BATCH_SECTIONS
