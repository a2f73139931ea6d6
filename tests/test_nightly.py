"""Nightly operations: the schedule, the landing sensor, freshness and run retries.

The sensor and the schedule are evaluated with Dagster's test APIs on real landing folders;
one test starts the real daemon (``dagster-daemon run``) and sees the sensor ask for a run
when a file is dropped. The snapshot-age check runs in a real Dagster run on a small
DuckDB warehouse; the retry decision on real failed runs of the job.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from assets.freshness import latest_snapshot_age, snapshot_age
from cakupan.config import Settings
from pipelines import automation, runs
from pipelines.definitions import build_definitions, defs
from tests.conftest import both_segments, execute, nik

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OLD = time.time() - 3600  # an hour ago: long settled
SETTINGS = {"settings": defs.resources["settings"]}  # what the sensors and schedule take


def drop(path: Path, text: str, mtime: float = OLD) -> Path:
    """Write ``path`` as a finished copy would leave it (modified ``mtime``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """A landing folder, the one the environment names (as for the daemon)."""
    landing = tmp_path / "landing"
    for kind in ("workforce", "membership", "targets"):
        (landing / kind).mkdir(parents=True)
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", str(landing))
    monkeypatch.setenv("CAKUPAN_OUTPUT_DIR", str(tmp_path / "output"))
    return landing


@cache
def daemon_instance() -> dg.DagsterInstance:
    """The instance the sensor's resources are built in at each tick (one for all: building
    one takes longer than a tick)."""
    return dg.DagsterInstance.ephemeral()


def tick(cursor: str | None = None):
    """One evaluation of the landing sensor, as the daemon makes it (with the resource it
    takes, as the daemon gives it)."""
    sensor = defs.resolve_sensor_def(automation.SENSOR)
    with dg.build_sensor_context(
        cursor=cursor, definitions=defs, resources=SETTINGS, instance=daemon_instance()
    ) as context:
        return sensor.evaluate_tick(context)


def requested(data) -> dg.RunRequest:
    assert len(data.run_requests) == 1, data.skip_message
    return data.run_requests[0]


# --- the landing sensor ---------------------------------------------------------------


def test_sensor_asks_for_one_run_per_change_and_skips_when_nothing_changed(folder):
    members = drop(folder / "membership" / "members_2025-06-30.csv", "a,b\n1,2\n")
    first = tick()
    run = requested(first)
    assert run.job_name in (None, "cakupan")
    assert run.tags["dagster/max_retries"] == "1"
    assert first.cursor

    # nothing changed: skip, naming why, cursor kept
    same = tick(first.cursor)
    assert not same.run_requests
    assert "nothing changed" in same.skip_message and str(folder) in same.skip_message

    # added
    drop(folder / "targets" / "targets_2025.csv", "x\n")
    added = tick(first.cursor)
    keys = {run.run_key, requested(added).run_key}
    # changed: same name, other content and size
    drop(members, "a,b\n1,2\n3,4\n")
    changed = tick(added.cursor)
    keys.add(requested(changed).run_key)
    # changed: only touched (same size, newer modification time)
    os.utime(members, (OLD + 60, OLD + 60))
    touched = tick(changed.cursor)
    keys.add(requested(touched).run_key)
    # removed
    (folder / "targets" / "targets_2025.csv").unlink()
    removed = tick(touched.cursor)
    keys.add(requested(removed).run_key)
    assert len(keys) == 5  # one run key per change
    assert not tick(removed.cursor).run_requests


def test_going_back_to_an_earlier_state_asks_again(folder):
    path = drop(folder / "membership" / "m.csv", "a\n")
    a = tick()
    path.unlink()
    drop(folder / "membership" / "other.csv", "b\n")
    b = tick(a.cursor)
    (folder / "membership" / "other.csv").unlink()
    drop(path, "a\n")
    again = tick(b.cursor)  # the same files as at `a`, yet a change since the last run
    assert requested(again).run_key != requested(a).run_key
    assert requested(again).run_key != requested(b).run_key


def test_a_retried_evaluation_gives_the_same_run_key(folder):
    """The daemon may evaluate again from the same cursor (it died before saving it):
    the same run key, so Dagster launches the run once."""
    drop(folder / "membership" / "m.csv", "a\n")
    assert requested(tick("")).run_key == requested(tick(None)).run_key


def test_files_that_are_not_extracts_do_not_count(folder):
    drop(folder / "membership" / "m.csv", "a\n")
    start = tick()
    drop(folder / "membership" / "README.txt", "notes")
    drop(folder / "membership" / ".m2.csv.partial", "copying")
    drop(folder / "notes.csv", "not in a kind's folder")
    assert not tick(start.cursor).run_requests


def test_sensor_skips_a_missing_or_empty_landing_folder(folder, tmp_path, monkeypatch):
    empty = tick()
    assert not empty.run_requests and "has no extracts" in empty.skip_message
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", str(missing))
    gone = tick()
    assert not gone.run_requests
    assert f"landing folder {missing} is missing" in gone.skip_message
    assert gone.cursor is None


def test_sensor_waits_for_a_file_still_being_copied(folder, monkeypatch):
    monkeypatch.setenv("CAKUPAN_SETTLE_SECONDS", "60")
    now = time.time()
    drop(folder / "membership" / "big.csv", "a\n", mtime=now - 5)
    waiting = tick()
    assert not waiting.run_requests and "waiting" in waiting.skip_message
    assert "membership/big.csv (modified 5 s ago)" in waiting.skip_message
    assert waiting.cursor is None  # the change is still to be requested
    request, _ = automation.landing_decision(Settings.from_env(), None, now=now + 60)
    assert isinstance(request, dg.RunRequest)


def test_cursor_round_trip():
    cursor = automation.Cursor("ab" * 32, 7)
    assert automation.Cursor.parse(cursor.dumps()) == cursor
    assert automation.Cursor.parse(None) == automation.Cursor() == automation.Cursor.parse("")


def test_sensor_reads_the_landing_folder_when_evaluated_not_at_import(
    folder, tmp_path, monkeypatch
):
    other = tmp_path / "other"
    drop(other / "membership" / "m.csv", "a\n")
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", str(other))
    assert tick().run_requests  # the definitions were loaded before the variable changed


# --- the schedule ---------------------------------------------------------------------


def test_schedule_runs_the_job_at_two_in_the_morning_jakarta_time(folder):
    schedule = defs.resolve_schedule_def(automation.SCHEDULE)
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Jakarta"
    assert schedule.job_name == "cakupan"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert defs.resolve_sensor_def(automation.SENSOR).default_status == (
        dg.DefaultSensorStatus.STOPPED
    )
    # 02:00 WIB (UTC+7, no daylight saving) is 19:00 UTC the day before
    from dagster._utils.schedules import cron_string_iterator

    start = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC).timestamp()
    ticks = cron_string_iterator(start, schedule.cron_schedule, schedule.execution_timezone)
    first, second = next(ticks), next(ticks)
    assert first.astimezone(dt.UTC) == dt.datetime(2026, 11, 25, 19, 0, tzinfo=dt.UTC)
    assert second - first == dt.timedelta(days=1)

    when = dt.datetime(2026, 11, 26, 2, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    with dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def(), resources=SETTINGS
    ) as context:
        (request,) = schedule.evaluate_tick(context).run_requests
    assert request.tags["dagster/max_retries"] == "1"
    # the ingest run; the snapshots sensor asks for the rest (tests/test_snapshot_runs.py)
    assert request.tags[runs.PHASE_TAG] == runs.INGEST
    phases = runs.Phases.of(defs.resolve_job_def("cakupan"))
    assert set(request.asset_selection) == phases.ingest


# --- freshness ------------------------------------------------------------------------


def test_snapshot_age_by_hand():
    on = dt.date(2026, 11, 25)
    assert snapshot_age(dt.date(2026, 10, 16), on) == (True, 40)  # 15 + 25 days
    assert snapshot_age(dt.date(2026, 10, 15), on) == (False, 41)
    assert snapshot_age(dt.date(2024, 11, 25), on) == (False, 730)  # 2025, 2026: no Feb 29
    assert snapshot_age(None, on) == (False, None)


def run_snapshot_check(tmp_path: Path, snapshots: list[dt.date] | None):
    """The check in a real Dagster run on a warehouse holding ``snapshots``."""
    settings = Settings(landing_dir=str(tmp_path / "landing"), output_dir=str(tmp_path / "o"))
    settings.ensure_private()
    with duckdb.connect(str(settings.warehouse_path)) as con:
        if snapshots is not None:
            con.execute("CREATE SCHEMA coverage")
            con.execute(
                "CREATE TABLE coverage.coverage_by_city (snapshot_date DATE, region_code TEXT)"
            )
            for day in snapshots:
                con.execute("INSERT INTO coverage.coverage_by_city VALUES (?, '61.72')", [day])
    key = next(iter(latest_snapshot_age.check_keys))
    only = dg.define_asset_job("snapshot_age", selection=dg.AssetSelection.checks(key))
    job = dg.Definitions.merge(build_definitions(settings), dg.Definitions(jobs=[only]))
    result = job.resolve_job_def("snapshot_age").execute_in_process(raise_on_error=False)
    assert result.success  # a WARN check never fails the run
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    return evaluation


def test_snapshot_check_passes_with_a_recent_snapshot(tmp_path):
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    recent = today - dt.timedelta(days=10)
    evaluation = run_snapshot_check(tmp_path, [today - dt.timedelta(days=100), recent])
    assert evaluation.passed
    assert evaluation.metadata["latest snapshot"].value == recent.isoformat()
    assert evaluation.metadata["age (days)"].value == 10


def test_snapshot_check_warns_when_the_latest_snapshot_is_over_40_days_old(tmp_path):
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    evaluation = run_snapshot_check(
        tmp_path, [today - dt.timedelta(days=41), today - dt.timedelta(days=400)]
    )
    assert not evaluation.passed
    assert evaluation.metadata["age (days)"].value == 41


def test_snapshot_check_warns_without_coverage(tmp_path):
    evaluation = run_snapshot_check(tmp_path, None)
    assert not evaluation.passed
    assert evaluation.metadata["latest snapshot"].value == "none"


def test_coverage_assets_have_the_26_hour_freshness_policy_and_the_check():
    graph = defs.resolve_asset_graph()
    fresh = {}
    for key in graph.get_all_asset_keys():
        policy = graph.get(key).freshness_policy
        if policy is not None:
            fresh[key.to_user_string()] = policy
    assert set(fresh) == {
        f"{stage}/coverage_{level}"
        for stage in ("coverage", "reporting")
        for level in ("by_city", "by_province", "national")
    }
    for policy in fresh.values():
        assert isinstance(policy, dg.FreshnessPolicy)
        assert policy.fail_window.to_timedelta() == dt.timedelta(hours=26)
    spec = graph.get_check_spec(next(iter(latest_snapshot_age.check_keys)))
    # blocking, so that it runs before publishing and is recorded with the published
    # figures; its result is WARN, which never blocks (test_sample_trips_only_the_warnings...)
    assert spec.blocking is True and spec.description.startswith("[WARN]")


def test_instance_template_enables_run_retries_and_freshness():
    import yaml

    config = yaml.safe_load((ROOT / "pipelines/dagster_home_template/dagster.yaml").read_text())
    assert config["run_retries"] == {"enabled": True}
    assert config["freshness"] == {"enabled": True}


# --- run retries ----------------------------------------------------------------------


def failed_nightly_run(landing: Path, output: Path) -> dg.DagsterRun:
    """A run of the job with the nightly run's tags, on an instance with run retries."""
    settings = Settings(landing_dir=str(landing), output_dir=str(output), data_docs=False)
    overrides = {"run_retries": {"enabled": True}}
    with dg.instance_for_test(overrides=overrides) as instance:
        result = execute(settings, instance, tags=automation.RETRY_ONCE)
        assert not result.success
        return instance.get_run_by_id(result.run_ids[-1])


def test_a_run_that_rejected_files_is_not_retried(landing, output):
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000))
    landing.targets([[2025, "61.72", "35,00"]])
    landing.membership([["2025-06-30", nik(1), "PU", "61.72", "AKTIF", "JKK", "2020-01-01"]])
    landing.text("membership", "bad.csv", "no,such,columns\n1,2,3\n")
    run = failed_nightly_run(landing.root, output)
    assert run.tags["dagster/will_retry"] == "false"
    assert run.tags["dagster/retry_on_asset_or_op_failure"] == "false"


def test_a_run_that_failed_otherwise_is_retried_once(landing, output):
    """No membership file at all: the raw step fails without rejecting a file (the share
    may be unmounted for a moment): retried."""
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000))
    landing.targets([[2025, "61.72", "35,00"]])
    run = failed_nightly_run(landing.root, output)
    assert run.tags["dagster/will_retry"] == "true"
    assert "dagster/retry_on_asset_or_op_failure" not in run.tags


# --- one real daemon tick -------------------------------------------------------------


def wait_for(what: str, found, timeout: float, daemon: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        assert daemon.poll() is None, f"the daemon stopped (exit {daemon.returncode})"
        time.sleep(0.5)
    raise AssertionError(f"no {what} within {timeout:.0f} s")


@pytest.mark.e2e  # a process-level scenario: make test-e2e
def test_the_daemon_asks_for_a_run_when_a_file_is_dropped(tmp_path):
    landing, home = tmp_path / "landing", tmp_path / "dagster_home"
    (landing / "membership").mkdir(parents=True)
    home.mkdir()
    # the instance `make dev` makes, except that runs are queued, never launched
    template = (ROOT / "pipelines/dagster_home_template/dagster.yaml").read_text()
    assert "max_concurrent_runs: 1" in template
    config = template.replace("max_concurrent_runs: 1", "max_concurrent_runs: 0")
    (home / "dagster.yaml").write_text(config)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CAKUPAN_LANDING_DIR": str(landing),
        "CAKUPAN_OUTPUT_DIR": str(tmp_path / "output"),
        "CAKUPAN_SENSOR_INTERVAL": "1",
        "VIRTUAL_ENV": str(ROOT / ".venv"),
    }
    started = subprocess.run(
        [str(BIN / "dagster"), "sensor", "start", automation.SENSOR, "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed whole below
    )
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            (state,) = (s for s in instance.all_instigator_state() if s.name == automation.SENSOR)

            def ticks():
                done = instance.get_ticks(state.instigator_origin_id, state.selector_id)
                return [t for t in done if t.status.value != "STARTED"]

            # the first tick finds no extract and skips
            first = wait_for("sensor tick", ticks, 90, daemon)[-1]
            assert first.status.value == "SKIPPED", first
            assert "has no extracts" in first.skip_reason
            drop(landing / "membership" / "members_2025-06-30.csv", "a\n")

            def sensor_runs():
                return instance.get_runs(
                    dg.RunsFilter(tags={"dagster/sensor_name": automation.SENSOR})
                )

            (run,) = wait_for("run requested by the sensor", sensor_runs, 60, daemon)
            assert run.job_name == "cakupan"
            assert run.tags["dagster/max_retries"] == "1"
            assert run.tags["dagster/run_key"].startswith("landing-1-")
            assert run.tags[runs.PHASE_TAG] == runs.INGEST
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
        log.close()
