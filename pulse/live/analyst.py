"""`data/analyst.duckdb`: a database of views over the exports and reports, for analysts.

The warehouse is locked while dbt runs, so during a live run analysts open this file instead
(`duckdb -readonly data/analyst.duckdb`) and query every mart by its model name. Its views read
the Parquet exports at query time, so they are as fresh as the last cycle. The file itself is
rebuilt only when the set of exports changes: written under a temporary name and renamed over the
old one, so a session that has the old file open keeps working and a new one sees the new file.
Views read absolute paths (the data dir where the file was built), so the file opens from any
directory; a file built in a container reads the container's paths, so there open it in the
container (`docker compose exec pipeline duckdb -readonly /data/analyst.duckdb`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from ingest.config import Settings
from pulse.serve.export_reader import parquet_source, sql_quote

ANALYST_DB = "analyst.duckdb"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def analyst_path(settings: Settings) -> Path:
    return settings.data_dir / ANALYST_DB


def view_sources(settings: Settings) -> dict[str, str]:
    """view name -> the read_parquet() it selects from: one per export and per report folder."""
    out: dict[str, str] = {}
    exports = settings.exports_dir.resolve()
    if exports.is_dir():
        names = {p.stem for p in exports.glob("*.parquet")} | {p.name for p in exports.iterdir() if p.is_dir()}
        for name in sorted(n for n in names if _IDENT.match(n)):
            if source := parquet_source(exports, name):  # one file, or an hourly export's folder
                out[name] = source
    reports = settings.reports_dir.resolve()
    if reports.is_dir():
        for folder in sorted(p for p in reports.iterdir() if p.is_dir() and _IDENT.match(p.name)):
            if next(folder.rglob("*.parquet"), None) is not None:
                glob = f"{sql_quote(str(folder))}/**/*.parquet"
                out[f"report_{folder.name}"] = f"read_parquet('{glob}', hive_partitioning = true, union_by_name = true)"
    return out


class AnalystDb:
    """Rebuilds the analyst database when the set of views it should hold changes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._built: dict[str, str] | None = None

    def refresh(self) -> bool:
        wanted = view_sources(self.settings)
        if wanted == self._built and analyst_path(self.settings).exists():
            return False
        build_analyst_db(self.settings, wanted)
        self._built = wanted
        return True


def build_analyst_db(settings: Settings, views: dict[str, str] | None = None) -> Path:
    views = view_sources(settings) if views is None else views
    target = analyst_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for name, relation in views.items():
            con.execute(f'create view "{name}" as select * from {relation}')
        # What each view reads, so `from _pulse_views` tells an analyst what is there.
        con.execute("create table _pulse_views (view_name varchar, reads varchar)")
        if views:
            con.executemany("insert into _pulse_views values (?, ?)", list(views.items()))
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, target)
    return target
