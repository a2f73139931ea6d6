"""Ingest at national scale (issue 10): DuckDB streams each file, and a file with problems
is read again with exact line numbers.

Each test runs the real ingest (``cakupan.ingest.ingest``) on a real DuckDB database with
the shipped reference tables; expected lines are counted by hand in the files written.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import stat
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from assets.resources import CakupanSettings, Warehouse
from cakupan.config import Settings
from cakupan.extracts import MEMBERSHIP
from cakupan.ingest import ingest, reference_joins
from cakupan.landing import list_files, relation
from cakupan.rejections import FileRejected
from cakupan.sqlfiles import run_sql
from tests.conftest import MEMBERSHIP_HEADER, WORKFORCE_HEADER, Landing, nik

LOG = logging.getLogger("test_streaming_ingest")
SNAP = "2025-06-30"


def run(con, landing: Landing, tmp_path, kind: str):
    settings = Settings(landing_dir=str(landing.root), output_dir=str(tmp_path / "out"))
    try:
        return ingest(con, settings, kind, LOG), None
    except FileRejected as rejected:
        return None, [(r.file, r.line, r.column, r.value, r.reason) for r in rejected.rejections]


def member_line(n: int, region: str = "61.72", nik_value: str | None = None) -> str:
    return ",".join([SNAP, nik_value or nik(n), "PU", region, "AKTIF", '"JKK,JKM"', "2020-01-01"])


def test_a_line_with_the_wrong_number_of_fields_is_named_as_such(warehouse, landing, tmp_path):
    text = "\n".join([",".join(MEMBERSHIP_HEADER), member_line(1), "garbage", member_line(2)])
    landing.text("membership", "m.csv", text + ",extra\n")
    _, rejections = run(warehouse, landing, tmp_path, "membership")
    assert rejections == [
        ("membership/m.csv", 3, "", "", "wrong number of fields (1, expected 7)"),
        ("membership/m.csv", 4, "", "", "wrong number of fields (8, expected 7)"),
    ]


def test_lines_stay_exact_with_blank_lines_and_line_breaks_in_values(warehouse, landing, tmp_path):
    header = ",".join(WORKFORCE_HEADER)
    landing.text(
        "workforce",
        "a_blank.csv",  # an empty line DuckDB would skip: row 2 is on line 4
        f"{header}\n2024-08,61.72,,PU,1\n\n2024-08,61.72,,BPU,2\n",
    )
    landing.text(
        "workforce",
        "b_break.csv",  # a quoted name over two lines: the next row is on line 5
        f'{header}\n2024-08,61.71,"KOTA\nPONTIANAK",PU,3\n2024-08,61.71,,BPU,4\n',
    )
    landing.text(
        "workforce", "c_plain.csv", f"{header}\r\n2024-08,61.01,,PU,5\r\n2024-08,61.01,,BPU,6\r\n"
    )
    report, rejections = run(warehouse, landing, tmp_path, "workforce")
    assert rejections is None
    assert [(f.file.name, f.rows) for f in report.files] == [
        ("workforce/a_blank.csv", 2),
        ("workforce/b_break.csv", 2),
        ("workforce/c_plain.csv", 2),
    ]
    rows = warehouse.execute(
        "SELECT source_file, source_line, potential_workers FROM raw.workforce ORDER BY ALL"
    ).fetchall()
    assert rows == [
        ("workforce/a_blank.csv", 2, 1),
        ("workforce/a_blank.csv", 4, 2),
        ("workforce/b_break.csv", 2, 3),
        ("workforce/b_break.csv", 4, 4),
        ("workforce/c_plain.csv", 2, 5),
        ("workforce/c_plain.csv", 3, 6),
    ]


def test_a_bad_value_deep_in_a_big_gzip_file_is_named_by_its_line(warehouse, landing, tmp_path):
    lines = [",".join(MEMBERSHIP_HEADER)] + [member_line(i % 9999) for i in range(60_000)]
    lines[41_234] = member_line(7, region="61.99")  # lines[i] is line i + 1
    lines.insert(30_000, "")  # an empty line 30,001: the bad row moves to line 41,236
    landing.text("membership", "big.csv.gz", gzip.compress("\n".join(lines).encode(), mtime=0))
    _, rejections = run(warehouse, landing, tmp_path, "membership")
    assert rejections == [
        (
            "membership/big.csv.gz",
            41_236,
            "region_code",
            "61.99",
            "unknown region code (expected Kemendagri PP.KK or a 4-digit BPS code)",
        )
    ]


def _dated_line(line: int) -> str:
    """A member row whose registration date tells its line: 2000-01-01 + (line % 9000) days."""
    day = (date(2000, 1, 1) + timedelta(days=line % 9000)).isoformat()
    return ",".join([SNAP, nik(line % 9999), "PU", "61.72", "AKTIF", '"JKK,JKM"', day])


@pytest.mark.parametrize("name", ["big.csv", "big.csv.gz"])
def test_rows_of_a_big_good_file_keep_their_lines(warehouse, landing, tmp_path, caplog, name):
    """The CSV rows are parsed on every thread and numbered after (temp.streamed): each row
    keeps its own line, and the invalid NIKs' lines are exact."""
    lines = [",".join(MEMBERSHIP_HEADER)] + [_dated_line(n) for n in range(2, 300_002)]
    for line in (2, 150_001, 300_001):
        lines[line - 1] = lines[line - 1].replace(nik(line % 9999), "not-a-nik")
    text = ("\n".join(lines) + "\n").encode()
    landing.text("membership", name, gzip.compress(text, mtime=0) if name.endswith(".gz") else text)
    with caplog.at_level(logging.WARNING, LOG.name):
        report, rejections = run(warehouse, landing, tmp_path, "membership")
    assert rejections is None and report.files[0].rows == 300_000
    assert report.files[0].figures["invalid_nik_lines"] == "lines 2, 150001, 300001"
    assert warehouse.execute(
        "SELECT list(source_line ORDER BY source_line) FROM raw.membership WHERE NOT nik_valid"
    ).fetchall() == [([2, 150_001, 300_001],)]
    lines_and_dates = warehouse.execute(
        "SELECT count(*), count(DISTINCT source_line), min(source_line), max(source_line), "
        "count(*) FILTER (WHERE registered_on <> DATE '2000-01-01' + CAST(source_line % 9000 "
        "AS INTEGER)) FROM raw.membership"
    ).fetchall()
    assert lines_and_dates == [(300_000, 300_000, 2, 300_001, 0)]


def _hash_joins(node: dict):
    if "HASH_JOIN" in node.get("name", ""):
        yield node
    for child in node.get("children", []):
        yield from _hash_joins(child)


def _names(node: dict) -> str:
    return json.dumps(node)


@pytest.mark.parametrize("gzipped", [False, True])
def test_every_hash_table_is_built_on_reference_data(warehouse, landing, tmp_path, gzipped):
    """No raw row of a file is ever held in a hash table (DuckDB guesses a CSV file holds a
    few dozen rows and would build on it): the file's rows are streamed through."""
    text = "\n".join([",".join(MEMBERSHIP_HEADER), *(member_line(i) for i in range(100))])
    if gzipped:
        landing.text("membership", "m.csv.gz", gzip.compress(text.encode(), mtime=0))
    else:
        landing.text("membership", "m.csv", text)
    (file,), _ = list_files(landing.root, MEMBERSHIP)
    run_sql(warehouse, "raw/macros.sql")
    warehouse.execute(f"CREATE TEMP VIEW landing_rows AS {relation(warehouse, file, MEMBERSHIP)}")
    query = f"EXPLAIN (FORMAT json) SELECT * FROM ({MEMBERSHIP.parse()})"
    with reference_joins(warehouse):
        ((_, plan),) = warehouse.execute(query, {"pseudonym_secret": b"s" * 32}).fetchall()
    joins = [j for root in json.loads(plan) for j in _hash_joins(root)]
    assert len(joins) == 2
    for join in joins:
        probe, build = join["children"]
        assert "READ_CSV" in _names(probe) and "READ_CSV" not in _names(build)
        assert "reference." in _names(build), _names(build)


def test_the_warehouse_spills_to_a_private_folder_emptied_at_each_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CAKUPAN_MEMORY_LIMIT", "512MB")  # read by Settings.from_env
    config = Settings.from_env(str(tmp_path), str(tmp_path / "out"))
    stale = config.temp_dir / "duckdb_temp_storage-0.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by a killed run")
    settings = CakupanSettings.of(config)
    warehouse = Warehouse(settings=settings)
    with warehouse.yield_for_execution(dg.build_init_resource_context()) as resource:
        assert not stale.exists()
        with resource.get_connection() as con:
            limit, temp = con.execute(
                "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
            ).fetchall()[0]
    assert limit == "488.2 MiB"  # 512 MB
    assert temp == str(config.temp_dir)
    assert stat.S_IMODE(os.stat(temp).st_mode) == 0o700


def test_the_birth_date_check_agrees_with_strptime_for_every_ddmmyy():
    """``nik_birth_date_valid`` (arithmetic, fast) against DuckDB's strptime, the rule it
    replaced, on all 10^6 DDMMYY (days 00-99: women's days are 41-71)."""
    with duckdb.connect() as con:
        run_sql(con, "raw/macros.sql")
        differ, total = con.execute(
            """
            SELECT count(*) FILTER (WHERE
                       nik_birth_date_valid(d % 40, m, y) IS DISTINCT FROM
                       (try_strptime(lpad(CAST(d % 40 AS VARCHAR), 2, '0')
                                     || lpad(CAST(m AS VARCHAR), 2, '0')
                                     || lpad(CAST(y AS VARCHAR), 2, '0'), '%d%m%y') IS NOT NULL
                        AND d NOT IN (0, 40))),
                   count(*)
            FROM range(100) a(d), range(100) b(m), range(100) c(y)
            """
        ).fetchall()[0]
    assert (differ, total) == (0, 1_000_000)


def test_gx_connection_keeps_to_the_memory_limit(tmp_path):
    """GX's own DuckDB (duckdb-engine, opened from the URL run_suite builds) gets
    CAKUPAN_MEMORY_LIMIT and its spill folder, read-only as before."""
    import sqlalchemy as sa

    from cakupan.quality.context import duckdb_url

    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    spill = tmp_path / "spill"
    url = duckdb_url(db, memory_limit="300MB", temp_directory=str(spill))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            got = con.execute(
                sa.text(
                    "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
                    "current_setting('access_mode')"
                )
            ).fetchall()[0]
    finally:
        engine.dispose()
    assert tuple(got) == ("286.1 MiB", str(spill), "read_only")  # 300 MB


def test_a_run_takes_the_memory_limit_from_the_environment(tmp_path, monkeypatch):
    """The code location's resources read CAKUPAN_MEMORY_LIMIT (dg.EnvVar) when a run starts."""
    from pipelines.definitions import resources

    monkeypatch.setenv("CAKUPAN_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("CAKUPAN_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("CAKUPAN_MEMORY_LIMIT", "700MB")
    seen = {}

    @dg.asset
    def probe(warehouse: Warehouse) -> None:
        with warehouse.get_connection() as con:
            seen["limit"] = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    assert dg.materialize([probe], resources=resources()).success
    assert seen["limit"] == "667.5 MiB"  # 700 MB = 700e6 / 2^20 MiB
