"""`make dev` serves the code location; an ingest run launched through it is followed by
the run of its snapshots, which publishes; it stops on SIGTERM and on Ctrl-C.

It is started as a script's background job starts it (a session of its own, SIGINT
ignored: Dagster's dev server then ignored SIGTERM too) and stopped with the whole group.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from assets.partitions import SNAPSHOTS
from pipelines import runs
from tests.helpers_cli import small_landing

pytestmark = pytest.mark.e2e  # a process-level scenario: make test-e2e

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_make_dev(tmp_path: Path):
    """`make dev` as a shell script's background job starts it (`setsid make dev &`): in a
    session of its own, with SIGINT ignored. Returns the process and a GraphQL client once
    the server answers."""
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "CAKUPAN_OUTPUT_DIR": str(tmp_path / "output"),
        "CAKUPAN_LANDING_DIR": str(small_landing(tmp_path / "landing")),
    }
    (tmp_path / "home").mkdir()
    shutil.copy(ROOT / "pipelines" / "dagster_home_template" / "dagster.yaml", tmp_path / "home")
    log = (tmp_path / "dagster-dev.log").open("w")

    def as_a_background_job():
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `&` in a script does

    process = subprocess.Popen(
        ["make", "--no-print-directory", "dev", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=as_a_background_job,
    )
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    deadline = time.monotonic() + 120
    while True:
        try:
            client._execute("{ version }")
            break
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process, signal.SIGKILL, tmp_path)
                raise AssertionError((tmp_path / "dagster-dev.log").read_text()) from None
            time.sleep(0.25)
    return process, client, log


def _group(pgid: int) -> list[int]:
    """The processes still alive in process group ``pgid``."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(entry.name))
    return alive


def _stop(process, signum: int, tmp_path: Path, timeout: float = 30) -> list[int]:
    """Send ``signum`` to the whole process group, as `kill -TERM -- -PGID` or Ctrl-C does;
    the processes still alive after ``timeout`` s (then killed)."""
    os.killpg(process.pid, signum)
    deadline = time.monotonic() + timeout
    while _group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.25)
    left = _group(process.pid)
    if left:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    _stop_strays(str(tmp_path))
    return left


@pytest.fixture
def dev_server(tmp_path):
    process, client, log = _start_make_dev(tmp_path)
    try:
        yield client, tmp_path / "output", tmp_path / "home"
    finally:
        left = _stop(process, signal.SIGTERM, tmp_path)
        log.close()
    # `kill -TERM -- -PGID` stops every process of `make dev` (they ignored it before)
    assert not left, f"still running after SIGTERM: {left}"


def test_make_dev_stops_on_ctrl_c(tmp_path):
    """Ctrl-C (SIGINT to the foreground process group) stops every process of `make dev`,
    also when it was started with SIGINT ignored."""
    process, _, log = _start_make_dev(tmp_path)
    try:
        left = _stop(process, signal.SIGINT, tmp_path)
    finally:
        log.close()
    assert not left, f"still running after Ctrl-C: {left}"


def _stop_strays(marker: str) -> None:
    """dagster dev's code servers start sessions of their own: stop any left behind."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def wait_for_run(client, run_id: str, deadline: float) -> str | None:
    status = None
    while time.monotonic() < deadline:
        try:
            status = client.get_run_status(run_id).value
        except DagsterGraphQLClientError:
            status = None
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(0.5)
    return status


def test_an_ingest_run_launched_through_the_webserver_is_followed_and_publishes(dev_server):
    """The ingest run, launched as the schedule and the landing sensor launch it; the
    daemon's snapshots sensor then adds the partitions and launches the second run."""
    client, output, home = dev_server
    from pipelines.definitions import defs

    phases = runs.Phases.of(defs.resolve_job_def("cakupan"))
    run_id = client.submit_job_execution(
        "cakupan",
        repository_location_name="cakupan",
        repository_name="__repository__",
        asset_selection=[key.path for key in sorted(phases.ingest)],
        tags={runs.PHASE_TAG: runs.INGEST},
    )
    deadline = time.monotonic() + 300
    assert wait_for_run(client, run_id, deadline) == "SUCCESS"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < deadline:
            (second,) = instance.get_runs(dg.RunsFilter(tags={runs.RUN_TAG: run_id})) or (None,)
            if second is not None:
                break
            time.sleep(0.5)
        assert second is not None, "the snapshots sensor launched no run"
        assert wait_for_run(client, second.run_id, deadline) == "SUCCESS"
        assert instance.get_dynamic_partitions(SNAPSHOTS.name) == ["2025-06-30"]
    with duckdb.connect(str(output / "coverage.duckdb"), read_only=True) as con:
        # the small landing: one snapshot, so one row per kab/kota; 61.72's 2 members
        assert con.execute("SELECT count(*) FROM reporting.coverage_by_city").fetchall() == [(514,)]
        assert con.execute(
            "SELECT covered_total FROM reporting.coverage_by_city WHERE region_code = '61.72'"
        ).fetchall() == [(2,)]
