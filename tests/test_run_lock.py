"""One run at a time on an output folder, whichever way it was started.

Real processes only: ``cakupan run``, ``dagster asset materialize`` and a holder that takes
the lock through ``cakupan.runlock`` then sleeps; killed holders are killed with SIGKILL. The
run after a killed one is ``cakupan run`` in the test process (``tests.helpers_cli``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from cakupan import runlock
from cakupan.config import Settings
from pipelines import cli
from tests.helpers_cli import cakupan_in_process, small_landing
from tests.test_dev_server import dev_server  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
pytestmark = pytest.mark.e2e  # a process-level scenario: make test-e2e

HOLDER = """
import sys, time
from cakupan import runlock
with runlock.hold(sys.argv[1], sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def processes():
    """Start processes in sessions of their own; whatever still runs is killed at the end."""
    started: list[subprocess.Popen] = []

    def start(args, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.DEVNULL, start_new_session=True, **kwargs
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def environment(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CAKUPAN_") and k != "DAGSTER_HOME"
    }
    # files just written count as settled (CAKUPAN_SETTLE_SECONDS, tests/test_settling.py)
    env |= {"CAKUPAN_PSEUDONYM_KEY": "test-key-not-secret", "CAKUPAN_SETTLE_SECONDS": "0"}
    return {**env, **extra}


def private(output: Path) -> Settings:
    """The settings whose private paths (lock, warehouse, logs, instance) are ``output``'s."""
    return Settings(landing_dir="", output_dir=str(output))


def cakupan_run(landing: Path, output: Path) -> list[str]:
    return [str(BIN / "cakupan"), "run", "--landing", str(landing), "--output", str(output)]


def hold_in_another_process(start, output: Path, run_id: str, lock=None) -> subprocess.Popen:
    """A process holding the run lock of ``output`` (or the lock file ``lock``)."""
    holder = start(
        [sys.executable, "-c", HOLDER, str(lock or private(output).lock_path), run_id],
        stdout=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def wait_for(condition, what: str, proc: subprocess.Popen | None = None, timeout: float = 240):
    """The first true value of ``condition()``; fails when ``proc`` ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"process ended ({proc.returncode}) before {what}: {out}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL a process and everything it started (its session), and reap it."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def instance_of(output: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(private(output).dagster_home))


def test_second_run_waits_then_gives_up(processes, tmp_path):
    landing, output = small_landing(tmp_path / "landing"), tmp_path / "output"
    holder = hold_in_another_process(processes, output, "holder-run")

    started = time.monotonic()
    done = subprocess.run(
        cakupan_run(landing, output),
        env=environment(CAKUPAN_LOCK_TIMEOUT="2"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == cli.EXIT_FAILED, done.stdout + done.stderr
    assert time.monotonic() - started >= 2
    lock = private(output).lock_path
    assert f"waiting for run holder-run (pid {holder.pid}) to finish: it holds {lock}" in (
        done.stdout
    )
    assert (
        f"another cakupan run (run holder-run, pid {holder.pid}) holds {lock}; "
        "gave up after 2 s" in done.stderr
    )
    assert not (output / "coverage.duckdb").exists()
    assert not private(output).warehouse_path.exists()
    assert holder.poll() is None  # the holder was left alone


def test_a_run_killed_with_sigkill_does_not_block_the_next(processes, tmp_path):
    landing, output = small_landing(tmp_path / "landing"), tmp_path / "output"
    first = processes(cakupan_run(landing, output), env=environment(), stdout=subprocess.DEVNULL)
    holder = wait_for(
        lambda: (h := runlock.read_holder(private(output).lock_path)) and h.pid == first.pid and h,
        "the first run to take the lock",
        first,
    )
    logs = private(output).logs_dir
    log = wait_for(lambda: next(logs.glob(f"*_{holder.run_id}.log"), None), "log")
    wait_for(lambda: "STEP_START" in log.read_text(), "the first run's first step", first)
    kill(first)

    # the next run, in this process: no waiting allowed, the lock must be free at once
    status, out, err = cakupan_in_process(
        "run", "--landing", landing, "--output", output, CAKUPAN_LOCK_TIMEOUT="0"
    )
    assert status == cli.EXIT_OK, out + err
    assert "waiting for" not in out
    assert (output / "coverage.duckdb").exists()
    # The killed run no longer shows as in progress (it would hold up the UI's run queue).
    assert f"run {holder.run_id} had been killed: marked failed" in out
    with instance_of(output) as instance:
        assert instance.get_run_by_id(holder.run_id).status == dg.DagsterRunStatus.FAILURE
        runs = instance.get_runs()
        assert [r.status for r in runs if r.run_id != holder.run_id] == [
            dg.DagsterRunStatus.SUCCESS  # the ingest run and the snapshots run
        ] * 2
    assert runlock.read_holder(private(output).lock_path) is None  # released cleanly
    from tests.test_private import private_modes  # (which imports this module)

    assert private_modes(private(output)) == {}  # the instance's files too


def test_waiting_runs_go_one_after_the_other(processes, tmp_path):
    landing, output = small_landing(tmp_path / "landing"), tmp_path / "output"
    holder = hold_in_another_process(processes, output, "holder-run")
    outs = [tmp_path / "a.out", tmp_path / "b.out"]
    runs = []
    for out in outs:
        with out.open("w") as handle:
            runs.append(
                processes(
                    # --force: the run that goes second would otherwise find nothing
                    # changed since the first and stop at once (the ingest ledger)
                    [*cakupan_run(landing, output), "--force"],
                    env=environment(CAKUPAN_LOCK_TIMEOUT="600"),
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            )
    for out in outs:
        wait_for(lambda out=out: "waiting for run holder-run" in out.read_text(), out.name)
    kill(holder)  # the holder dies without releasing: the system releases the lock
    for proc, out in zip(runs, outs, strict=True):
        assert proc.wait(timeout=600) == cli.EXIT_OK, out.read_text()

    texts = [out.read_text() for out in outs]
    ran = r"cakupan: run (\S+) \(ingest\) and (\S+) \(snapshots\); full log"
    run_ids = [re.search(ran, t).groups() for t in texts]  # each command's two runs
    # The run that lost the race waited for the one that won it, by name.
    waited = [t.count("waiting for run ") for t in texts]
    assert sorted(waited) == [1, 2], texts
    first, second = (0, 1) if waited[1] == 2 else (1, 0)
    assert f"waiting for run {run_ids[first][0]} (pid {runs[first].pid})" in texts[second]
    # Nothing of the second command's runs happened before the first's had ended.
    with instance_of(output) as instance:
        times = [[e.timestamp for i in ids for e in instance.all_logs(i)] for ids in run_ids]
        statuses = {instance.get_run_by_id(i).status for ids in run_ids for i in ids}
    assert statuses == {dg.DagsterRunStatus.SUCCESS}
    assert max(times[first]) < min(times[second])


@pytest.fixture
def dagster_home(tmp_path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "pipelines" / "dagster_home_template" / "dagster.yaml", home)
    return home


def dagster_job_execute(start, landing: Path, output: Path, home: Path, **env: str):
    """A run of the reference and raw assets (unpartitioned: no partition to pick) started
    with Dagster's own command line, not with ``cakupan``."""
    return start(
        [str(BIN / "dagster"), "asset", "materialize", "-m", "pipelines.definitions", "-a"]
        + ["defs", "--select", "group:reference or group:raw"],
        env=environment(
            CAKUPAN_LANDING_DIR=str(landing),
            CAKUPAN_OUTPUT_DIR=str(output),
            DAGSTER_HOME=str(home),
            **env,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_run_not_started_by_the_cli_holds_the_lock(processes, tmp_path, dagster_home):
    landing, output = small_landing(tmp_path / "landing"), tmp_path / "output"
    lock = private(output).lock_path
    run = dagster_job_execute(processes, landing, output, dagster_home)
    holder = wait_for(
        lambda: (h := runlock.read_holder(lock)) and h.pid == run.pid and h,
        "`dagster asset materialize` to take the lock",
        run,
    )
    with pytest.raises(runlock.RunLockError, match=f"run {holder.run_id}, pid {run.pid}"):
        with runlock.hold(lock, "probe", timeout=0.5):
            pass
    out, _ = run.communicate(timeout=600)
    assert run.returncode == 0, out
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert instance.get_run_by_id(holder.run_id).status == dg.DagsterRunStatus.SUCCESS
    with runlock.hold(lock, "probe", timeout=0):  # released when the run ended
        assert runlock.read_holder(lock).run_id == "probe"


def test_a_run_not_started_by_the_cli_waits_then_fails(processes, tmp_path, dagster_home):
    landing, output = small_landing(tmp_path / "landing"), tmp_path / "output"
    holder = hold_in_another_process(processes, output, "holder-run")
    run = dagster_job_execute(processes, landing, output, dagster_home, CAKUPAN_LOCK_TIMEOUT="1")
    out, _ = run.communicate(timeout=300)
    assert run.returncode != 0, out
    assert f"waiting for run holder-run (pid {holder.pid}) to finish" in out
    assert f"another cakupan run (run holder-run, pid {holder.pid}) holds" in out
    assert not private(output).warehouse_path.exists()


def test_bad_timeout_setting_is_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CAKUPAN_LOCK_TIMEOUT", "ten minutes")
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", "unset-by-test")
    monkeypatch.setenv("CAKUPAN_OUTPUT_DIR", "unset-by-test")
    landing = small_landing(tmp_path / "landing")
    args = ["run", "--landing", str(landing), "--output", str(tmp_path / "output")]
    assert cli.main(args) == cli.EXIT_FAILED
    assert (
        "CAKUPAN_LOCK_TIMEOUT='ten minutes' is not a number of seconds" in capsys.readouterr().err
    )


def test_the_lock_is_reentrant_within_a_process_only(processes, tmp_path):
    output = tmp_path / "output"
    lock = private(output).lock_path
    with runlock.hold(lock, "outer") as outer, runlock.hold(lock, "inner") as inner:
        assert inner is outer
        assert runlock.read_holder(private(output).lock_path).run_id == "outer"
        probe = subprocess.run(
            [sys.executable, "-c", HOLDER, str(lock), "other"],
            cwd=ROOT,
            env=environment(CAKUPAN_LOCK_TIMEOUT="0"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert probe.returncode != 0
        assert f"another cakupan run (run outer, pid {os.getpid()})" in probe.stderr
    assert runlock.read_holder(private(output).lock_path) is None


@pytest.fixture
def ui_with_short_lock_timeout(request, monkeypatch):
    """`dagster dev` (tests.test_dev_server) whose runs wait 2 s at most for the lock."""
    monkeypatch.setenv("CAKUPAN_LOCK_TIMEOUT", "2")
    return request.getfixturevalue("dev_server")


def test_a_run_launched_from_the_ui_waits_then_fails(
    processes, tmp_path, ui_with_short_lock_timeout
):
    client, output, _ = ui_with_short_lock_timeout
    holder = hold_in_another_process(processes, output, "holder-run")
    run_id = client.submit_job_execution(
        "cakupan", repository_location_name="cakupan", repository_name="__repository__"
    )
    status = wait_for(
        lambda: (s := client.get_run_status(run_id).value) in ("SUCCESS", "FAILURE") and s,
        "the run to end",
    )
    assert status == "FAILURE"
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        logged = "\n".join(map(_text, instance.all_logs(run_id)))
    assert f"waiting for run holder-run (pid {holder.pid}) to finish" in logged
    assert f"another cakupan run (run holder-run, pid {holder.pid}) holds" in logged
    assert not private(output).warehouse_path.exists()


def _text(entry) -> str:
    """An event's message and error (with the errors that caused it), as the UI shows them."""
    data = entry.dagster_event.event_specific_data if entry.dagster_event else None
    error = getattr(data, "error", None)
    return entry.message + ("\n" + error.to_string() if error else "")
