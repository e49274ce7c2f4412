"""The CTR case's extracts land as their real formats demand: product-view JSON arrays in platform
folders (float timestamps, float-rounded ids, every event of a batch), Kafka batches with a
top-level platform, and the `;` orders extract with `dd/mm/yyyy HH:MM` GMT-3 dates."""

import json
from datetime import datetime

import pyarrow.parquet as pq
import pytest

from ingest.files import ingest_files
from ingest.kafka.decode import decode_message
from ingest.sources import SOURCES
from ingest.sources.base import FileFormatError

SPEC = SOURCES["product_views"]


def batch(*events, **header):
    return {"events": list(events), "mpid": -196509116834317511, "timestamp_unixtime_ms": 1515546904352.5,
            "batch_id": 4541028697219217452, "message_id": "67a98f22", "message_type": "events",
            "schema_version": 1, **header}


def product(ms, code="20008657_002", event_id=679644799952992890):
    return {"data": {"custom_event_type": "navigation", "event_name": "product", "timestamp_unixtime_ms": ms,
                     "event_id": event_id, "session_id": -7147916473548193691,
                     "custom_attributes": {"actualPrice": "189.9", "base": "p", "codeColor": code}},
            "event_type": "custom_event"}


SCREEN = {"data": {"screen_name": "Home", "timestamp_unixtime_ms": 1515546905000, "event_id": 1.2e18},
          "event_type": "screen_view"}


def lake_rows(settings, source):
    files = sorted((settings.lake_dir / source).glob("date=*/file-*.parquet"))
    return [r for f in files for r in pq.read_table(f).to_pylist()]


def test_json_array_in_a_platform_folder_lands_every_event(settings, tmp_path):
    folder = tmp_path / "MobileWeb"
    folder.mkdir()
    no_code = product(1515546906000)
    del no_code["data"]["custom_attributes"]["codeColor"]
    (folder / "part-1.json").write_text(json.dumps([
        batch(product(1515546904352.75), SCREEN, product(1515546904999, event_id=679644799952992890)),
        batch(no_code),
        "not a batch",
    ]))
    [r] = ingest_files(settings, "product_views", [str(folder / "part-1.json")])
    assert (r.read, r.landed, r.quarantined) == (5, 3, 2) and r.reconciles()
    rows = lake_rows(settings, "product_views")
    assert {row["platform"] for row in rows} == {"MobileWeb"}
    assert [row["event_type"] for row in rows] == ["custom_event", "screen_view", "custom_event"]
    # Fractional milliseconds kept; the same (float-rounded) event_id twice is two events.
    assert rows[0]["event_time"] == datetime(2018, 1, 10, 1, 15, 4, 352750)
    assert rows[0]["event_id"] == rows[2]["event_id"] and rows[0]["event_index"] == 0
    assert rows[1]["event_id"] == "1200000000000000000"
    quarantine = pq.read_table(next((settings.quarantine_dir / "product_views").glob("date=2*/*.parquet")))
    reasons = quarantine.column("reason").to_pylist()
    assert any("codeColor" in x for x in reasons) and any("batch 3" in x for x in reasons)


def test_a_folder_that_is_not_a_platform_is_a_clear_error(settings, tmp_path):
    folder = tmp_path / "Desktop"
    folder.mkdir()
    (folder / "x.json").write_text(json.dumps([batch(product(1515546904352))]))
    with pytest.raises(FileFormatError, match=r"folder 'Desktop' is not a platform.*iOS, Android, MobileWeb"):
        ingest_files(settings, "product_views", [str(folder / "x.json")])


def test_kafka_batch_explodes_with_its_platform():
    message = batch(product(1515546904352), SCREEN, platform="iOS")
    decoded = decode_message(json.dumps(message).encode(), SPEC)
    assert not decoded.bad and [r["platform"] for r in decoded.rows] == ["iOS", "iOS"]
    assert [r["_row"] for r in decoded.rows] == [0, 1] and decoded.rows[0]["code_color"] == "20008657_002"
    missing = decode_message(json.dumps(batch(product(1))).encode(), SPEC)
    assert not missing.rows and "missing platform" in missing.bad[0][1]
    wrong = decode_message(json.dumps(batch(product(1515546904352), platform="Windows")).encode(), SPEC)
    assert not wrong.rows and "not a platform" in wrong.bad[0][1]


def test_orders_extract_semicolons_and_local_dates(settings, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "id;user_id;order_date;order_subtotal;order_discount;order_total;order_status;payment_type;shipping_cost;"
        "shipping_service;address_city;address_state;utm_source_medium;device_type\n"
        "7;u;31/01/2016 22:45;10.0;0;10.0;DELIVERED;CREDIT_CARD;0;PAC;Sao Paulo;SP;google / cpc;iOS\n"
        "8;u;2016-01-31 22:45;10.0;0;10.0;DELIVERED;CREDIT_CARD;0;PAC;Sao Paulo;SP;google / cpc;iOS\n"
    )
    [r] = ingest_files(settings, "orders", [str(path)])
    assert (r.landed, r.quarantined) == (1, 1)
    [row] = lake_rows(settings, "orders")
    assert row["order_date"] == datetime(2016, 1, 31, 22, 45) and row["device_type"] == "iOS"
    assert (settings.lake_dir / "orders" / "date=2016-01-31").is_dir()  # the GMT-3 date


def test_view_ending_before_it_starts_is_quarantined():
    good = {"view_id": "v", "start_timestamp": "2024-05-01T10:00:00.000Z", "end_timestamp": "2024-05-01T10:00:05.000Z",
            "banner_id": 1, "campaign_id": 2}
    assert decode_message(json.dumps(good).encode(), SOURCES["view_log"]).rows
    bad = {**good, "start_timestamp": good["end_timestamp"], "end_timestamp": good["start_timestamp"]}
    decoded = decode_message(json.dumps(bad).encode(), SOURCES["view_log"])
    assert not decoded.rows and "before start_timestamp" in decoded.bad[0][1]
