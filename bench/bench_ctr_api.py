"""Benchmark the CTR API (not a test: nothing here asserts a timing).

Generates the CTR mart's export for 30 days of product views (about 10M views by default) with
DuckDB SQL, in the export's exact columns, then runs `pulse serve api` (a real uvicorn server)
over it and measures, for a one-day query at 60-minute aggregation on a random day:
latency p50/p95 (sequential requests) and requests/s (concurrent clients), without filters,
with `platform`, with `product`, and with both. Goal: p95 <= 50 ms.

Side by side in the same run, the same minute rows as dbt exports them (sorted by minute) with
and without the hourly answers dbt writes ahead (fct_product_activity_hourly's post-hook): the
baseline renders every answer from the minutes. The ratio is what the answers written ahead buy;
the product-filtered shapes take the minute path in both. Before timing, the bench checks that
both paths give the same bytes for a few requests.

    .venv/bin/python bench/bench_ctr_api.py                       # 10M views over 30 days
    .venv/bin/python bench/bench_ctr_api.py --views 2000000 --requests 100
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.conftest import free_port  # noqa: E402

FIRST_DAY = datetime(2016, 1, 1)
PLATFORMS = ("iOS", "Android", "MobileWeb")


def write_export(path: Path, views: int, days: int, products: int) -> tuple[int, float]:
    """Minute rows for `views` product views: Zipf-like popular products, CTR about 2%."""
    path.parent.mkdir(parents=True, exist_ok=True)
    minutes = days * 1440
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("select setseed(0.42)")
    con.execute(f"""
        copy (
            with views as (
                select
                    timestamp '{FIRST_DAY:%Y-%m-%d}' + to_minutes(cast(floor(random() * {minutes}) as bigint))
                        as activity_minute,
                    ['iOS', 'Android', 'MobileWeb'][1 + cast(floor(random() * 3) as integer)] as platform,
                    printf('%08d_%03d', 20000000 + cast(floor(pow(random(), 3) * {products}) as integer) * 7, 2)
                        as product,
                    random() < 0.02 as purchased
                from range({views})
            ),
            per_minute as (
                select activity_minute, platform, product,
                       cast(count(*) as integer) as product_views,
                       cast(count(*) filter (where purchased) as integer) as purchases
                from views group by all
            )
            select md5(concat_ws('|', activity_minute, platform, product)) as activity_minute_id,
                   activity_minute, platform, product, product_views, purchases,
                   timestamp '2016-02-01 00:00:00' as last_ingested_at
            from per_minute
            order by activity_minute, platform, product
        ) to '{path}' (format parquet, compression zstd)
    """)
    rows = con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
    return rows, time.perf_counter() - started


def write_hourly_answers(minute_export: Path, answers_dir: Path) -> float:
    """The hourly answers as fct_product_activity_hourly and its post-hook write them
    (macros/ctr_activity.sql), here from the minute export instead of the warehouse, with the
    API's own rendering of an answer's object."""
    from pulse.serve.ctr_query import answer_object_sql

    started = time.perf_counter()
    duckdb.connect().execute(f"""
        copy (
            with hourly as (
                select date_trunc('hour', activity_minute) as activity_hour, platform, product,
                       sum(product_views) as product_views, sum(purchases) as purchases
                from read_parquet('{minute_export}')
                group by all
            )
            select
                activity_hour,
                platform,
                string_agg({answer_object_sql('activity_hour', 'product_views', 'purchases')},
                           ',' order by product) as answer_json,
                strftime(activity_hour, '%Y-%m-%d') as day
            from hourly
            group by activity_hour, platform
            order by activity_hour, platform
        ) to '{answers_dir}' (format parquet, compression zstd, partition_by (day), write_partition_columns false)
    """)
    return time.perf_counter() - started


def check_same_answers(data_dir: Path, days: int) -> None:
    """The answers written ahead and the minute path agree byte for byte (else the bench is void)."""
    from ingest.config import load_settings
    from pulse.serve.ctr_query import CtrReader, make_request

    reader = CtrReader(load_settings({"PULSE_DATA_DIR": str(data_dir)}))
    rng = random.Random(3)
    for filters in ({}, {"platform": "iOS"}):
        for _ in range(3):
            p = one_day_params(rng, days)
            request = make_request(p["startTimestamp"], p["endTimestamp"], 60, **filters)
            if reader._hourly_json(request) != reader._minutes_json(request):
                raise SystemExit(f"answers written ahead differ from the minute path for {p} {filters}")


class Server:
    def __init__(self, data_dir: Path):
        self.port = free_port()
        env = {**os.environ, "PULSE_DATA_DIR": str(data_dir)}
        env.pop("PULSE_API_TOKEN", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "pulse.cli", "serve", "api", "--port", str(self.port),
                                      "--log-level", "warning"], env=env, cwd=REPO)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("the API did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def one_day_params(rng: random.Random, days: int, **filters) -> dict:
    day = FIRST_DAY + timedelta(days=rng.randrange(days - 1), hours=rng.randrange(24))
    end = day + timedelta(days=1)
    return {"startTimestamp": f"{day:%Y-%m-%d %H:%M:%S}", "endTimestamp": f"{end:%Y-%m-%d %H:%M:%S}",
            "aggregation": 60, **filters}


def latency(base: str, n: int, days: int, filters: dict) -> tuple[float, float, int, int]:
    rng = random.Random(7)
    times, size, rows = [], 0, 0
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get("/ctr", params=one_day_params(rng, days, **filters))  # warm up
        for _ in range(n):
            params = one_day_params(rng, days, **filters)
            started = time.perf_counter()
            r = client.get("/ctr", params=params)
            times.append(time.perf_counter() - started)
            r.raise_for_status()
            size = max(size, len(r.content))
            rows = max(rows, r.content.count(b'"timestamp"'))
    times.sort()
    return statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000, rows, size


def throughput(base: str, seconds: float, clients: int, days: int, filters: dict) -> float:
    done = [0] * clients
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        rng = random.Random(i)
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.monotonic() < stop:
                client.get("/ctr", params=one_day_params(rng, days, **filters)).raise_for_status()
                done[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--views", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=200, help="sequential requests per case (latency)")
    ap.add_argument("--seconds", type=float, default=5.0, help="duration of each throughput run")
    ap.add_argument("--clients", type=int, default=4, help="concurrent clients in the throughput run")
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench_ctr_api_"))
    ahead, minutes_only = root / "ahead" / "data", root / "minutes" / "data"
    export = ahead / "exports" / "fct_product_activity_minute.parquet"
    rows, secs = write_export(export, args.views, args.days, args.products)
    print(f"{rows:,} minute rows for {args.views:,} views over {args.days} days, generated in {secs:.1f} s")
    secs = write_hourly_answers(export, ahead / "exports" / "ctr_hourly_answers")
    print(f"hourly answers written ahead in {secs:.1f} s")
    check_same_answers(ahead, args.days)
    (minutes_only / "exports").mkdir(parents=True)
    shutil.copy(export, minutes_only / "exports" / export.name)
    layouts = {"answers ahead (as dbt exports)": ahead, "minute path (baseline)": minutes_only}

    product = "20000007_002"  # among the most viewed
    cases = {"no filter": {}, "platform": {"platform": "iOS"}, "product": {"product": product},
             "platform+product": {"platform": "Android", "product": product}}
    results: dict[tuple[str, str], tuple] = {}
    for name, data_dir in layouts.items():
        server = Server(data_dir)
        try:
            for case, filters in cases.items():
                p50, p95, n_rows, size = latency(server.base, args.requests, args.days, filters)
                rps = throughput(server.base, args.seconds, args.clients, args.days, filters)
                results[(name, case)] = (p50, p95, rps, n_rows, size)
        finally:
            server.stop()

    print(f"\nGET /ctr one day at aggregation=60, {args.requests} sequential requests (latency) and "
          f"{args.clients} clients for {args.seconds:g} s (throughput), 2 shared cores\n")
    print(f"{'layout':<32}{'case':<18}{'p50 ms':>8}{'p95 ms':>8}{'req/s':>8}{'rows':>8}{'bytes':>10}  p95<=50ms")
    for (name, case), (p50, p95, rps, n_rows, size) in results.items():
        ok = "yes" if p95 <= 50 else "no"
        print(f"{name:<32}{case:<18}{p50:>8.1f}{p95:>8.1f}{rps:>8.1f}{n_rows:>8}{size:>10}  {ok}")
    print("\nanswers ahead vs minute path (p95 ratio, lower is better):")
    names = list(layouts)
    for case in cases:
        a, b = results[(names[0], case)], results[(names[1], case)]
        print(f"  {case:<18} p95 {a[1]:.1f} / {b[1]:.1f} ms = {a[1] / b[1]:.2f}x   req/s {a[2]:.0f} vs {b[2]:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
