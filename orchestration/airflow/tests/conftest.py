"""The project's shared fixtures (a real broker on a free port), for the Airflow tests too."""

from tests.conftest import kafka_broker  # noqa: F401
