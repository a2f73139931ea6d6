"""Dates that cannot be true are rejected (issue 20), naming file, line, column and value:
a snapshot after tomorrow or before 2014-01-01, a registration after its row's snapshot,
a Sakernas or workforce reference period after this month (all in Asia/Jakarta, on the
run's day). Targets' years are plans: a future year is fine.

The ingest runs for real (``cakupan.ingest.ingest``) on an in-memory DuckDB holding the
shipped reference tables, on a day given to it (``today``); one run of the real raw asset
checks the run's own day.
"""

from __future__ import annotations

import csv
import logging
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from assets import raw
from cakupan.config import Settings
from cakupan.ingest import ingest
from cakupan.landing import jakarta_today
from cakupan.rejections import FileRejected, Rejection
from pipelines.definitions import resources
from tests.conftest import Landing, both_segments, nik, reference_connection, settings_for

LOG = logging.getLogger("test_impossible_dates")


def settings(landing: Landing, tmp_path) -> Settings:
    return Settings(landing_dir=str(landing.root), output_dir=str(tmp_path / "out"))


TODAY = date(2025, 7, 15)  # the run's day in these tests: tomorrow is 2025-07-16
FUTURE = "date in the future (after 2025-07-16, tomorrow in Asia/Jakarta)"
BEFORE = "date before 2014-01-01 (BPJS Ketenagakerjaan began then)"
PERIOD = "reference period in the future (after 2025-07, this month in Asia/Jakarta)"


def member(n: int, snapshot: str, registered: str = "2014-01-01") -> list:
    return [snapshot, nik(n), "PU", "61.72", "AKTIF", "JKK,JKM", registered]


def write_csv(path, rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def rejected(con, landing, tmp_path, kind, today=TODAY) -> list[Rejection]:
    with pytest.raises(FileRejected) as info:
        ingest(con, settings(landing, tmp_path), kind, LOG, today=today)
    return info.value.rejections


def loaded(con, landing, tmp_path, kind, table=None, today=TODAY) -> int:
    ingest(con, settings(landing, tmp_path), kind, LOG, today=today)
    return con.execute(f"SELECT count(*) FROM raw.{table or kind}").fetchone()[0]


def test_dates_at_the_limits_are_accepted(warehouse, landing, tmp_path):
    landing.membership(
        [
            member(1, "2025-07-16"),  # tomorrow
            member(2, "2014-01-01", registered="2014-01-01"),  # BPJS's first day
            member(3, "2025-06-30", registered="2025-06-30"),  # registered that very day
            member(4, "2025-07-16T16:59:59Z", registered="2025-07-16"),  # 23:59:59 WIB
        ]
    )
    assert loaded(warehouse, landing, tmp_path, "membership") == 4


def test_impossible_membership_dates_are_rejected(warehouse, landing, tmp_path):
    landing.membership([member(1, "2025-06-30")], name="good.csv")
    landing.membership(
        [
            member(1, "2025-07-17"),  # the day after tomorrow
            member(2, "2205-06-30"),
            member(3, "2013-12-31"),  # registered later: only the snapshot is said
            member(4, "2025-06-30", registered="2025-07-01"),  # a day after its snapshot
            member(5, "2025-07-16T17:00:00Z"),  # 00:00 WIB on 2025-07-17
        ],
        name="bad.csv",
    )
    reason = "registered after the snapshot date 2025-06-30"
    assert rejected(warehouse, landing, tmp_path, "membership") == [
        Rejection("membership/bad.csv", 2, "snapshot_date", "2025-07-17", FUTURE),
        Rejection("membership/bad.csv", 3, "snapshot_date", "2205-06-30", FUTURE),
        Rejection("membership/bad.csv", 4, "snapshot_date", "2013-12-31", BEFORE),
        Rejection("membership/bad.csv", 5, "registered_on", "2025-07-01", reason),
        Rejection("membership/bad.csv", 6, "snapshot_date", "2025-07-16T17:00:00Z", FUTURE),
    ]


def test_a_future_snapshot_in_parquet_names_its_row(warehouse, landing, tmp_path):
    import polars as pl

    from tests.conftest import MEMBERSHIP_HEADER

    rows = [member(1, "2025-06-30"), member(2, "2026-01-01")]
    frame = pl.DataFrame({c: [r[i] for r in rows] for i, c in enumerate(MEMBERSHIP_HEADER)})
    landing.parquet("membership", "m.parquet", frame)
    assert rejected(warehouse, landing, tmp_path, "membership") == [
        Rejection("membership/m.parquet", 2, "snapshot_date", "2026-01-01", FUTURE)
    ]


def test_impossible_count_snapshots_are_rejected(warehouse, landing, tmp_path):
    loaded(warehouse, landing, tmp_path, "membership")  # none: the counts' checks read it
    header = ["snapshot_date", "region_code", "segment", "covered"]
    folder = landing.root / "membership_counts"
    write_csv(folder / "good.csv", [header, ["2025-07-16", "61.72", "PU", "5"]])
    write_csv(
        folder / "bad.csv",
        [header, ["2025-07-17", "61.72", "PU", "5"], ["2013-12-31", "61.71", "PU", "5"]],
    )
    assert rejected(warehouse, landing, tmp_path, "membership_counts") == [
        Rejection("membership_counts/bad.csv", 2, "snapshot_date", "2025-07-17", FUTURE),
        Rejection("membership_counts/bad.csv", 3, "snapshot_date", "2013-12-31", BEFORE),
    ]
    (folder / "bad.csv").unlink()
    assert loaded(warehouse, landing, tmp_path, "membership_counts") == 1


def test_a_future_workforce_period_is_rejected(warehouse, landing, tmp_path):
    landing.workforce(both_segments("2025-07", "61.72", 10, 20), name="good.csv")
    landing.workforce(both_segments("2025-08", "61.71", 10, 20), name="bad.csv")
    assert rejected(warehouse, landing, tmp_path, "workforce") == [
        Rejection("workforce/bad.csv", 2, "reference_period", "2025-08", PERIOD),
        Rejection("workforce/bad.csv", 3, "reference_period", "2025-08", PERIOD),
    ]
    (landing.root / "workforce" / "bad.csv").unlink()
    assert loaded(warehouse, landing, tmp_path, "workforce") == 2


def test_a_future_sakernas_period_is_rejected_long_and_wide(warehouse, landing, tmp_path):
    folder = landing.root / "sakernas"
    long = ["reference_period", "region_code", "region_name", "status", "workers"]
    write_csv(folder / "good.csv", [long, ["Juli 2025", "6172", "SINGKAWANG", "4", "10"]])
    write_csv(folder / "long.csv", [long, ["Agustus 2025", "6171", "PONTIANAK", "4", "10"]])
    wide = ["reference_period", "region_code", "region_name", "1", "4"]
    write_csv(folder / "wide.csv", [wide, ["2025-08", "61.01", "SAMBAS", "5", "10"]])
    assert rejected(warehouse, landing, tmp_path, "sakernas") == [
        Rejection("sakernas/long.csv", 2, "reference_period", "Agustus 2025", PERIOD),
        *[Rejection("sakernas/wide.csv", 2, "reference_period", "2025-08", PERIOD)] * 2,
    ]
    for name in ("long.csv", "wide.csv"):
        (folder / name).unlink()
    assert loaded(warehouse, landing, tmp_path, "sakernas") == 1


def test_a_future_target_year_is_a_plan(warehouse, landing, tmp_path):
    landing.targets([[2030, "61.72", "50"]])
    assert loaded(warehouse, landing, tmp_path, "targets") == 1


def test_a_file_rejected_for_a_future_date_is_read_again_on_a_later_day(tmp_path):
    """The ledger does not reject an unchanged file unread for a date that was in the
    future: on the day after, the same file is accepted."""
    con = reference_connection()
    landing = Landing(tmp_path / "landing")
    landing.membership([member(1, "2025-07-17")])
    config = settings(landing, tmp_path)
    with pytest.raises(FileRejected):
        ingest(con, config, "membership", LOG, today=TODAY)
    ingest(con, config, "membership", LOG, today=date(2025, 7, 16))
    assert con.execute("SELECT count(*) FROM raw.membership").fetchone()[0] == 1
    con.close()


def test_the_raw_asset_checks_dates_against_the_runs_day(tmp_path, reference_warehouse):
    """The real asset, on the real clock: a snapshot dated 2205 is rejected; one dated
    yesterday (in Asia/Jakarta) is loaded."""
    import shutil

    config = settings_for(tmp_path)
    config.ensure_private()
    shutil.copy(reference_warehouse, config.warehouse_path)
    landing = Landing(config.landing)
    yesterday = (jakarta_today() - timedelta(days=1)).isoformat()
    landing.membership([member(1, yesterday)], name="good.csv")
    landing.membership([member(2, "2205-06-30")], name="bad.csv")
    result = dg.materialize([raw.membership], resources=resources(config), raise_on_error=False)
    assert not result.success
    with config.rejected_files_path.open(encoding="utf-8") as handle:
        rows = [(r["file"], r["line"], r["column"], r["value"]) for r in csv.DictReader(handle)]
    assert rows == [("membership/bad.csv", "2", "snapshot_date", "2205-06-30")]
    (config.landing / "membership" / "bad.csv").unlink()
    result = dg.materialize([raw.membership], resources=resources(config), raise_on_error=False)
    assert result.success
    with duckdb.connect(str(config.warehouse_path), read_only=True) as con:
        dates = con.execute("SELECT DISTINCT snapshot_date FROM raw.membership").fetchall()
    assert dates == [(date.fromisoformat(yesterday),)]
