"""Shared test helpers: hand-made landing folders and real runs of the Dagster job."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from cakupan.config import REFERENCE_DIR, Settings
from cakupan.extracts import EXTRACTS
from cakupan.sqlfiles import run_sql, sql
from pipelines import runs
from pipelines.definitions import build_definitions, resources

# The modules that take longest (whole runs in subprocesses, killed runs, the dev server),
# longest first, then the others in file order: pytest-xdist (the Makefile's --dist loadscope
# --no-loadscope-reorder) hands out modules in this order, so both workers end together
# instead of one running a long module alone at the end. Order only: no test is left out.
SLOW_MODULES_FIRST = (
    "test_faults",
    "test_run_lock",
    "test_parse_property",
    "test_bad_input",
    "test_cli",
    "test_bench_harness",
    "test_privacy",
    "test_partitions",
    "test_dev_server",
    "test_hostile_values",
    "test_quality_checks",
    "test_ledger",
    "test_settling",
    "test_private",
    "test_sample_label",
    "test_extract_formats",
    "test_nightly",
    "test_snapshot_runs",
    "test_definitions",
    "test_cli_progress",
    "test_quality_gx",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOW_MODULES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


WORKFORCE_HEADER = list(EXTRACTS["workforce"].columns)
MEMBERSHIP_HEADER = list(EXTRACTS["membership"].columns)
TARGETS_HEADER = list(EXTRACTS["targets"].columns)


class Landing:
    """A landing folder written file by file."""

    def __init__(self, root: Path):
        self.root = root
        for kind in ("workforce", "membership", "targets"):
            (root / kind).mkdir(parents=True, exist_ok=True)

    def path(self, kind: str, name: str) -> Path:
        return self.root / kind / name

    def csv(self, kind: str, name: str, header: list[str], rows: list[list], sep: str = ","):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        self.path(kind, name).write_text(buffer.getvalue(), encoding="utf-8")
        return self.path(kind, name)

    def text(self, kind: str, name: str, text: str | bytes):
        path = self.path(kind, name)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path

    def workforce(self, rows, name="workforce.csv", sep=","):
        return self.csv("workforce", name, WORKFORCE_HEADER, rows, sep)

    def membership(self, rows, name="members.csv", sep=","):
        return self.csv("membership", name, MEMBERSHIP_HEADER, rows, sep)

    def targets(self, rows, name="targets.csv", sep=","):
        return self.csv("targets", name, TARGETS_HEADER, rows, sep)

    def parquet(self, kind: str, name: str, frame: pl.DataFrame):
        frame.write_parquet(self.path(kind, name))
        return self.path(kind, name)


@dataclass
class Run:
    result: runs.Runs
    settings: Settings

    @property
    def success(self) -> bool:
        return self.result.success

    def published(self, query: str, params=None) -> list[dict]:
        """Rows of a query on the published coverage.duckdb, as dicts."""
        with duckdb.connect(str(self.settings.published_path), read_only=True) as con:
            cursor = con.execute(query, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def city(self, region_code: str, snapshot: str | None = None) -> dict:
        rows = self.published(
            "SELECT * FROM reporting.coverage_by_city WHERE region_code = ? "
            "AND (? IS NULL OR snapshot_date = CAST(? AS DATE)) ORDER BY snapshot_date DESC",
            [region_code, snapshot, snapshot],
        )
        assert rows, f"no row for {region_code}"
        return rows[0]


def execute(settings: Settings, instance: dg.DagsterInstance, job: str = "cakupan", tags=None):
    """A whole run of ``job`` as ``cakupan run`` does it: the ingest run, then the run of
    the snapshots whose inputs changed (``pipelines/runs.py``)."""
    definitions = build_definitions(settings)
    return runs.execute(
        definitions.resolve_job_def(job), instance, settings.warehouse_path, tags=tags
    )


def run_job(
    landing: Path, output: Path, instance: dg.DagsterInstance | None = None, data_docs=False
) -> Run:
    """A whole run; GX's Data Docs HTML only with ``data_docs`` (seconds a run, for tests
    that do not look at it)."""
    settings = Settings(landing_dir=str(landing), output_dir=str(output), data_docs=data_docs)
    with instance or dg.DagsterInstance.ephemeral() as inst:
        result = execute(settings, inst)
    return Run(result, settings)


def run_logged(landing: Path, output: Path) -> tuple[Run, list[str]]:
    """:func:`run_job`, keeping the runs' log lines (read before the instance closes)."""
    settings = Settings(landing_dir=str(landing), output_dir=str(output), data_docs=False)
    with dg.DagsterInstance.ephemeral() as inst:
        result = execute(settings, inst)
        logs = [e.user_message for i in result.run_ids for e in inst.all_logs(i) if e.user_message]
    return Run(result, settings), logs


@pytest.fixture
def landing(tmp_path) -> Landing:
    return Landing(tmp_path / "landing")


@pytest.fixture
def output(tmp_path) -> Path:
    return tmp_path / "output"


@pytest.fixture(autouse=True)
def _test_environment(monkeypatch):
    monkeypatch.setenv("CAKUPAN_PSEUDONYM_KEY", "test-key-not-secret")
    # runs configured from the environment (the CLI, the code location) skip GX's Data Docs
    # HTML unless a test asks for it: seconds a run (test_quality_checks, the sample run and
    # test_data_docs_offline build them)
    monkeypatch.setenv("CAKUPAN_DATA_DOCS", "false")
    # and read the files they have just written as they are (tests/test_settling.py waits)
    monkeypatch.setenv("CAKUPAN_SETTLE_SECONDS", "0")


def nik(n: int, district: str = "617201", birth: str = "010190") -> str:
    """A well-formed 16-digit NIK for tests: district, birth date DDMMYY, serial."""
    return f"{district}{birth}{n:04d}"


def both_segments(period: str, code: str, pu: int | str, bpu: int | str) -> list[list]:
    """Workforce rows for PU and BPU of one region and round."""
    return [[period, code, "", "PU", pu], [period, code, "", "BPU", bpu]]


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> tuple[Run, dg.DagsterInstance]:
    """One real run of the job over the embedded sample, with its Dagster instance kept
    so tests can read the event log; DuckDB's statement log (CAKUPAN_SQL_LOG) is beside the
    output folder. Under umask 022, whatever the test process's (tests/test_private.py)."""
    from cakupan.config import SAMPLE_LANDING_DIR

    output = tmp_path_factory.mktemp("sample") / "output"
    sql_log = output.parent / "sql_log"
    instance = dg.DagsterInstance.ephemeral()
    mp = pytest.MonkeyPatch()
    mp.setenv("CAKUPAN_PSEUDONYM_KEY", "sample-test-key")
    umask = os.umask(0o022)
    try:
        settings = Settings(
            landing_dir=str(SAMPLE_LANDING_DIR), output_dir=str(output), sql_log=str(sql_log)
        )
        result = execute(settings, instance)
    finally:
        os.umask(umask)
        mp.undo()
    run = Run(result, settings)
    assert run.success
    return run, instance


def reference_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the shipped reference tables and region codes, loaded by
    the reference assets' own SQL (for tests of ingest without Dagster)."""
    from assets.reference import REFERENCE_TABLES

    con = duckdb.connect()
    con.execute("CREATE SCHEMA reference")
    for table in REFERENCE_TABLES:
        con.execute(
            sql("reference/load_csv.sql").format(table=table),
            {"path": str(REFERENCE_DIR / f"{table}.csv")},
        )
    run_sql(con, "reference/region_codes.sql")
    return con


def settings_for(root: Path) -> Settings:
    """Settings with ``root/landing`` and ``root/output`` (no GX Data Docs HTML)."""
    return Settings(
        landing_dir=str(root / "landing"), output_dir=str(root / "output"), data_docs=False
    )


@pytest.fixture
def warehouse():
    """An in-memory DuckDB holding the shipped reference tables (``reference_connection``),
    for tests of ingest without Dagster."""
    con = reference_connection()
    yield con
    con.close()


@pytest.fixture(scope="module")
def reference_warehouse(tmp_path_factory) -> Path:
    """A warehouse holding only the reference stage, materialized on its own (copy it)."""
    from assets import reference

    settings = settings_for(tmp_path_factory.mktemp("reference"))
    result = dg.materialize(
        [*reference.reference_tables, reference.region_codes], resources=resources(settings)
    )
    assert result.success
    return settings.warehouse_path
