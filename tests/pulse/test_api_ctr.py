"""The CTR API against a real uvicorn server (`pulse serve api` in a subprocess, free port),
over the hand-computed fixture (tests/fixtures/{product_views,orders,order_items}) built by dbt.

Expected answers, worked by hand (times GMT-3; product views are GMT in the files):
  MobileWeb 20008657_002: views 2016-01-31 22:30:10.5 and 22:30:40 (01:30 GMT on Feb 1!),
      2016-02-01 00:10:00 (its batch landed twice: one view); orders 1 (31/01 22:45, DELIVERED,
      two sizes of it: one purchase), 2 (01/02 00:15, CANCELED: no purchase), 3 (01/02 00:20, SHIPPED).
  MobileWeb 20011111_001: view 2016-02-01 00:10:05; order 1 (31/01 22:45).
  iOS 20008657_002: views 2016-02-01 09:00:00, 09:00:30; order 4 (01/02 09:05).
  Order 5 (device Desktop) is on no platform: not counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ingest.config import load_settings
from ingest.files import ingest_files
from pulse.serve.ctr_query import CtrReader, answered_ahead, make_request
from tests.conftest import REPO, free_port, run_dbt_subprocess

FIXTURES = REPO / "tests" / "fixtures"
TOKEN = "test-token-123"
DAY_BOUNDARY = {"startTimestamp": "2016-01-31 22:00:00", "endTimestamp": "2016-02-01 22:00:00", "aggregation": "120"}
HOURLY = {**DAY_BOUNDARY, "aggregation": "60"}  # answered from the hourly answers written ahead


def build_ctr_fixture(data_dir: Path) -> None:
    settings = load_settings({"PULSE_DATA_DIR": str(data_dir)})
    for source in ("product_views", "orders", "order_items"):
        files = sorted(str(p) for p in (FIXTURES / source).rglob("*") if p.is_file())
        assert all(r.reconciles() for r in ingest_files(settings, source, files))
    run_dbt_subprocess(data_dir, "run", "--select", "+fct_product_activity_hourly")


@contextmanager
def running_api(data_dir: Path, token: str | None = TOKEN):
    """`pulse serve api` in a subprocess on a free port; yields an httpx client (with the token)."""
    port = free_port()
    env = {**os.environ, "PULSE_DATA_DIR": str(data_dir)}
    env.pop("PULSE_API_TOKEN", None)
    if token:
        env["PULSE_API_TOKEN"] = token
    proc = subprocess.Popen([sys.executable, "-m", "pulse.cli", "serve", "api", "--port", str(port),
                             "--log-level", "warning"], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10)
    deadline = time.monotonic() + 120  # generous: imports alone take seconds on a loaded machine
    try:
        while True:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"API did not start: {proc.stdout.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=60)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ctr_api") / "data"
    build_ctr_fixture(data_dir)
    with running_api(data_dir) as client:
        yield client, data_dir


def test_ctr_across_the_gmt_day_boundary_is_hand_computed(api):
    client, _ = api
    r = client.get("/ctr", params=DAY_BOUNDARY)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == [
        {"timestamp": "2016-01-31 22:00:00", "platform": "MobileWeb", "product": "20008657_002", "CTR": "0.5000"},
        # purchases but no product views in the bucket: CTR is undefined, null
        {"timestamp": "2016-01-31 22:00:00", "platform": "MobileWeb", "product": "20011111_001", "CTR": None},
        {"timestamp": "2016-02-01 00:00:00", "platform": "MobileWeb", "product": "20008657_002", "CTR": "1.0000"},
        {"timestamp": "2016-02-01 00:00:00", "platform": "MobileWeb", "product": "20011111_001", "CTR": "0.0000"},
        {"timestamp": "2016-02-01 08:00:00", "platform": "iOS", "product": "20008657_002", "CTR": "0.5000"},
    ]


def test_daily_buckets_split_at_gmt3_midnight_and_filters_apply(api):
    client, _ = api
    r = client.get("/ctr", params={"startTimestamp": "2016-01-31 00:00:00", "endTimestamp": "2016-02-02 00:00:00",
                                   "aggregation": 1440, "platform": "MobileWeb", "product": "20008657_002"})
    assert r.json() == [
        {"timestamp": "2016-01-31 00:00:00", "platform": "MobileWeb", "product": "20008657_002", "CTR": "0.5000"},
        {"timestamp": "2016-02-01 00:00:00", "platform": "MobileWeb", "product": "20008657_002", "CTR": "1.0000"},
    ]
    # Buckets start at startTimestamp (13:55 steps), not at the hour.
    r = client.get("/ctr", params={"startTimestamp": "2016-01-31 20:55:00", "endTimestamp": "2016-02-01 20:55:00",
                                   "aggregation": 1440, "platform": "iOS"})
    assert r.json() == [{"timestamp": "2016-01-31 20:55:00", "platform": "iOS", "product": "20008657_002",
                         "CTR": "0.5000"}]
    r = client.get("/ctr", params={**DAY_BOUNDARY, "product": "no-such-product"})
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize(("params", "parameter"), [
    ({"endTimestamp": "2016-02-01 22:00:00", "aggregation": "60"}, "startTimestamp"),
    ({"startTimestamp": "2016-01-31 22:00:00", "aggregation": "60"}, "endTimestamp"),
    ({"startTimestamp": "2016-01-31 22:00:00", "endTimestamp": "2016-02-01 22:00:00"}, "aggregation"),
    ({**DAY_BOUNDARY, "startTimestamp": "31/01/2016 22:00"}, "startTimestamp"),
    ({**DAY_BOUNDARY, "endTimestamp": "2016-02-30 10:00:00"}, "endTimestamp"),
    ({**DAY_BOUNDARY, "endTimestamp": "2016-01-31 21:00:00"}, "endTimestamp"),
    ({**DAY_BOUNDARY, "endTimestamp": DAY_BOUNDARY["startTimestamp"]}, "endTimestamp"),
    ({**DAY_BOUNDARY, "aggregation": "0"}, "aggregation"),
    ({**DAY_BOUNDARY, "aggregation": "-5"}, "aggregation"),
    ({**DAY_BOUNDARY, "aggregation": "hourly"}, "aggregation"),
    ({**DAY_BOUNDARY, "aggregation": "153722867281"}, "aggregation"),  # overflowed into a 500 when unbounded
    ({**DAY_BOUNDARY, "platform": "Windows"}, "platform"),
    ({**DAY_BOUNDARY, "platform": "ios"}, "platform"),
])
def test_bad_parameters_answer_422_naming_the_parameter(api, params, parameter):
    client, _ = api
    r = client.get("/ctr", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"{parameter}: "), r.json()


def test_a_repeated_parameter_is_refused_not_last_wins(api):
    client, _ = api
    r = client.get("/ctr", params=[*DAY_BOUNDARY.items(), ("platform", "iOS"), ("platform", "Android")])
    assert r.status_code == 422 and r.json()["detail"] == "platform: given 2 times, give it once", r.text
    r = client.get("/ctr", params=[*DAY_BOUNDARY.items(), ("aggregation", "60")])
    assert r.status_code == 422 and r.json()["detail"].startswith("aggregation: given 2 times"), r.text


def test_health_shows_no_absolute_path(api):
    client, data_dir = api
    body = client.get("/health").json()
    assert body["export"] == "exports/fct_product_activity_minute.parquet" and body["export_exists"] is True
    assert str(data_dir) not in client.get("/health").text


def test_token_is_required_when_set(api):
    client, _ = api
    url = str(client.base_url) + "/ctr"
    assert httpx.get(url, params=DAY_BOUNDARY).status_code == 401
    wrong = httpx.get(url, params=DAY_BOUNDARY, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    # The docs stay readable without it; the OpenAPI schema documents /ctr and its parameters.
    assert httpx.get(str(client.base_url) + "/docs").status_code == 200
    spec = httpx.get(str(client.base_url) + "/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/ctr"]["get"]["parameters"]}
    assert names == {"startTimestamp", "endTimestamp", "aggregation", "product", "platform"}


@contextmanager
def replaced(export: Path, replace: str):
    """`export` swapped for a copy with `select * replace (<replace>)`, as dbt swaps it; restored after."""
    import duckdb

    saved = export.read_bytes()
    try:
        tmp = export.with_name(".replacement.parquet")
        duckdb.sql(f"copy (select * replace ({replace}) from read_parquet('{export}', hive_partitioning = false)) "
                   f"to '{tmp}' (format parquet)")
        os.replace(tmp, export)
        yield
    finally:
        export.write_bytes(saved)


def test_a_new_export_is_read_without_a_restart(api):
    client, data_dir = api
    with replaced(data_dir / "exports" / "fct_product_activity_minute.parquet", "product_views * 2 as product_views"):
        rows = client.get("/ctr", params={**DAY_BOUNDARY, "platform": "iOS"}).json()
        assert rows[0]["CTR"] == "0.2500"
    assert client.get("/ctr", params={**DAY_BOUNDARY, "platform": "iOS"}).json()[0]["CTR"] == "0.5000"


def test_a_day_by_hour_is_answered_ahead_with_the_minute_paths_bytes(api):
    """60-minute buckets on whole hours without a product are read from the answers dbt wrote ahead
    (exports/ctr_hourly_answers, one file per day): hand-computed over the GMT-3 day boundary, the
    same bytes as the minute path renders for every platform and range, and a new day file is read
    without a restart (so the API does read it)."""
    client, data_dir = api
    answers = data_dir / "exports" / "ctr_hourly_answers"
    assert sorted(p.name for p in answers.iterdir()) == ["day=2016-01-31", "day=2016-02-01"]
    r = client.get("/ctr", params=HOURLY)
    assert r.status_code == 200 and r.json() == [
        {"timestamp": "2016-01-31 22:00:00", "platform": "MobileWeb", "product": "20008657_002", "CTR": "0.5000"},
        {"timestamp": "2016-01-31 22:00:00", "platform": "MobileWeb", "product": "20011111_001", "CTR": None},
        {"timestamp": "2016-02-01 00:00:00", "platform": "MobileWeb", "product": "20008657_002", "CTR": "1.0000"},
        {"timestamp": "2016-02-01 00:00:00", "platform": "MobileWeb", "product": "20011111_001", "CTR": "0.0000"},
        {"timestamp": "2016-02-01 09:00:00", "platform": "iOS", "product": "20008657_002", "CTR": "0.5000"},
    ]

    reader = CtrReader(load_settings({"PULSE_DATA_DIR": str(data_dir)}))
    ranges = [("2016-01-31 22:00", "2016-02-01 22:00"), ("2016-01-30 00:00", "2016-02-03 00:00"),
              ("2016-02-01 00:00", "2016-02-01 09:00"), ("2016-02-01 09:00", "2016-02-01 10:00"),
              ("2016-02-02 00:00", "2016-02-03 00:00"), ("0001-01-01 00:00", "9999-12-31 00:00")]
    for start, end in ranges:
        for platform in (None, "iOS", "Android", "MobileWeb"):
            request = make_request(start, end, 60, platform=platform)
            assert answered_ahead(request)
            assert reader._hourly_json(request) == reader._minutes_json(request), (start, end, platform)
    assert not answered_ahead(make_request("2016-02-01 00:30", "2016-02-01 09:30", 60))
    assert not answered_ahead(make_request("2016-02-01 00:00", "2016-02-01 09:00", 120))

    day = answers / "day=2016-02-01" / "data_0.parquet"
    with replaced(day, "replace(answer_json, '0.5000', '0.2500') as answer_json"):
        assert client.get("/ctr", params={**HOURLY, "platform": "iOS"}).json()[0]["CTR"] == "0.2500"
    assert client.get("/ctr", params={**HOURLY, "platform": "iOS"}).json()[0]["CTR"] == "0.5000"


def test_missing_export_is_503_and_no_token_means_open(tmp_path):
    with running_api(tmp_path / "data", token=None) as client:
        r = client.get("/ctr", params=DAY_BOUNDARY)
        assert r.status_code == 503 and "no CTR data yet" in r.json()["detail"]
        assert str(tmp_path) not in r.text and str(tmp_path) not in client.get("/health").text


def test_swagger_ui_renders_offline_in_chromium(api):
    """/docs draws the API in a real browser from assets the server itself serves (none from a CDN:
    the page works without internet access)."""
    from tests.pulse.test_dashboard_browser import browser

    client, _ = api
    base = str(client.base_url)
    page = httpx.get(f"{base}/docs").text
    assert "cdn." not in page and "unpkg" not in page
    driver = browser()
    try:
        driver.get(f"{base}/docs")
        deadline = time.monotonic() + 120  # generous: Chromium on a loaded machine
        text = ""
        while time.monotonic() < deadline:
            text = driver.find_element("tag name", "body").text
            if "pulse CTR API" in text and "/ctr" in text:
                break
            time.sleep(0.5)
        assert "pulse CTR API" in text and "/ctr" in text, f"Swagger UI did not render:\n{text[:2000]}"
        loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    finally:
        driver.quit()
    assert loaded and all(url.startswith(base) for url in loaded), loaded
