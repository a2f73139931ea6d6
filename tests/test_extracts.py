"""One specification per kind of extract (issue 9): ingest runs each kind from its
``cakupan.extracts.Extract`` alone, and rejections say where, in the file's own terms.

Each test runs the real ingest (``cakupan.ingest.ingest``) on a real in-memory DuckDB
database holding the shipped reference tables.
"""

from __future__ import annotations

import logging

import duckdb
import polars as pl
import pytest

from cakupan.config import SQL_DIR, Settings
from cakupan.extracts import DUPLICATE_KEYS, EXTRACTS
from cakupan.ingest import ingest
from cakupan.rejections import FileRejected, Rejection
from cakupan.sqlfiles import columns, run_sql
from tests.conftest import Landing, both_segments, nik

LOG = logging.getLogger("test_extracts")


def settings(landing: Landing, tmp_path) -> Settings:
    return Settings(landing_dir=str(landing.root), output_dir=str(tmp_path / "out"))


def rejected(con, landing, tmp_path, kind) -> list[Rejection]:
    with pytest.raises(FileRejected) as info:
        ingest(con, settings(landing, tmp_path), kind, LOG)
    return info.value.rejections


def test_every_spec_names_sql_files_that_exist(warehouse):
    for extract in EXTRACTS.values():
        for name in extract.sql_files:
            assert (SQL_DIR / name).is_file(), name
        for reference in extract.references:
            assert columns(warehouse, f"reference.{reference}"), reference


def test_parquet_rejections_name_rows_and_csv_rejections_name_lines(warehouse, landing, tmp_path):
    frame = pl.DataFrame(
        {
            "reference_period": ["2024-08", "2024-08", "2024-08"],
            "region_code": ["61.72", "99.99", "6171"],
            "region_name": ["", "", ""],
            "segment": ["PU", "PU", "PU"],
            "potential_workers": [1, 2, 3],
        }
    )
    landing.parquet("workforce", "a.parquet", frame)
    landing.workforce(
        [["2024-08", "61.71", "", "PU", 1], ["2024-08", "99.98", "", "PU", 1]], name="b.csv"
    )
    got = {r.file: r for r in rejected(warehouse, landing, tmp_path, "workforce")}
    parquet, csv = got["workforce/a.parquet"], got["workforce/b.csv"]
    assert (parquet.line, parquet.column, parquet.value) == (2, "region_code", "99.99")
    assert str(parquet).startswith("workforce/a.parquet row 2, column region_code, value '99.99'")
    assert str(csv).startswith("workforce/b.csv line 3, column region_code, value '99.98'")


def test_a_duplicate_key_in_parquet_names_the_first_row(warehouse, landing, tmp_path):
    frame = pl.DataFrame(
        {
            "reference_period": ["2024-08"] * 3,
            "region_code": ["61.72", "61.71", "6172"],
            "region_name": [""] * 3,
            "segment": ["PU"] * 3,
            "potential_workers": [1, 2, 3],
        }
    )
    landing.parquet("workforce", "a.parquet", frame)
    (r,) = rejected(warehouse, landing, tmp_path, "workforce")
    assert (r.line, r.column, r.value) == (3, "region_code", "6172")
    assert r.reason.startswith("duplicate of row 1: period 2024-08, region 61.72, segment PU")


def test_the_invalid_nik_share_names_rows_of_a_parquet_file(warehouse, landing, tmp_path):
    niks = [nik(i) for i in range(1, 50)] + ["12345"]
    frame = pl.DataFrame(
        {
            "snapshot_date": ["2025-06-30"] * 50,
            "nik": niks,
            "segment": ["PU"] * 50,
            "region_code": ["61.72"] * 50,
            "status": ["AKTIF"] * 50,
            "programs": ["JKK,JKM"] * 50,
            "registered_on": [""] * 50,
        }
    )
    landing.parquet("membership", "m.parquet", frame)
    (r,) = rejected(warehouse, landing, tmp_path, "membership")
    assert (r.line, r.column, r.value) == (None, "nik", "")
    assert r.reason == (
        "1 of 50 rows (2.00%) have an invalid NIK (not 16 digits); at most 1% is accepted (rows 50)"
    )


def test_kept_rows_and_figures_come_from_the_spec(warehouse, landing, tmp_path):
    """Workforce keeps kab/kota rows only (totals counted as skipped); membership reports
    its figures per file."""
    landing.workforce(
        both_segments("2024-08", "61.72", 5, 6) + [["2024-08", "61", "KALBAR", "PU", 11]]
    )
    report = ingest(warehouse, settings(landing, tmp_path), "workforce", LOG)
    (f,) = report.files
    assert (f.rows, f.skipped) == (2, 1)
    assert warehouse.execute("SELECT count(*) FROM raw.workforce").fetchone() == (2,)

    rows = [["2025-06-30", nik(i), "PU", "61.72", "AKTIF", "JKK,JKM,XYZ", ""] for i in range(200)]
    rows += [rows[0], ["2025-06-30", "bad", "PU", "61.72", "AKTIF", "JKK", ""]]
    landing.membership(rows)
    report = ingest(warehouse, settings(landing, tmp_path), "membership", LOG)
    (f,) = report.files
    assert f.rows == 202 and f.skipped == 0
    assert f.figures == {
        "invalid_nik": 1,
        "invalid_nik_lines": "lines 203",
        "unknown_programs": 201,
    }
    assert report.totals() == {
        "invalid NIK rows": 1,
        "unknown program names": 201,
    }


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("workforce", "period 2024-08, region 61.72, segment PU"),
        ("sakernas", "period 2024-08, region 61.72, status PU"),
        ("membership_counts", "snapshot 2024-08, region 61.72, segment PU"),
    ],
)
def test_one_duplicate_key_rule_filled_with_each_kinds_key(kind, reason):
    """sql/raw/check_duplicate_keys.sql, the one rule, names each kind's own key."""
    extract = EXTRACTS[kind]
    (when_word, when), (what_word, what) = extract.duplicate_key
    with duckdb.connect() as con:
        run_sql(con, "raw/macros.sql")
        con.execute(
            f"CREATE TABLE file_rows AS SELECT * FROM (VALUES ('a.csv', 2, '2024-08', '61.72', "
            f"'6172', 'PU'), ('a.csv', 3, '2024-08', '61.72', '61.72', 'PU')) AS t(source_file, "
            f"source_line, {when}, region_code, region_code_raw, {what})"
        )
        text = extract.check_sql(DUPLICATE_KEYS)
        rows = con.execute(text, {"max_quoted": 5}).fetchall()
    assert rows == [
        (
            "a.csv",
            3,
            "region_code",
            "61.72",
            f"duplicate of line 2: {reason} appear twice in one file",
        )
    ]
