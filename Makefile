# The two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The fixture dbt build gets its own data dir and target dir, never the user's ./data.
FIXTURE_DIR ?= $(CURDIR)/.fixture-build
# Debian packages the test suite needs, as package=probe (a file, or a command on PATH):
# Chromium and its driver for the dashboard browser test, Java 17 for Spark.
TEST_PACKAGES := chromium=/usr/bin/chromium chromium-driver=/usr/bin/chromedriver openjdk-17-jre-headless=java

.PHONY: install demo test system-packages lint pytest dbt-fixture airflow-test spark-build clean

# Installs the missing packages of $(1) with apt-get (as root, or through sudo when it needs no
# password); without either, stops at once with the one command to run.
define ensure_packages
	@missing=""; \
	for dep in $(1); do probe="$${dep#*=}"; \
	    case "$$probe" in /*) [ -e "$$probe" ];; *) command -v "$$probe" >/dev/null;; esac \
	        || missing="$$missing $${dep%%=*}"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo=sudo; else sudo=none; fi; \
	if [ "$$sudo" = none ] || ! command -v apt-get >/dev/null; then \
	    echo "make: missing system packages:$$missing. Install them, then run make again:" >&2; \
	    echo "    sudo apt-get install -y$$missing" >&2; exit 1; \
	fi; \
	echo "make: installing$$missing (apt-get)"; \
	{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq$$missing >/dev/null; } \
	    || { echo "make: apt-get could not install$$missing" >&2; exit 1; }
endef

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/pulse demo

# System packages first: a machine that lacks them and cannot install them stops in seconds.
test: system-packages $(STAMP) lint pytest dbt-fixture airflow-test

system-packages:
	$(call ensure_packages,$(TEST_PACKAGES))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python tools/check_imports.py
	PULSE_DBT_TARGET=lint $(BIN)/sqlfluff lint models analyses

pytest: $(STAMP)
	$(BIN)/pytest

# dbt build (models, data tests, unit tests) on the small hand-written data set in tests/fixtures.
dbt-fixture: $(STAMP)
	rm -rf $(FIXTURE_DIR)
	PULSE_DATA_DIR=$(FIXTURE_DIR)/data $(BIN)/python -m tests.fixtures.load
	PULSE_DATA_DIR=$(FIXTURE_DIR)/data $(BIN)/dbt build --profiles-dir . --target-path $(FIXTURE_DIR)/target
	PULSE_DATA_DIR=$(FIXTURE_DIR)/data $(BIN)/dbt docs generate --profiles-dir . --target-path $(FIXTURE_DIR)/target

# Every model, data test and unit test on Apache Spark over the same lake (docs/scaling.md):
# Java 17 first (installed like the test packages), then the `spark` target.
spark-build: $(STAMP)
	$(call ensure_packages,openjdk-17-jre-headless=java)
	$(BIN)/dbt build --profiles-dir . --target spark

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
