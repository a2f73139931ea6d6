"""`dg dev` (what `make dev` runs) serves the code location; an ingest run launched
through it is followed by the run of its snapshots, which publishes.

The server runs in its own process group (a bare `&` would leave it deaf to SIGTERM) and
is stopped with the whole group.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from assets.partitions import SNAPSHOTS
from pipelines import runs
from tests.helpers_cli import small_landing

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dev_server(tmp_path):
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
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dg"),
            "dev",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                client._execute("{ version }")
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "dagster-dev.log").read_text()) from None
                time.sleep(0.25)
        yield client, tmp_path / "output", tmp_path / "home"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        _stop_strays(str(tmp_path))


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
