"""Shared test helpers: hand-made landing folders and real runs of the Dagster job."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from cakupan.config import REFERENCE_DIR, Settings
from cakupan.extracts import EXTRACTS
from cakupan.sqlfiles import run_sql, sql
from pipelines.definitions import build_definitions, resources

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
    result: Phases
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


class Phases:
    """The results of a job run in two phases (:func:`execute_job`), read like one
    ``dg.ExecuteInProcessResult``: ``run_id`` is the last phase's."""

    def __init__(self, results: list[dg.ExecuteInProcessResult]):
        self.results = results

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def run_id(self) -> str:
        return self.results[-1].run_id

    @property
    def all_events(self) -> list:
        return [e for r in self.results for e in r.all_events]

    def __getattr__(self, name):  # get_asset_check_evaluations(), ...: all phases' lists
        methods = [getattr(r, name) for r in self.results]
        return lambda *args, **kwargs: [x for m in methods for x in m(*args, **kwargs)]


def execute_job(
    defs: dg.Definitions,
    settings: Settings,
    instance: dg.DagsterInstance,
    job: str = "cakupan",
    tags: dict | None = None,
) -> Phases:
    """Run ``job`` as the orchestration does, in two phases: the unpartitioned assets
    upstream of the snapshot partitions (ingest, reference, workforce, targets, ...) with
    their checks; then, with the snapshots found in the warehouse added as partitions (and
    the gone ones deleted), the partitioned assets and everything downstream of them, over
    the range of all partitions in one run (tags ``dagster/asset_partition_range_start`` /
    ``_end``, in the instance's order of the keys). A failed first phase ends the run."""
    from assets.partitions import SNAPSHOTS
    from cakupan import snapshots

    definition = defs.resolve_job_def(job)
    graph = defs.resolve_asset_graph()
    keys = set(definition.asset_layer.executable_asset_keys)
    partitioned = {k for k in keys if graph.get(k).partitions_def is not None}
    later = set(dg.AssetSelection.assets(*partitioned).downstream().resolve(graph)) & keys
    first = definition.execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=sorted(keys - later), tags=tags
    )
    if not first.success or not later:
        return Phases([first])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        found, gone = snapshots.found(con), snapshots.gone(con)
    name = SNAPSHOTS.name
    for key in gone:
        if instance.has_dynamic_partition(name, key):
            instance.delete_dynamic_partition(name, key)
    instance.add_dynamic_partitions(
        name, [k for k in found if not instance.has_dynamic_partition(name, k)]
    )
    ordered = instance.get_dynamic_partitions(name)
    if not ordered:
        return Phases([first])
    second = definition.execute_in_process(
        instance=instance,
        raise_on_error=False,
        asset_selection=sorted(later),
        tags={
            **(tags or {}),
            "dagster/asset_partition_range_start": ordered[0],
            "dagster/asset_partition_range_end": ordered[-1],
        },
    )
    return Phases([first, second])


def run_job(landing: Path, output: Path, instance: dg.DagsterInstance | None = None) -> Run:
    settings = Settings(landing_dir=str(landing), output_dir=str(output))
    with instance or dg.DagsterInstance.ephemeral() as inst:
        result = execute_job(build_definitions(settings), settings, inst)
    return Run(result, settings)


@pytest.fixture
def landing(tmp_path) -> Landing:
    return Landing(tmp_path / "landing")


@pytest.fixture
def output(tmp_path) -> Path:
    return tmp_path / "output"


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch):
    monkeypatch.setenv("CAKUPAN_PSEUDONYM_KEY", "test-key-not-secret")


def nik(n: int, district: str = "617201", birth: str = "010190") -> str:
    """A well-formed 16-digit NIK for tests: district, birth date DDMMYY, serial."""
    return f"{district}{birth}{n:04d}"


def both_segments(period: str, code: str, pu: int | str, bpu: int | str) -> list[list]:
    """Workforce rows for PU and BPU of one region and round."""
    return [[period, code, "", "PU", pu], [period, code, "", "BPU", bpu]]


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> tuple[Run, dg.DagsterInstance]:
    """One real run of the job over the embedded sample, with its Dagster instance kept
    so tests can read the event log."""
    from cakupan.config import SAMPLE_LANDING_DIR

    output = tmp_path_factory.mktemp("sample") / "output"
    instance = dg.DagsterInstance.ephemeral()
    mp = pytest.MonkeyPatch()
    mp.setenv("CAKUPAN_PSEUDONYM_KEY", "sample-test-key")
    try:
        settings = Settings(landing_dir=str(SAMPLE_LANDING_DIR), output_dir=str(output))
        result = execute_job(build_definitions(settings), settings, instance)
    finally:
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
    """Settings with ``root/landing`` and ``root/output``."""
    return Settings(landing_dir=str(root / "landing"), output_dir=str(root / "output"))


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
