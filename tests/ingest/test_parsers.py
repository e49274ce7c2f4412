from datetime import datetime

import pytest

from ingest.sources import parsers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-02-01 09:38:43 UTC", datetime(2023, 2, 1, 9, 38, 43)),
        ("2023-02-01 09:38:43.9 UTC", datetime(2023, 2, 1, 9, 38, 43, 900000)),
        ("2023-02-01 09:38:43.955 UTC", datetime(2023, 2, 1, 9, 38, 43, 955000)),
        ("2023-02-01 09:38:43.123456 UTC", datetime(2023, 2, 1, 9, 38, 43, 123456)),
        ("2023-02-01T09:38:43Z", datetime(2023, 2, 1, 9, 38, 43)),
        ("2023-02-01T06:38:43-03:00", datetime(2023, 2, 1, 9, 38, 43)),
        (1515546904352.5, datetime(2018, 1, 10, 1, 15, 4, 352500)),
    ],
)
def test_utc_timestamp_accepts_extract_formats(raw, expected):
    assert parsers.utc_timestamp(raw) == expected


@pytest.mark.parametrize("raw", ["yesterday", "2023-13-01 00:00:00 UTC", "1970-01-01 00:00:00 UTC", True, [1]])
def test_utc_timestamp_rejects_garbage_and_absurd_values(raw):
    with pytest.raises(ValueError):
        parsers.utc_timestamp(raw)


def test_local_orders_timestamp():
    assert parsers.local_day_month_year("03/01/2016 13:55") == datetime(2016, 1, 3, 13, 55)
