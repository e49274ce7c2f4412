"""docker-compose.yml and the Dockerfile, checked without Docker (not available here): the
official Kafka image in KRaft mode, every pulse service's command a valid `pulse` invocation
(parsed by the real CLI parser), ports, environment and the data volume consistent."""

from __future__ import annotations

import re

import pytest
import yaml

from pulse.cli import build_parser
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PULSE_SERVICES = {name: s for name, s in SERVICES.items() if name != "kafka"}


def test_kafka_is_the_official_image_in_kraft_mode():
    kafka = SERVICES["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "zookeeper" not in yaml.safe_dump(COMPOSE).lower()
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "healthcheck" in kafka


@pytest.mark.parametrize("name", sorted(PULSE_SERVICES))
def test_service_command_is_a_valid_pulse_invocation(name):
    command = PULSE_SERVICES[name]["command"]
    assert isinstance(command, list) and command[0] == "pulse", f"{name}: command must be ['pulse', ...]"
    try:
        args = build_parser().parse_args(command[1:])
    except SystemExit:
        pytest.fail(f"{name}: `{' '.join(command)}` is not a valid pulse command line")
    assert callable(args.func)


@pytest.mark.parametrize("name", sorted(PULSE_SERVICES))
def test_service_uses_the_project_image_broker_and_data_volume(name):
    service = PULSE_SERVICES[name]
    assert service.get("build") == "." and service.get("image") == "pulse:latest"
    env = service["environment"]
    advertised = SERVICES["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert f"PLAINTEXT://{env['KAFKA_BOOTSTRAP_SERVERS']}" in advertised.split(",")
    assert any(v.endswith(f":{env['PULSE_DATA_DIR']}") for v in service["volumes"])


def test_kafka_clients_wait_for_a_healthy_broker():
    for name, service in PULSE_SERVICES.items():
        command = service["command"]
        uses_kafka = command[1] == "run" or "kafka" in command
        if uses_kafka:
            assert service["depends_on"]["kafka"]["condition"] == "service_healthy", name


def test_published_ports_match_the_commands_and_do_not_clash():
    published = []
    for name, service in SERVICES.items():
        for mapping in service.get("ports", []):
            host, container = str(mapping).split(":")
            published.append(host)
            if name in PULSE_SERVICES:
                command = service["command"]
                assert command[command.index("--port") + 1] == container, name
                assert command[command.index("--host") + 1] == "0.0.0.0", f"{name} must listen beyond localhost"
    assert len(published) == len(set(published))
    assert {"8000", "8501"} <= set(published)


def test_one_shot_services_chain_in_order():
    load = PULSE_SERVICES["campaigns-load"]
    assert load["depends_on"]["campaigns-extract"]["condition"] == "service_completed_successfully"
    extract_out = PULSE_SERVICES["campaigns-extract"]["command"]
    out = extract_out[extract_out.index("--out") + 1]
    assert load["command"][-1].startswith(out + "/")


def test_dockerfile_copies_what_the_services_need():
    dockerfile = (REPO / "Dockerfile").read_text()
    copied = {p for line in re.findall(r"^COPY (.+)$", dockerfile, re.M) for p in line.split()[:-1]}
    for needed in ("pyproject.toml", "ingest", "pulse", "dbt_project.yml", "profiles.yml", "models", "macros",
                   "alerts.yml"):
        assert needed in copied, f"Dockerfile does not COPY {needed}"
    for path in copied:
        assert (REPO / path).exists(), f"Dockerfile copies {path}, which is not in the repository"
    assert "PULSE_PROJECT_DIR=/app" in dockerfile and "pip install -e ." in dockerfile
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {"data", ".venv", ".git"} <= set(ignored)
