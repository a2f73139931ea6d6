"""Snapshots as Dagster partitions, end to end: a whole run is an ingest run, then a run
of the snapshots whose inputs changed (``pipelines/runs.py``); the partitions follow the
snapshots in the landing folder; the daemon's snapshots sensor asks for the same second
run as ``cakupan run`` makes."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import duckdb
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from assets.partitions import SNAPSHOTS
from cakupan.config import Settings
from pipelines import automation, runs
from pipelines.definitions import build_definitions
from tests.conftest import Landing, both_segments, execute, nik
from tests.test_run_lock import (
    environment,
    hold_in_another_process,
    kill,
    processes,  # noqa: F401 - the fixture
)

# a process that has the warehouse open for writing (not a cakupan run: no run lock)
WRITER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
time.sleep(600)
"""

CITY = "SELECT * FROM reporting.coverage_by_city ORDER BY snapshot_date, region_code"


def member(snapshot: str, n: int, region: str = "61.72", programs: str = "JKK,JKM") -> list:
    return [snapshot, nik(n), "PU", region, "AKTIF", programs, "2020-01-01"]


@pytest.fixture
def setup(tmp_path):
    landing = Landing(tmp_path / "landing")
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000))
    landing.workforce(both_segments("2024-08", "31.71", 500, 500), name="w2.csv")
    landing.targets([[2025, "61.72", "35,00"]])
    landing.membership([member("2025-05-31", 1), member("2025-05-31", 2, "31.71")], name="a.csv")
    settings = Settings(
        landing_dir=str(landing.root), output_dir=str(tmp_path / "output"), data_docs=False
    )
    return landing, settings


def published(settings: Settings, sql: str = CITY) -> list[tuple]:
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def compute_run(instance: dg.DagsterInstance, result: runs.Runs) -> dg.DagsterRun:
    return instance.get_run_by_id(result.run_ids[-1])


def sensor_tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> dg.SensorExecutionData:
    """One evaluation of the real snapshots sensor, as the daemon makes it."""
    sensor = defs.resolve_sensor_def(automation.SNAPSHOTS_SENSOR)
    with dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        repository_def=defs.get_repository_def(),
        resources={"settings": defs.resources["settings"]},
    ) as context:
        return sensor.evaluate_tick(context)


def test_partitions_follow_the_landing_folder_and_only_changed_snapshots_rebuild(setup):
    landing, settings = setup
    landing.membership([member("2024-12-31", 4)], name="c.csv")
    with dg.instance_for_test() as instance:
        first = execute(settings, instance)
        assert first.success and len(first.results) == 2
        assert instance.get_dynamic_partitions(SNAPSHOTS.name) == ["2024-12-31", "2025-05-31"]
        ingest_run, snapshot_run = (instance.get_run_by_id(i) for i in first.run_ids)
        assert ingest_run.tags[runs.PHASE_TAG] == runs.INGEST
        assert snapshot_run.tags[runs.PHASE_TAG] == runs.COMPUTE
        assert snapshot_run.tags[runs.RUN_TAG] == first.run_id
        assert (first.plan.first, first.plan.last) == ("2024-12-31", "2025-05-31")
        # the ingest run holds no partitioned asset; the second the partitioned ones and after
        phases = runs.Phases.of(build_definitions(settings).resolve_job_def("cakupan"))
        assert dg.AssetKey(["raw", "membership"]) in phases.ingest
        assert {
            dg.AssetKey(["staging", "membership"]),
            dg.AssetKey(["coverage", "coverage_by_city"]),
        } <= phases.partitioned
        assert dg.AssetKey(["reporting", "coverage_by_city"]) in phases.compute
        assert not phases.ingest & phases.compute

        # nothing changed: the next run would check the latest snapshot (found current);
        # forced, it would rebuild all, as one range
        again = runs.snapshot_plan(settings.warehouse_path, instance)
        assert (again.keys, again.add, again.delete) == (("2025-05-31",), (), ())
        forced = runs.snapshot_plan(settings.warehouse_path, instance, force=True)
        assert forced.keys == ("2024-12-31", "2025-05-31")
        assert forced.tags == {
            ASSET_PARTITION_RANGE_START_TAG: "2024-12-31",
            ASSET_PARTITION_RANGE_END_TAG: "2025-05-31",
        }

        # a new snapshot and a file removed: only the new partition is in the second run,
        # the removed file's snapshot leaves the partitions and the published tables
        landing.membership([member("2025-06-30", 1), member("2025-06-30", 3)], name="b.csv")
        (landing.root / "membership" / "a.csv").unlink()
        changed = execute(settings, instance)
        assert changed.success
        assert (changed.plan.add, changed.plan.delete) == (("2025-06-30",), ("2025-05-31",))
        assert instance.get_dynamic_partitions(SNAPSHOTS.name) == ["2024-12-31", "2025-06-30"]
        run = compute_run(instance, changed)
        assert run.tags[ASSET_PARTITION_RANGE_START_TAG] == "2025-06-30"
        assert run.tags[ASSET_PARTITION_RANGE_END_TAG] == "2025-06-30"
        assert published(
            settings,
            "SELECT snapshot_date::VARCHAR, covered_total FROM reporting.coverage_national "
            "ORDER BY 1",
        ) == [("2024-12-31", 1), ("2025-06-30", 2)]  # nik 4; nik 1 and 3

        # `cakupan run` made both runs of each: the snapshots sensor asks for none again,
        # and its cursor moves to the latest ingest run, from none or from the first
        defs = build_definitions(settings)
        first_followed = automation.Followed.of(instance.get_run_record_by_id(first.run_id))
        for cursor in (None, first_followed.dumps()):
            followed = sensor_tick(defs, instance, cursor)
            assert not followed.run_requests, followed.skip_message
            assert automation.Followed.parse(followed.cursor).run_id == changed.run_id


def test_the_snapshots_sensor_cursor():
    cursor = automation.Followed("2026-12-07T21:00:00.000001+00:00", "ingest-run")
    assert automation.Followed.parse(cursor.dumps()) == cursor
    assert automation.Followed.parse(None) == automation.Followed() == automation.Followed.parse("")
    # the cursor of the run-status sensor it was: started afresh (the latest ingest run)
    old = '{"__class__": "RunStatusSensorCursor", "record_id": 61, "update_timestamp": null}'
    assert automation.Followed.parse(old) == automation.Followed()


def test_a_rejected_file_stops_before_the_snapshots_run(setup):
    landing, settings = setup
    landing.text("membership", "bad.csv", "no,such,columns\n1,2,3\n")
    with dg.instance_for_test() as instance:
        result = execute(settings, instance)
        assert not result.success and len(result.results) == 1
        assert instance.get_dynamic_partitions(SNAPSHOTS.name) == []
        assert not settings.published_path.exists()


def test_the_snapshots_sensor_asks_for_the_second_run_after_an_ingest_run(
    setup, monkeypatch, request
):
    landing, settings = setup
    start = request.getfixturevalue("processes")  # real processes, killed at the end
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", settings.landing_dir)
    monkeypatch.setenv("CAKUPAN_OUTPUT_DIR", settings.output_dir)
    defs = build_definitions(settings)
    job = defs.resolve_job_def("cakupan")
    phases = runs.Phases.of(job)
    with dg.instance_for_test() as instance:

        def tick(cursor: str | None) -> dg.SensorExecutionData:
            return sensor_tick(defs, instance, cursor)

        assert not tick(None).run_requests  # no ingest run yet
        ingest = job.execute_in_process(
            instance=instance, asset_selection=sorted(phases.ingest), tags=automation.INGEST_TAGS
        )
        assert ingest.success
        run = instance.get_run_by_id(ingest.run_id)

        # While a run holds the run lock, or a process writes the warehouse, a tick asks for
        # nothing and keeps its cursor (none yet, or an earlier run's): the next tick asks.
        holder = hold_in_another_process(start, settings.output, "holder-run")
        held = tick(None)
        assert not held.run_requests and held.cursor is None
        assert "run holder-run" in held.skip_message and ingest.run_id in held.skip_message
        earlier = automation.Followed("2000-01-01T00:00:00+00:00", "earlier-run").dumps()
        assert tick(earlier).cursor == earlier
        kill(holder)
        writer = start(
            [sys.executable, "-c", WRITER, str(settings.warehouse_path)],
            stdout=subprocess.PIPE,
            text=True,
            env=environment(),
        )
        assert writer.stdout.readline().strip() == "open"
        writing = tick(None)
        assert not writing.run_requests and writing.cursor is None
        assert "Could not set lock" in writing.skip_message
        kill(writer)

        asked = tick(None)
        (request,) = asked.run_requests
        assert request.run_key == f"snapshots-{ingest.run_id}"
        assert automation.Followed.parse(asked.cursor).run_id == ingest.run_id
        assert tick(earlier).run_requests[0].run_key == request.run_key  # the same request
        assert not tick(asked.cursor).run_requests  # asked for once
        result = automation.snapshots_decision(Settings.from_env(), instance, job, run)
        assert isinstance(result, dg.SensorResult)
        (request,) = result.run_requests
        assert set(request.asset_selection) == phases.compute
        assert request.tags[ASSET_PARTITION_RANGE_START_TAG] == "2025-05-31"
        assert request.tags[runs.RUN_TAG] == ingest.run_id
        assert request.tags["dagster/max_retries"] == "1"
        (add,) = result.dynamic_partitions_requests
        assert list(add.partition_keys) == ["2025-05-31"]

        # the request, run as the daemon would, publishes
        instance.add_dynamic_partitions(SNAPSHOTS.name, list(add.partition_keys))
        second = job.execute_in_process(
            instance=instance, asset_selection=request.asset_selection, tags=request.tags
        )
        assert second.success and settings.published_path.exists()
        # the ingest run has its snapshots run: followed, also from an earlier cursor
        again = tick(earlier)
        assert not again.run_requests and again.cursor == asked.cursor
        assert ingest.run_id in again.skip_message

        # two more ingest runs (small ones: a reference table) before the next tick: each
        # followed in turn, the oldest first, the cursor moving one run at a time
        small = [dg.AssetKey(["reference", "provinces"])]
        later = [
            job.execute_in_process(
                instance=instance, asset_selection=small, tags=automation.INGEST_TAGS
            ).run_id
            for _ in range(2)
        ]
        cursor = asked.cursor
        for run_id in later:
            data = tick(cursor)
            assert [r.run_key for r in data.run_requests] == [f"snapshots-{run_id}"]
            cursor = data.cursor
            assert automation.Followed.parse(cursor).run_id == run_id
        assert not tick(cursor).run_requests

        # the sensor ignores any run that is not an ingest run
        other = automation.snapshots_decision(
            Settings.from_env(), instance, job, instance.get_run_by_id(second.run_id)
        )
        assert isinstance(other, dg.SkipReason)
