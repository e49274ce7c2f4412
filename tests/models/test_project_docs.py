"""What the dbt project says about itself, checked against the project (one `dbt ls`, whose parse
writes the manifest): the docs site's overview page links every mart and reader, and the
dashboard tells batch panels from live ones as the models' tags do."""

from __future__ import annotations

import json
import re

import pytest

from pulse.serve import dashboard_data as dd
from tests.conftest import run_dbt_subprocess

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[set[str], dict]:
    """(names of the models tagged realtime, the parsed manifest)."""
    tmp = tmp_path_factory.mktemp("project")
    out = run_dbt_subprocess(tmp / "data", "ls", "--resource-type", "model", "--select", "tag:realtime",
                             "--output", "name", "--quiet", target_dir=tmp / "target").stdout
    return set(out.split()), json.loads((tmp / "target" / "manifest.json").read_text())


def test_overview_page_links_every_mart_and_reader(project):
    _, manifest = project
    overview = manifest["docs"]["doc.pulse.__overview__"]["block_contents"]
    assert overview.startswith("# pulse")
    linked = set(re.findall(r"\(#!/model/(model\.pulse\.\w+)\)", overview))
    marts = {uid for uid, node in manifest["nodes"].items()
             if node["resource_type"] == "model" and "marts" in node["fqn"]}
    assert linked <= set(manifest["nodes"]), f"links to no model: {linked - set(manifest['nodes'])}"
    assert marts <= linked, f"marts missing from the overview: {sorted(marts - linked)}"
    exposures = set(re.findall(r"\(#!/exposure/(exposure\.pulse\.\w+)\)", overview))
    assert exposures == set(manifest["exposures"])


def test_batch_sections_are_exactly_the_dashboard_panels_over_marts_not_tagged_realtime(project):
    realtime, _ = project
    assert "fct_interactions_per_minute" in realtime, realtime
    exports = {section: names for section, names in dd.EXPORTS.items() if section != "alerts"}  # alerts: not dbt
    batch = {section for section, names in exports.items() if not set(names) & realtime}
    assert batch == dd.BATCH_SECTIONS
