"""NIKs are personal data (UU 27/2022): none is stored, logged or published."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import stat

import duckdb
import polars as pl
import pytest

from pipelines.landing import COLUMNS, list_files, read_extract
from pipelines.settings import SAMPLE_LANDING_DIR, CakupanSettings
from tests.conftest import Landing, nik, run_job

SIXTEEN_DIGITS = re.compile(r"\d{16}")


@pytest.fixture(scope="module")
def sample_niks() -> set[str]:
    files, _ = list_files(SAMPLE_LANDING_DIR, "membership")
    niks = set()
    for file in files:
        frame = read_extract(file, "membership")
        niks |= {v.strip() for v in frame["nik"].drop_nulls().to_list()}
    assert len(niks) > 100_000
    return niks


def _leaks_in_database(path, niks: set[str]) -> dict[str, int]:
    """Every VARCHAR column of every table: values holding a NIK of the input."""
    leaks = {}
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("CREATE TEMP TABLE niks (nik VARCHAR)")
        con.execute("INSERT INTO niks SELECT * FROM (SELECT unnest(?))", [sorted(niks)])
        columns = con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
            "WHERE data_type = 'VARCHAR' AND database_name = current_database()"
        ).fetchall()
        assert columns
        for schema, table, column in columns:
            (found,) = con.execute(
                f"""SELECT count(*) FROM (
                        SELECT unnest(regexp_extract_all("{column}", '\\d{{16}}')) AS digits
                        FROM "{schema}"."{table}") JOIN niks ON nik = digits"""
            ).fetchall()[0]
            if found:
                leaks[f"{schema}.{table}.{column}"] = found
    return leaks


def test_no_nik_in_any_database(sample_run, sample_niks):
    run, _ = sample_run
    for path in (run.settings.warehouse_path, run.settings.published_path):
        assert _leaks_in_database(path, sample_niks) == {}, path


def test_no_nik_in_the_dagster_event_log(sample_run, sample_niks):
    run, instance = sample_run
    text = "\n".join(
        repr(record.dagster_event) + (record.user_message or "")
        for record in instance.all_logs(run.result.run_id)
    )
    assert "invalid NIK" in text or "raw__membership" in text  # the log is really there
    assert set(SIXTEEN_DIGITS.findall(text)) & sample_niks == set()


def test_no_pseudonym_in_the_published_database(sample_run):
    run, _ = sample_run
    with duckdb.connect(str(run.settings.warehouse_path), read_only=True) as con:
        keys = {
            k
            for (k,) in con.execute("SELECT DISTINCT person_key FROM staging.membership").fetchall()
        }
    with duckdb.connect(str(run.settings.published_path), read_only=True) as con:
        published = con.execute(
            "SELECT string_agg(CAST(columns(*) AS VARCHAR), '|') FROM reporting.coverage_by_city"
        ).fetchall()
    assert len(keys) > 1000
    text = repr(published)
    assert not any(k in text for k in list(keys)[:5000])


def test_pseudonym_is_hmac_sha256_of_the_trimmed_nik(landing, output, monkeypatch):
    monkeypatch.setenv("CAKUPAN_PSEUDONYM_KEY", "k" * 100)  # longer than a block: hashed
    number = nik(1)
    landing.membership([["2025-06-30", f" {number} ", "PU", "61.72", "AKTIF", "JKK,JKM", ""]])
    run = run_job(landing.root, output)
    assert run.success
    with duckdb.connect(str(run.settings.warehouse_path), read_only=True) as con:
        (stored,) = con.execute("SELECT person_key FROM raw.membership").fetchall()[0]
    expected = hmac.new(b"k" * 100, number.encode(), hashlib.sha256).hexdigest()
    assert stored == expected


def test_key_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("CAKUPAN_PSEUDONYM_KEY")
    settings = CakupanSettings(landing_dir=str(tmp_path), output_dir=str(tmp_path / "out"))
    first = settings.pseudonym_key()
    key_file = tmp_path / "out" / "pseudonym.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert settings.pseudonym_key() == first and len(first) == 64


def test_rejection_messages_never_quote_a_nik(landing, output):
    number = nik(7)
    # the NIK lands in the region column: the error quotes the value, masked
    landing.membership([["2025-06-30", number, "PU", number, "AKTIF", "JKK,JKM", ""]])
    run = run_job(landing.root, output)
    assert not run.success
    csv_text = run.settings.rejected_files_path.read_text()
    assert "region_code" in csv_text and number not in csv_text
    messages = " ".join(str(e) for e in run.result.all_events)
    assert number not in messages


def test_reader_keeps_columns_as_text(tmp_path):
    land = Landing(tmp_path / "l")
    path = land.membership([["2025-06-30", "0012345678901234", "PU", "61.70", "AKTIF", "", ""]])
    files, _ = list_files(land.root, "membership")
    frame = read_extract(files[0], "membership")
    assert frame.schema["nik"] == pl.String and frame["nik"][0] == "0012345678901234"
    assert frame["region_code"][0] == "61.70"
    assert path.exists() and set(COLUMNS["membership"]) <= set(frame.columns)
