"""fct_product_activity_minute and fct_product_activity_hourly are incremental: a later extract
recomputes only the minutes (hours) it touches, exactly (no doubled rows, the same as a full
refresh), and the exports the API reads follow: the hourly answers rewrite only the changed days."""

import json

import duckdb

from ingest.files import ingest_files
from tests.conftest import run_dbt_subprocess
from tests.pulse.test_api_ctr import build_ctr_fixture


def export_rows(data_dir):
    path = data_dir / "exports" / "fct_product_activity_minute.parquet"
    return duckdb.sql(f"select strftime(activity_minute, '%Y-%m-%d %H:%M') as minute, platform, product, "
                      f"product_views, purchases from read_parquet('{path}') order by all").fetchall()


def hourly_answers(data_dir):
    answers = data_dir / "exports" / "ctr_hourly_answers"
    return duckdb.sql(f"select strftime(activity_hour, '%Y-%m-%d %H:%M') as hour, platform, answer_json "
                      f"from read_parquet('{answers}/*/*.parquet') order by all").fetchall()


def test_later_extracts_update_their_minutes_only(settings, data_dir, tmp_path):
    build_ctr_fixture(data_dir)
    before = export_rows(data_dir)
    answers_before = hourly_answers(data_dir)
    untouched_day = data_dir / "exports" / "ctr_hourly_answers" / "day=2016-01-31" / "data_0.parquet"
    untouched_stat = untouched_day.stat()
    assert ("2016-02-01 09:00", "iOS", "20008657_002", 2, 0) in before

    ios = tmp_path / "iOS"
    ios.mkdir()
    event = {"data": {"custom_event_type": "navigation", "event_name": "product",
                      "timestamp_unixtime_ms": 1454328045000.5, "event_id": 31, "session_id": 32,
                      "custom_attributes": {"codeColor": "20008657_002"}}, "event_type": "custom_event"}
    (ios / "late.json").write_text(json.dumps([{"events": [event], "mpid": -42, "timestamp_unixtime_ms": 1454328045000,
                                                "batch_id": 9, "message_id": "new", "message_type": "events",
                                                "schema_version": 1}]))
    (tmp_path / "orders.csv").write_text(
        "id;user_id;order_date;order_subtotal;order_discount;order_total;order_status;payment_type;shipping_cost;"
        "shipping_service;address_city;address_state;utm_source_medium;device_type\n"
        "2;u2;01/02/2016 00:15;189.90;0.00;205.80;DELIVERED;BOLETO;15.90;PAC;Curitiba;PR;direct / none;MobileWeb\n")
    ingest_files(settings, "product_views", [str(ios / "late.json")])
    ingest_files(settings, "orders", [str(tmp_path / "orders.csv")])  # order 2: CANCELED -> DELIVERED
    # No landing lookback (300 s by default: the fixture landed seconds ago and would count again).
    run_dbt_subprocess(data_dir, "run", "--select", "fct_product_activity_minute", "fct_product_activity_hourly",
                       "--vars", "{lake_ingest_lookback_seconds: 0}")

    after = export_rows(data_dir)
    changed = set(after) - set(before)
    assert changed == {("2016-02-01 09:00", "iOS", "20008657_002", 3, 0),
                       ("2016-02-01 00:15", "MobileWeb", "20008657_002", 0, 1)}
    assert set(before) - set(after) == {("2016-02-01 09:00", "iOS", "20008657_002", 2, 0)}
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        dupes = con.execute("select count(*) - count(distinct activity_minute_id) "
                            "from marts.fct_product_activity_minute").fetchone()[0]
    assert dupes == 0

    answers_after = hourly_answers(data_dir)
    assert {row[:2] for row in set(answers_after) - set(answers_before)} == {
        ("2016-02-01 09:00", "iOS"), ("2016-02-01 00:00", "MobileWeb")}
    assert '"timestamp":"2016-02-01 09:00:00","platform":"iOS","product":"20008657_002","CTR":"0.3333"' in str(
        answers_after)
    # The day nothing landed for was not rewritten.
    assert (untouched_day.stat().st_ino, untouched_day.stat().st_mtime_ns) == (
        untouched_stat.st_ino, untouched_stat.st_mtime_ns)

    # The increments equal a full refresh over the same lake.
    run_dbt_subprocess(data_dir, "run", "--full-refresh", "--select", "fct_product_activity_minute",
                       "fct_product_activity_hourly")
    assert export_rows(data_dir) == after
    assert hourly_answers(data_dir) == answers_after
