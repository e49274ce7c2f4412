# The two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The fixture dbt build gets its own data dir and target dir, never the user's ./data.
FIXTURE_DIR ?= $(CURDIR)/.fixture-build

.PHONY: install demo test lint pytest dbt-fixture airflow-test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/pulse demo

test: $(STAMP) lint pytest dbt-fixture airflow-test

lint: $(STAMP)
	$(BIN)/ruff check .
	PULSE_DBT_TARGET=lint $(BIN)/sqlfluff lint models analyses

pytest: $(STAMP)
	$(BIN)/pytest

# dbt build (models, data tests, unit tests) on the small hand-written data set in tests/fixtures.
dbt-fixture: $(STAMP)
	rm -rf $(FIXTURE_DIR)
	PULSE_DATA_DIR=$(FIXTURE_DIR)/data $(BIN)/python -m tests.fixtures.load
	PULSE_DATA_DIR=$(FIXTURE_DIR)/data $(BIN)/dbt build --profiles-dir . --target-path $(FIXTURE_DIR)/target
	PULSE_DATA_DIR=$(FIXTURE_DIR)/data $(BIN)/dbt docs generate --profiles-dir . --target-path $(FIXTURE_DIR)/target

# Airflow 3.1 + cosmos in their own venv (they pin fastapi/starlette below the project's; docs/orchestration.md),
# then `airflow dags test pulse_watch_sessions` on generated events with a SQLite metadata DB in .airflow-test.
AIRFLOW_VENV := .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed-stamp

$(AIRFLOW_STAMP): orchestration/airflow/requirements.txt
	test -x $(AIRFLOW_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/python -m pip install -q --upgrade pip
	$(AIRFLOW_VENV)/bin/python -m pip install -q -r orchestration/airflow/requirements.txt
	touch $(AIRFLOW_STAMP)

airflow-test: $(STAMP) $(AIRFLOW_STAMP)
	rm -rf .airflow-test
	PULSE_AIRFLOW_HOME=$(CURDIR)/.airflow-test $(BIN)/python -m pytest orchestration/airflow/tests

clean:
	rm -rf $(FIXTURE_DIR) .airflow-test target logs
