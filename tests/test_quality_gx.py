"""Great Expectations on DuckDB: the GX fix, the suite runner and Data Docs.

Real DuckDB files, real GX validations, no mocks. GX takes ~7-14 s to import; it is
imported once in this process and once in each subprocess test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import duckdb
import pytest

from cakupan.quality import ExpectationOutcome, gx_duckdb, load_suite, run_suite
from cakupan.quality.context import duckdb_url

REPO = Path(__file__).resolve().parents[1]


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["GX_ANALYTICS_ENABLED"] = "false"
    return env


def _run_python(code: str, *args: str, timeout: int = 300) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_subprocess_env(),
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
def membership_db(tmp_path: Path) -> Path:
    """20 rows in staging.membership with known defects (see the comments)."""
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA staging")
    con.execute(
        """
        CREATE TABLE staging.membership AS
        SELECT
            id,
            lpad(id::VARCHAR, 16, '0') AS nik,                     -- always 16 chars
            CASE id WHEN 5 THEN '12A4' WHEN 9 THEN '123'           -- 2 bad codes
                    ELSE lpad((3170 + id)::VARCHAR, 4, '0') END AS kode_wilayah,
            CASE WHEN id IN (3, 7) THEN NULL                       -- 2 nulls
                 WHEN id = 11 THEN 500 WHEN id = 12 THEN -5        -- 2 out of [0, 100]
                 ELSE id * 4 END AS iuran,
            CASE WHEN id = 20 THEN 'A' WHEN id <= 10 THEN 'A' ELSE 'B' END AS kab,
            CASE WHEN id = 20 THEN 1 ELSE (id - 1) % 10 + 1 END AS bulan  -- id 20 = id 1
        FROM range(1, 21) AS r(id)
        """
    )
    con.close()
    return db


def _suite() -> dict:
    return {
        "name": "membership",
        "expectations": [
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "iuran"},
                "meta": {"severity": "ERROR", "description": "iuran is filled"},
            },
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "iuran", "min_value": 0, "max_value": 100},
                "meta": {"severity": "WARN", "name": "iuran_range"},
            },
            {
                "type": "expect_compound_columns_to_be_unique",
                "kwargs": {"column_list": ["kab", "bulan"]},
                "meta": {"severity": "ERROR"},
            },
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "id"},
                "meta": {"severity": "ERROR"},
            },
            {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 20}},
            {
                "type": "expect_table_row_count_to_equal",
                "kwargs": {"value": 21},
                "severity": "warning",  # GX's own field, used when meta.severity is absent
            },
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {
                    # Braces of regex quantifiers are doubled: GX str.format()s the query.
                    "unexpected_rows_query": (
                        "SELECT id, kode_wilayah FROM {batch} "
                        "WHERE NOT regexp_full_match(kode_wilayah, '[0-9]{{4}}') ORDER BY id"
                    )
                },
                "meta": {"severity": "ERROR", "name": "kode_wilayah_format"},
            },
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {
                    "unexpected_rows_query": "SELECT * FROM {batch} WHERE length(nik) <> 16"
                },
                "meta": {"severity": "ERROR", "name": "nik_length"},
            },
        ],
    }


# -------------------------------------------------------------------------- the GX patch

_BUG_SCRIPT = """
    import json, sys, time
    db = sys.argv[1]
    t0 = time.perf_counter()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig)
    import_s = time.perf_counter() - t0

    def validate(name):
        config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(),
                                   progress_bars=ProgressBarsConfig(globally=False))
        ctx = gx.get_context(mode="ephemeral", project_config=config)
        url = f"duckdb:///{db}?access_mode=read_only"
        ds = ctx.data_sources.add_sql(name, connection_string=url)
        asset = ds.add_table_asset("t", table_name="t")
        batch = asset.add_batch_definition_whole_table("all").get_batch()
        r = batch.validate(gx.expectations.ExpectColumnValuesToNotBeNull(column="v"))
        ds.get_execution_engine().close()
        ds.get_engine().dispose()
        info = r.exception_info or {}
        entries = [info] if "raised_exception" in info else list(info.values())
        errors = sorted({e["exception_message"] for e in entries if e.get("raised_exception")})
        return {"success": r.success, "unexpected_count": r.result.get("unexpected_count"),
                "errors": errors}

    out = {"import_s": import_s, "unpatched": validate("before_fix")}
    from cakupan.quality import gx_duckdb
    gx_duckdb.apply()
    out["patched"] = validate("after_fix")
    print(json.dumps(out))
"""


def test_duckdb_bug_reproduces_without_fix_and_is_fixed_by_it(tmp_path: Path) -> None:
    """If the 'unpatched' half starts passing, GX fixed the bug: drop gx_duckdb."""
    db = tmp_path / "t.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS id, NULLIF(range % 4, 0) AS v FROM range(8)")

    out = _run_python(_BUG_SCRIPT, str(db))

    assert out["unpatched"]["success"] is False
    assert out["unpatched"]["unexpected_count"] is None
    assert out["unpatched"]["errors"] == ["list index out of range"]
    assert out["patched"] == {"success": False, "unexpected_count": 2, "errors": []}


def test_patched_gx_internals_keep_their_expected_shape(tmp_path: Path) -> None:
    """Fails when a GX upgrade moves what gx_duckdb patches."""
    import sqlalchemy as sa
    from great_expectations.execution_engine import sqlalchemy_execution_engine as see
    from great_expectations.execution_engine.sqlalchemy_dialect import GXSqlDialect

    dialects = gx_duckdb.check_internals()
    assert isinstance(dialects, tuple)
    assert GXSqlDialect.SQLITE in dialects and GXSqlDialect.SQL_SERVER in dialects
    assert "duckdb" not in GXSqlDialect.get_all_dialect_names()  # GX learnt DuckDB: revisit

    gx_duckdb.apply()
    gx_duckdb.apply()  # idempotent
    assert gx_duckdb.is_applied()
    assert sum(d == "duckdb" for d in see._PERSISTED_CONNECTION_DIALECTS) == 1
    assert see._dialect_requires_persisted_connection(connection_string="duckdb:///x.duckdb")
    assert not see._dialect_requires_persisted_connection(connection_string="postgresql://h/d")

    db = tmp_path / "t.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS id FROM range(3)")
    engine = see.SqlAlchemyExecutionEngine(connection_string=duckdb_url(db))
    try:
        assert isinstance(engine.engine.pool, sa.pool.StaticPool)
        with engine.get_connection() as first:
            pass
        with engine.get_connection() as second:
            pass
        assert first is second and not first.closed
        # The code path of the bug: rows read after get_connection()'s block has exited.
        assert engine.execute_query(sa.text("SELECT count(*) FROM t")).fetchall() == [(3,)]
    finally:
        engine.close()
    with duckdb.connect(str(db)) as con:  # close() released the file
        con.execute("INSERT INTO t VALUES (3)")


def test_check_internals_fails_loudly_when_gx_changes() -> None:
    with pytest.raises(gx_duckdb.GXInternalsChanged, match="no longer exists"):
        gx_duckdb.check_internals(types.SimpleNamespace())

    def reader_without_the_constant() -> bool:
        return False

    moved = types.SimpleNamespace(
        _PERSISTED_CONNECTION_DIALECTS=(),
        _dialect_requires_persisted_connection=reader_without_the_constant,
        SqlAlchemyExecutionEngine=types.SimpleNamespace(get_connection=reader_without_the_constant),
    )
    with pytest.raises(gx_duckdb.GXInternalsChanged, match="no longer reads"):
        gx_duckdb.check_internals(moved)
    with pytest.raises(gx_duckdb.GXInternalsChanged, match="tuple"):
        gx_duckdb.check_internals(types.SimpleNamespace(_PERSISTED_CONNECTION_DIALECTS=["x"]))


# -------------------------------------------------------------------------------- runner


def test_run_suite_reports_successes_counts_and_samples(membership_db: Path) -> None:
    outcomes = run_suite(membership_db, _suite(), "staging.membership", run_name="t1")
    by = {o.expectation: o for o in outcomes}

    assert [o.expectation for o in outcomes] == [
        "column_values_to_not_be_null__iuran",
        "iuran_range",
        "compound_columns_to_be_unique__kab__bulan",
        "column_values_to_not_be_null__id",
        "table_row_count_to_equal",
        "table_row_count_to_equal_2",
        "kode_wilayah_format",
        "nik_length",
    ]
    assert all(isinstance(o, ExpectationOutcome) and o.error is None for o in outcomes)

    nulls = by["column_values_to_not_be_null__iuran"]
    assert (nulls.success, nulls.severity, nulls.unexpected_count) == (False, "ERROR", 2)
    assert nulls.description == "iuran is filled"
    assert nulls.observed_value == "2 unexpected of 20 rows (10.00%)"
    assert nulls.sample == [{"iuran": None}, {"iuran": None}]

    rng = by["iuran_range"]
    assert (rng.success, rng.severity, rng.unexpected_count) == (False, "WARN", 2)
    assert sorted(rng.sample, key=lambda r: r["iuran"]) == [{"iuran": -5}, {"iuran": 500}]

    dup = by["compound_columns_to_be_unique__kab__bulan"]
    assert (dup.success, dup.unexpected_count) == (False, 2)
    assert dup.sample == [{"kab": "A", "bulan": 1}, {"kab": "A", "bulan": 1}]

    ok = by["column_values_to_not_be_null__id"]
    assert (ok.success, ok.unexpected_count, ok.sample) == (True, 0, [])

    assert by["table_row_count_to_equal"].success is True
    assert by["table_row_count_to_equal"].observed_value == "20"
    assert by["table_row_count_to_equal"].severity == "ERROR"  # GX default: critical
    wrong_count = by["table_row_count_to_equal_2"]
    assert (wrong_count.success, wrong_count.severity) == (False, "WARN")
    assert wrong_count.unexpected_count is None

    regex = by["kode_wilayah_format"]
    assert (regex.success, regex.unexpected_count) == (False, 2)
    assert regex.observed_value == "2 unexpected rows"
    assert regex.sample == [{"id": 5, "kode_wilayah": "12A4"}, {"id": 9, "kode_wilayah": "123"}]

    nik = by["nik_length"]
    assert (nik.success, nik.unexpected_count, nik.sample) == (True, 0, [])

    types_ = [e["type"] for e in _suite()["expectations"]]
    assert [o.expectation_type for o in outcomes] == types_
    for o in outcomes:  # usable as Dagster metadata
        assert json.loads(json.dumps(o.sample)) == o.sample


def test_samples_are_capped_and_errors_reported(membership_db: Path) -> None:
    suite = {
        "name": "caps",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "id", "min_value": 100},
            },
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch}"},
                "meta": {"name": "all_rows"},
            },
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "missing"}},
        ],
    }
    between, all_rows, missing = run_suite(membership_db, suite, "staging.membership")

    assert (between.unexpected_count, len(between.sample)) == (20, 5)
    assert between.sample[0] == {"id": 1}  # just the column
    assert (all_rows.unexpected_count, len(all_rows.sample)) == (20, 5)
    # every column but the NIK: personal data is never sampled
    assert set(all_rows.sample[0]) == {"id", "kode_wilayah", "iuran", "kab", "bulan"}
    assert missing.success is False and missing.error and "missing" in missing.error
    assert missing.observed_value.startswith("error: ")


def test_observed_values_speak_in_the_unit_of_the_check(membership_db: Path) -> None:
    """meta.unit names what one returned row is; meta.summary says it in full (issue #8)."""
    codes = (
        "SELECT kab, id FROM {batch} "
        "WHERE NOT regexp_full_match(kode_wilayah, '[0-9]{{4}}') ORDER BY id"
    )
    suite = {
        "name": "units",
        "expectations": [
            {  # ids 5 and 9, both in kab A, of 20 rows
                "type": "unexpected_rows_expectation",
                "kwargs": {"unexpected_rows_query": codes},
                "meta": {
                    "name": "codes",
                    "unit": "bad code|bad codes",
                    "summary_query": "SELECT count(*) AS n, count(DISTINCT kab) AS kabs, "
                    "count(*) / (SELECT count(*) FROM {batch}) AS share FROM {unexpected}",
                    "summary": "{n:,} bad {n:|code|codes} in {kabs} {kabs:|kab|kabs} "
                    "({share:.1%} of the rows)",
                },
            },
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {"unexpected_rows_query": "SELECT id FROM {batch} WHERE iuran > 100"},
                "meta": {"name": "over", "unit": "row over 100|rows over 100"},
            },
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {"unexpected_rows_query": "SELECT id FROM {batch} WHERE iuran < 0"},
                "meta": {
                    "name": "faulty_summary",
                    "unit": "kab",
                    "summary_query": "SELECT count(*) AS n FROM {unexpected}",
                    "summary": "{n} rows in {kabs} kabs",
                },
            },
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {
                    "unexpected_rows_query": "SELECT id FROM {batch} WHERE length(nik) <> 16"
                },
                "meta": {"name": "short", "unit": "short NIK|short NIKs"},
            },
        ],
    }
    by = {o.expectation: o for o in run_suite(membership_db, suite, "staging.membership")}

    assert (by["codes"].unexpected_count, by["codes"].success) == (2, False)
    assert by["codes"].observed_value == "2 bad codes in 1 kab (10.0% of the rows)"
    assert by["codes"].sample == [{"kab": "A", "id": 5}, {"kab": "A", "id": 9}]
    assert by["over"].observed_value == "1 row over 100"
    faulty = by["faulty_summary"]  # the count stays, with the reason the summary failed
    assert faulty.observed_value.startswith("1 kab (no summary: summary does not fit ['n']")
    assert "kabs" in faulty.observed_value and faulty.sample == [{"id": 12}]
    assert (by["short"].success, by["short"].observed_value) == (True, "0 short NIKs")


def test_database_is_released_after_run(membership_db: Path) -> None:
    run_suite(membership_db, _suite(), "staging.membership")
    # Any GX connection still open would make this fail ("different configuration").
    with duckdb.connect(str(membership_db)) as con:
        con.execute("INSERT INTO staging.membership (id) VALUES (99)")
    # The write went through, and is in the file for the next reader.
    with duckdb.connect(str(membership_db), read_only=True) as con:
        rows = con.execute("SELECT count(*), count(*) FILTER (id = 99) FROM staging.membership")
        assert rows.fetchone() == (21, 1)


def test_open_connection_in_same_process_is_refused(membership_db: Path) -> None:
    """Documents DuckDB's one-configuration-per-file rule (duckdb-engine adds a user agent)."""
    with duckdb.connect(str(membership_db), read_only=True):
        with pytest.raises(Exception, match="different configuration"):
            run_suite(membership_db, _suite(), "staging.membership")
    run_suite(membership_db, _suite(), "staging.membership")  # fine once it is closed


def test_data_docs_are_built_in_the_chosen_directory(membership_db: Path, tmp_path: Path) -> None:
    docs = tmp_path / "out" / "quality" / "data_docs"
    run_suite(membership_db, _suite(), "staging.membership", docs, run_name="run-1")
    other = {
        "name": "membership_keys",
        "expectations": [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}}],
    }
    run_suite(membership_db, other, "staging.membership", docs, run_name="run-2")

    index = (docs / "index.html").read_text(encoding="utf-8")
    for name in ("membership", "membership_keys"):  # the second build kept the first suite
        assert (docs / "expectations" / f"{name}.html").is_file()
        assert f"expectations/{name}.html" in index
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.glob("validations/**/*.html"))
    assert len(pages) == 2
    assert pages[0].startswith("validations/membership/run-1/")
    assert pages[1].startswith("validations/membership_keys/run-2/")
    assert "kode_wilayah_format" not in index  # names live in our outcomes, not GX's docs
    assert (docs / "_gx_store" / "validations").is_dir()


# ---------------------------------------------------------------------------- suite files


def test_load_suite_round_trips_and_rejects_bad_suites(tmp_path: Path) -> None:
    path = tmp_path / "membership.json"
    path.write_text(json.dumps(_suite()), encoding="utf-8")
    assert load_suite(path) == _suite()

    def bad(suite: object, match: str) -> None:
        path.write_text(json.dumps(suite), encoding="utf-8")
        with pytest.raises(ValueError, match=match):
            load_suite(path)

    one = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}}
    bad({"expectations": [one]}, "name")
    bad({"name": "s", "expectations": []}, "non-empty list")
    bad({"name": "s", "expectations": [{**one, "meta": {"severity": "FATAL"}}]}, "ERROR or WARN")
    bad({"name": "s", "expectations": [one, one]}, "duplicate")
    regex_type = {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "k"}}
    bad({"name": "s", "expectations": [regex_type]}, "not supported on DuckDB")
    rows = {"type": "unexpected_rows_expectation"}
    bad(
        {"name": "s", "expectations": [{**rows, "kwargs": {"unexpected_rows_query": "SELECT 1"}}]},
        r"\{batch\}",
    )
    regex = "SELECT * FROM {batch} WHERE NOT regexp_full_match(k, '[0-9]{4}')"
    bad(
        {"name": "s", "expectations": [{**rows, "kwargs": {"unexpected_rows_query": regex}}]},
        "double literal braces",
    )
    codes = {**rows, "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch}"}}
    bad({"name": "s", "expectations": [{**one, "meta": {"unit": "x"}}]}, "only apply to an")
    bad({"name": "s", "expectations": [{**codes, "meta": {"unit": "a|b|c"}}]}, "singular")
    bad(
        {"name": "s", "expectations": [{**codes, "meta": {"summary": "{n}"}}]},
        "go together",
    )
    no_source = {"summary_query": "SELECT count(*) AS n FROM {batch}", "summary": "{n}"}
    bad({"name": "s", "expectations": [{**codes, "meta": no_source}]}, r"\{unexpected\}")
    unpaired = {"summary_query": "SELECT 1 FROM {unexpected}", "summary": "{n"}
    bad({"name": "s", "expectations": [{**codes, "meta": unpaired}]}, "unpaired brace")
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_suite(path)


def test_table_name_and_path_validation(membership_db: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="schema.table"):
        run_suite(membership_db, _suite(), "a.b.c")
    with pytest.raises(FileNotFoundError):
        run_suite(tmp_path / "nope.duckdb", _suite(), "staging.membership")
    assert duckdb_url(membership_db).endswith("?access_mode=read_only")


# -------------------------------------------------------------------------------- timing

_TIMING_SCRIPT = """
    import json, sys, time
    t0 = time.perf_counter()
    from cakupan.quality import run_suite
    t1 = time.perf_counter()
    lazy = "great_expectations" not in sys.modules
    import great_expectations
    t2 = time.perf_counter()
    suite = json.loads(sys.argv[2])
    run_suite(sys.argv[1], suite, "staging.membership")
    t3 = time.perf_counter()
    run_suite(sys.argv[1], suite, "staging.membership")
    t4 = time.perf_counter()
    run_suite(sys.argv[1], suite, "staging.membership", sys.argv[3])
    t5 = time.perf_counter()
    print(json.dumps({"import_pipelines_quality_s": t1 - t0, "import_gx_s": t2 - t1,
                      "first_run_suite_s": t3 - t2, "second_run_suite_s": t4 - t3,
                      "run_suite_with_data_docs_s": t5 - t4, "total_s": t5 - t0,
                      "gx_imported_lazily": lazy}))
"""


def test_timing_of_import_and_one_small_validation(
    membership_db: Path, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    """Reported, not asserted: run with `-s` (or see the junit properties) to read it."""
    timings = _run_python(
        _TIMING_SCRIPT, str(membership_db), json.dumps(_suite()), str(tmp_path / "docs")
    )
    assert timings.pop("gx_imported_lazily") is True
    for key, seconds in timings.items():
        record_property(key, round(seconds, 3))
    print(
        "\nGX timing (cold process, 8 expectations on 20 rows):",
        json.dumps({k: round(v, 2) for k, v in timings.items()}),
    )


_BESIDE_SCRIPT = """
    import json, logging, sys, threading
    from contextlib import contextmanager
    from pathlib import Path
    import duckdb
    from cakupan import ingest as ingest_module
    from cakupan.config import Settings
    from cakupan.rejections import FileRejected

    seen, started = {}, ingest_module.gx_imported_beside

    @contextmanager
    def watched(parquet_bytes):  # the ingest's own call, and the threads in its block
        seen["parquet_bytes"] = parquet_bytes
        with started(parquet_bytes):
            seen["thread"] = "cakupan-import-gx" in [t.name for t in threading.enumerate()]
            yield

    ingest_module.gx_imported_beside = watched
    root = Path(sys.argv[1])
    settings = Settings(landing_dir=str(root / "landing"), output_dir=str(root / "out"))
    try:
        ingest_module.ingest(duckdb.connect(), settings, "membership", logging.getLogger())
    except FileRejected:
        pass  # the sparse files are no Parquet or gzip: rejected after the read
    seen["imported"] = "great_expectations" in sys.modules
    print(json.dumps(seen))
"""


@pytest.mark.parametrize(
    ("files", "imported"),
    [
        ({"m.parquet": 1000}, False),
        ({"m.csv.gz": 2 << 26}, False),  # 128 MB, but CSV
        ({"a.parquet": 32 << 20, "B.PARQUET": 32 << 20}, True),  # 64 MB of Parquet in all
    ],
    ids=["small-parquet", "big-csv", "big-parquet"],
)
def test_a_big_parquet_ingest_runs_while_gx_imports(tmp_path: Path, files, imported) -> None:
    """The ingest reads Parquet files of EARLY_IMPORT_BYTES or more: GX is imported in a
    thread during the read and imported when it ends; fewer, or CSV files however big, leave
    GX to the first suite (a real ingest in a fresh process; the files are sparse: their
    size, not their bytes, decides)."""
    folder = tmp_path / "landing" / "membership"
    folder.mkdir(parents=True)
    for name, size in files.items():
        with (folder / name).open("wb") as f:
            f.truncate(size)
    seen = _run_python(_BESIDE_SCRIPT, str(tmp_path))
    parquet = sum(size for name, size in files.items() if name.lower().endswith(".parquet"))
    assert seen["parquet_bytes"] == parquet
    assert seen["thread"] is imported
    assert seen["imported"] is imported
