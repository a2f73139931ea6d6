"""Membership snapshots as partitions (cakupan/snapshots.py, assets/partitions.py): a run
rebuilds only the snapshots whose inputs changed, and the result equals a build from
scratch of the same landing folder.

One landing folder is changed step by step (a new snapshot, a replaced file, a changed
workforce round, a changed targets file, a removed file); after each step the incremental
warehouse is compared with a fresh build of the same folder, and what was rebuilt is
checked against what the change feeds (worked out by hand from rule 7 and the targets'
year). Real Dagster materializations of the real assets, without the GX checks (slow to
import; tests/test_quality_checks.py covers them).
"""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

import assets
from assets.partitions import SNAPSHOTS
from cakupan import snapshots
from cakupan.config import Settings
from pipelines.definitions import resources
from tests.conftest import Landing, both_segments, execute, nik

S0, S1, S2 = "2024-12-31", "2025-01-31", "2025-03-31"
CITY, PROVINCE, NATIONAL = snapshots.CITY, snapshots.PROVINCE, snapshots.NATIONAL
COVERAGE = (CITY, PROVINCE, NATIONAL)
PUBLISHED = ("coverage_by_city", "coverage_by_province", "coverage_national")

ASSETS = dg.load_assets_from_package_module(assets, include_specs=True)


GRAPH = dg.Definitions(assets=ASSETS, resources=resources(Settings("", ""))).resolve_asset_graph()
PARTITIONED = {k for k in GRAPH.materializable_asset_keys if GRAPH.get(k).partitions_def}
LATER = set(dg.AssetSelection.assets(*PARTITIONED).downstream().resolve(GRAPH))
# phase 1: everything upstream of the partitions; phase 2: the partitions and the publish
INGEST = sorted(GRAPH.materializable_asset_keys - LATER)
COMPUTE = sorted({*PARTITIONED, *(k for k in LATER if k.path[0] == "reporting")})


def member(n, snapshot, region, segment="PU", status="AKTIF"):
    return [snapshot, nik(n), segment, region, status, "JKK,JKM", "2020-01-01"]


class Pipeline:
    """A landing folder and an output folder, run in the two phases of the orchestration
    on one Dagster instance."""

    def __init__(self, landing: Landing, output):
        self.settings = Settings(
            landing_dir=str(landing.root), output_dir=str(output), data_docs=False
        )
        self.instance = dg.DagsterInstance.ephemeral()
        self.results: dict[str, dg.ExecuteInProcessResult] = {}

    def con(self):
        return duckdb.connect(str(self.settings.warehouse_path), read_only=True)

    def ingest(self) -> None:
        result = dg.materialize(
            ASSETS, selection=INGEST, resources=resources(self.settings), instance=self.instance
        )
        assert result.success

    def compute(self, force: bool = False) -> dg.ExecuteInProcessResult:
        with self.con() as con:
            found, gone = snapshots.found(con), snapshots.gone(con)
        name = SNAPSHOTS.name
        for key in gone:
            if self.instance.has_dynamic_partition(name, key):
                self.instance.delete_dynamic_partition(name, key)
        new = [k for k in found if not self.instance.has_dynamic_partition(name, k)]
        self.instance.add_dynamic_partitions(name, new)
        keys = self.instance.get_dynamic_partitions(name)
        tags = {
            "dagster/asset_partition_range_start": keys[0],
            "dagster/asset_partition_range_end": keys[-1],
        }
        if force:
            tags["cakupan/force"] = "true"
        result = dg.materialize(
            ASSETS,
            selection=COMPUTE,
            resources=resources(self.settings),
            instance=self.instance,
            tags=tags,
        )
        assert result.success
        return result

    def run(self, force: bool = False, ingest: bool = True) -> dict[str, list[str]]:
        """Both phases (the second only if ``ingest`` is false: ingested already); returns
        table -> the snapshots the run rebuilt (its metadata)."""
        if ingest:
            self.ingest()
        result = self.compute(force)
        rebuilt = {}
        for event in result.get_asset_materialization_events():
            m = event.materialization
            if "snapshots rebuilt" in m.metadata:
                rebuilt[".".join(m.asset_key.path)] = m.metadata["snapshots rebuilt"].value
        for table, keys in rebuilt.items():  # the metadata says what ops.snapshot_builds says
            with self.con() as con:
                assert snapshots.built_by(con, table, result.run_id) == keys
        return rebuilt

    def stale_and_gone(self) -> tuple[list[str], list[str]]:
        with self.con() as con:  # read-only, as the orchestration calls them
            return snapshots.stale(con), snapshots.gone(con)

    def rows(self, table: str, published: bool = False) -> list[tuple]:
        path = self.settings.published_path if published else self.settings.warehouse_path
        name = f"reporting.{table.split('.')[-1]}" if published else table
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def assert_same_as_scratch(pipeline: Pipeline, tmp_path, name: str) -> None:
    """The incremental warehouse and published file equal a build from scratch."""
    fresh = Pipeline(Landing(pipeline.settings.landing), tmp_path / f"scratch-{name}")
    fresh.run()
    for table in (snapshots.MEMBERSHIP, *COVERAGE):
        assert pipeline.rows(table) == fresh.rows(table), table
    for table in PUBLISHED:
        assert pipeline.rows(table, published=True) == fresh.rows(table, published=True)
    with fresh.con() as con:  # the fresh build rebuilt every snapshot it found
        assert snapshots.stale(con) == []


def snapshot_dates(pipeline: Pipeline, table: str, published: bool = False) -> list[str]:
    path = pipeline.settings.published_path if published else pipeline.settings.warehouse_path
    name = f"reporting.{table.split('.')[-1]}" if published else table
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(f"SELECT DISTINCT snapshot_date FROM {name} ORDER BY 1").fetchall()
    return [d.isoformat() for (d,) in rows]


def base_landing(landing: Landing) -> None:
    # rule 7: snapshots in 2024-12 and 2025-01 take the 2024-08 round; 2025-03 takes 2025-02
    wf = both_segments("2024-08", "61.01", 1000, 1000) + both_segments("2024-08", "61.02", 50, 50)
    landing.workforce(wf, name="round_2024_08.csv")
    wf = both_segments("2025-02", "61.01", 2000, 2000) + both_segments("2025-02", "61.02", 80, 20)
    landing.workforce(wf, name="round_2025_02.csv")
    landing.targets([[2024, "61.01", "10.00"], [2024, "61.02", "20.00"]], name="t2024.csv")
    landing.targets([[2025, "61.01", "15.00"], [2025, "61.02", "25.00"]], name="t2025.csv")
    landing.membership(
        [member(i, S0, "61.01") for i in range(1, 4)] + [member(9, S0, "61.02", "BPU")],
        name="m0.csv",
    )
    landing.membership(
        [member(i, S1, "61.01") for i in range(1, 6)]
        + [member(7, S1, "61.02", "BPU", "NONAKTIF"), member(8, S1, "61.02", "BPU")],
        name="m1.csv",
    )


def test_incremental_runs_rebuild_only_what_changed(tmp_path):
    landing = Landing(tmp_path / "landing")
    base_landing(landing)
    p = Pipeline(landing, tmp_path / "output")
    everything = [S0, S1]
    # first run: every snapshot is new
    p.ingest()
    assert p.stale_and_gone() == (everything, [])
    assert p.run(ingest=False) == {t: everything for t in (snapshots.MEMBERSHIP, *COVERAGE)}
    assert p.stale_and_gone() == ([], [])

    # nothing changed: nothing rebuilt
    assert p.run() == {t: [] for t in (snapshots.MEMBERSHIP, *COVERAGE)}

    # a second file with a new snapshot: only it is built
    landing.membership(
        [member(i, S2, "61.01") for i in range(1, 8)] + [member(20, S2, "61.02")], name="m2.csv"
    )
    p.ingest()
    assert p.stale_and_gone() == ([S2], [])
    assert p.run(ingest=False) == {t: [S2] for t in (snapshots.MEMBERSHIP, *COVERAGE)}
    assert_same_as_scratch(p, tmp_path, "added")

    # a replaced file: only its snapshot
    landing.membership(
        [member(i, S1, "61.01") for i in range(1, 3)] + [member(8, S1, "61.02", "BPU")],
        name="m1.csv",
    )
    p.ingest()
    assert p.stale_and_gone() == ([S1], [])
    assert p.run(ingest=False) == {t: [S1] for t in (snapshots.MEMBERSHIP, *COVERAGE)}
    assert_same_as_scratch(p, tmp_path, "replaced")

    # the 2025-02 round changes: it feeds 2025-03-31 only (2024-12 and 2025-01 take 2024-08)
    with p.con() as con:
        before = dict(
            con.execute(
                f"SELECT snapshot_date::VARCHAR, run_id FROM {snapshots.BUILDS} "
                "WHERE table_name = ?",
                [CITY],
            ).fetchall()
        )
    wf = both_segments("2025-02", "61.01", 2500, 2000) + both_segments("2025-02", "61.02", 80, 20)
    landing.workforce(wf, name="round_2025_02.csv")
    p.ingest()
    assert p.stale_and_gone() == ([S2], [])
    rebuilt = p.run(ingest=False)
    assert rebuilt == {snapshots.MEMBERSHIP: [], CITY: [S2], PROVINCE: [S2], NATIONAL: [S2]}
    with p.con() as con:
        after = dict(
            con.execute(
                f"SELECT snapshot_date::VARCHAR, run_id FROM {snapshots.BUILDS} "
                "WHERE table_name = ?",
                [CITY],
            ).fetchall()
        )
    assert {k: v for k, v in after.items() if k != S2} == {
        k: v for k, v in before.items() if k != S2
    }
    assert after[S2] != before[S2]
    assert_same_as_scratch(p, tmp_path, "workforce")

    # the 2024 targets change: only the 2024 snapshot
    landing.targets([[2024, "61.01", "12.50"], [2024, "61.02", "20.00"]], name="t2024.csv")
    p.ingest()
    assert p.stale_and_gone() == ([S0], [])
    assert p.run(ingest=False) == {
        snapshots.MEMBERSHIP: [],
        CITY: [S0],
        PROVINCE: [S0],
        NATIONAL: [S0],
    }
    assert_same_as_scratch(p, tmp_path, "targets")

    # a removed file: its snapshot leaves the warehouse and the published file
    landing.path("membership", "m2.csv").unlink()
    p.ingest()
    assert p.stale_and_gone() == ([], [S2])
    assert p.run(ingest=False) == {t: [] for t in (snapshots.MEMBERSHIP, *COVERAGE)}
    for table in (snapshots.MEMBERSHIP, *COVERAGE):
        assert snapshot_dates(p, table) == [S0, S1], table
    for table in PUBLISHED:
        assert snapshot_dates(p, table, published=True) == [S0, S1], table
    assert p.stale_and_gone() == ([], [])
    assert_same_as_scratch(p, tmp_path, "removed")

    # --force rebuilds every snapshot
    assert p.run(force=True) == {t: [S0, S1] for t in (snapshots.MEMBERSHIP, *COVERAGE)}


def test_a_failed_rebuild_leaves_the_old_partition(tmp_path):
    """A rebuild that fails inside its transaction (after its DELETE ran) leaves the
    snapshot's previous rows and build record."""
    landing = Landing(tmp_path / "landing")
    base_landing(landing)
    p = Pipeline(landing, tmp_path / "output")
    p.run()
    before = {t: p.rows(t) for t in (snapshots.MEMBERSHIP, snapshots.BUILDS)}
    with duckdb.connect(str(p.settings.warehouse_path)) as con:
        # a region code the staging SQL refuses (error(...) in the INSERT), in one snapshot
        con.execute("UPDATE raw.membership SET region_code = '6101' WHERE snapshot_date = ?", [S1])
        with pytest.raises(duckdb.Error, match="region code not PP.KK"):
            snapshots.build(con, snapshots.MEMBERSHIP, [S0, S1], "failing-run", force=True)
        assert con.execute("SELECT count(*) FROM staging.membership").fetchone()[0] == len(
            before[snapshots.MEMBERSHIP]
        )
    for table, rows in before.items():
        assert p.rows(table) == rows, table


def test_stale_and_gone_without_builds(tmp_path):
    """Before any compute run every found snapshot is stale and none is gone; a warehouse
    without the sources finds nothing."""
    landing = Landing(tmp_path / "landing")
    base_landing(landing)
    (landing.root / "membership_counts").mkdir()
    landing.csv(
        "membership_counts",
        "counts.csv",
        ["snapshot_date", "region_code", "segment", "covered"],
        [["2025-02-28", "61.02", "PU", 5]],
    )
    p = Pipeline(landing, tmp_path / "output")
    p.ingest()
    # a snapshot held by counts only is a snapshot too
    assert p.stale_and_gone() == ([S0, S1, "2025-02-28"], [])
    with duckdb.connect() as con:
        assert snapshots.found(con) == [] and snapshots.stale(con) == []
        assert snapshots.gone(con) == []
    rebuilt = p.run(ingest=False)
    assert rebuilt[CITY] == [S0, S1, "2025-02-28"]
    assert snapshot_dates(p, CITY, published=True) == [S0, S1, "2025-02-28"]
    assert p.stale_and_gone() == ([], [])
    # a copy of the warehouse where a coverage table is lost: every snapshot is stale
    copy = tmp_path / "copy.duckdb"
    shutil.copy(p.settings.warehouse_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(f"DROP TABLE {NATIONAL}")
        assert snapshots.stale(con) == [S0, S1, "2025-02-28"]
    # one without the ingest ledger: what the snapshots hold cannot be told, all are stale
    shutil.copy(p.settings.warehouse_path, copy)
    with duckdb.connect(str(copy)) as con:
        assert snapshots.stale(con) == []
        con.execute("DROP TABLE ops.ingest_files")
        assert snapshots.stale(con) == [S0, S1, "2025-02-28"]


def test_checks_validate_the_rebuilt_snapshots_only(tmp_path):
    """The Great Expectations suites of the partitioned tables validate the snapshots the
    run rebuilt; the other snapshots keep the results of the run that validated them, and
    all of them are published."""
    landing = Landing(tmp_path / "landing")
    base_landing(landing)
    settings = Settings(
        landing_dir=str(landing.root), output_dir=str(tmp_path / "output"), data_docs=False
    )
    instance = dg.DagsterInstance.ephemeral()
    first = execute(settings, instance)
    assert first.success
    landing.membership([member(1, S2, "61.01")], name="m2.csv")
    second = execute(settings, instance)
    assert second.success
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        rows = con.execute(
            "SELECT DISTINCT table_name, snapshot_date::VARCHAR, run_id "
            "FROM quality.validation_results WHERE table_name IN (SELECT unnest(?)) "
            "AND snapshot_date IS NOT NULL ORDER BY ALL",  # not the snapshot-age check
            [list(snapshots.TABLES)],
        ).fetchall()
    runs = {S0: first.run_ids[-1], S1: first.run_ids[-1], S2: second.run_ids[-1]}
    assert rows == sorted((t, k, runs[k]) for t in snapshots.TABLES for k in runs)
    # the second run's checks of coverage_by_city looked at the new snapshot only
    (evaluation,) = [
        e
        for e in second.get_asset_check_evaluations()
        if e.check_name == "one_row_per_region" and e.asset_key.path[-1] == "coverage_by_city"
    ]
    assert evaluation.metadata["observed value"].value.startswith(f"{S2}: ok")
    assert S1 not in evaluation.metadata["observed value"].value
