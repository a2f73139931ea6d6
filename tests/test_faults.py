"""Faults: a full disk, an output folder that is not writable, and runs killed with SIGKILL.

Real faults only: the full disk is a small tmpfs mounted for the test (root only; skipped
with the reason otherwise), the read-only folder a tmpfs mounted read-only, and the killed
runs real ``cakupan run`` processes killed with SIGKILL at the step their progress output
names. Root ignores permission bits (``chmod 0o500`` would not stop it), so a read-only
mount stands for "no write permission": both fail writes the same way (EROFS / EACCES).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import pytest

from cakupan import files
from cakupan.config import SAMPLE_LANDING_DIR, Settings
from cakupan.publish import publish
from pipelines import cli
from tests.conftest import run_job
from tests.helpers_cli import cakupan_in_process
from tests.test_run_lock import BIN, cakupan_run, environment, small_landing

pytestmark = pytest.mark.e2e  # a process-level scenario: make test-e2e

ROOT = Path(__file__).resolve().parent.parent


# -- small file systems ----------------------------------------------------------------------


@pytest.fixture
def tmpfs(tmp_path):
    """``mount(name, size, read_only=False)``: a tmpfs of ``size`` (e.g. ``"2m"``) at
    ``tmp_path/name``, unmounted at the end. Skips when mounting is not permitted."""
    mounted: list[Path] = []

    def mount(name: str, size: str, read_only: bool = False) -> Path:
        path = tmp_path / name
        path.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount_read_only(path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` until ``leave`` bytes are free."""
    free = shutil.disk_usage(folder).free
    with open(folder / "filler", "wb") as handle:
        handle.write(b"\0" * max(free - leave, 0))


def table(rows: int, label: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA coverage")
    con.execute("CREATE TABLE coverage.t (id BIGINT PRIMARY KEY, h VARCHAR NOT NULL)")
    con.execute(
        "INSERT INTO coverage.t SELECT range, md5(range::VARCHAR) || ? FROM range(?)", [label, rows]
    )
    return con


# -- publish ---------------------------------------------------------------------------------


def test_publish_on_a_full_disk_names_the_folder_and_keeps_the_previous_file(tmpfs):
    out = tmpfs("out", "2m")
    target = out / "coverage.duckdb"
    publish(table(100, "old"), target, {"reporting.t": "coverage.t"}, "run-1")
    before = target.read_bytes()

    with pytest.raises(files.OutputFolderError) as caught:  # 1M rows: far more than 2 MiB
        publish(table(1_000_000, "new"), target, {"reporting.t": "coverage.t"}, "run-2")
    error = caught.value
    assert error.folder == out and error.full
    assert str(error).startswith(
        f"cannot write the new published database (.coverage.duckdb.run-2.tmp) in {out}: "
        "the disk is full (No space left on device"
    )
    assert target.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["coverage.duckdb"]  # no leftovers


def test_publish_to_a_read_only_folder_names_it_and_keeps_the_previous_file(tmpfs):
    out = tmpfs("out", "4m")
    target = out / "coverage.duckdb"
    publish(table(100, "old"), target, {"reporting.t": "coverage.t"}, "run-1")
    before = target.read_bytes()
    remount_read_only(out)

    with pytest.raises(files.OutputFolderError) as caught:
        publish(table(100, "new"), target, {"reporting.t": "coverage.t"}, "run-2")
    assert caught.value.folder == out and not caught.value.full
    assert f"in {out}: it is on a read-only file system (Read-only file system)" in str(
        caught.value
    )
    assert target.read_bytes() == before


def test_atomic_write_on_a_full_disk_names_the_file_and_keeps_the_old_one(tmpfs):
    out = tmpfs("out", "1m")
    target = out / "rejected_files.csv"
    target.write_text("old\n")
    with pytest.raises(files.OutputFolderError, match=f"cannot write {target} in {out}: the disk"):
        with files.atomic_write(target) as handle:
            handle.write("x" * 2_000_000)
            handle.flush()
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in out.iterdir()) == ["rejected_files.csv"]


def test_the_check_before_a_run_names_the_folder(tmpfs):
    landing = SAMPLE_LANDING_DIR
    full = tmpfs("full", "1m")  # less than the sample landing's 3.5 MiB
    output = full / "output"
    expected = rf"a run's output in {output}: not enough free space \(1.0 MiB free, 3.5 MiB needed"
    with pytest.raises(files.OutputFolderError, match=expected):
        Settings(str(landing), str(full / "output")).check_output()
    read_only = tmpfs("ro", "1m", read_only=True)
    with pytest.raises(files.OutputFolderError, match=f"output folder in {read_only}: it is on"):
        Settings(str(landing), str(read_only / "output")).check_output()
    roomy = tmpfs("roomy", "16m")
    assert Settings(str(landing), str(roomy)).check_output() == roomy
    assert list(roomy.iterdir()) == []  # the probe file is gone


# -- whole runs: `cakupan run` and a run as the UI starts it ---------------------------------


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """The output folder of a finished run on a small landing (its coverage.duckdb is the
    one a failed or killed run must leave as it was)."""
    root = tmp_path_factory.mktemp("previous")
    landing, output = small_landing(root / "landing"), root / "output"
    status, out, err = cakupan_in_process("run", "--landing", landing, "--output", output)
    assert status == cli.EXIT_OK, out + err
    return output


def run_cli(output: Path, landing: Path = SAMPLE_LANDING_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(
        cakupan_run(landing, output), env=environment(), capture_output=True, text=True
    )


def test_cakupan_run_on_a_read_only_output_folder(tmpfs, previous):
    out = tmpfs("out", "8m")
    shutil.copy(previous / "coverage.duckdb", out)
    before = (out / "coverage.duckdb").read_bytes()
    remount_read_only(out)
    done = run_cli(out)
    assert done.returncode == cli.EXIT_FAILED, done.stdout + done.stderr
    assert f"cakupan: error: cannot write the output folder in {out}: it is on a read-only" in (
        done.stderr
    )
    assert "the previous coverage.duckdb, if any, stays as it was" in done.stderr
    assert "Traceback" not in done.stderr
    assert (out / "coverage.duckdb").read_bytes() == before


def test_cakupan_run_on_a_disk_too_small_for_the_landing(tmpfs, previous):
    out = tmpfs("out", "3m")  # the sample landing takes 3.5 MiB
    shutil.copy(previous / "coverage.duckdb", out)
    before = (out / "coverage.duckdb").read_bytes()
    done = run_cli(out)
    assert done.returncode == cli.EXIT_FAILED, done.stdout + done.stderr
    assert f"cakupan: error: cannot write a run's output in {out}: not enough free space" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    assert (out / "coverage.duckdb").read_bytes() == before


def test_cakupan_run_when_the_disk_fills_up_during_the_run(tmpfs, previous):
    out = tmpfs("out", "16m")  # passes the check; the warehouse outgrows it
    shutil.copy(previous / "coverage.duckdb", out)
    before = (out / "coverage.duckdb").read_bytes()
    done = run_cli(out)
    assert done.returncode == cli.EXIT_FAILED, done.stdout + done.stderr
    private = Settings(str(SAMPLE_LANDING_DIR), str(out)).private_dir  # where it writes
    assert f"in {private}: the disk is full (No space left on device" in done.stderr, done.stderr
    assert "nothing new was published" in done.stderr or "stays as it was" in done.stderr
    assert "Traceback" not in done.stderr
    assert (out / "coverage.duckdb").read_bytes() == before


def test_a_run_as_the_ui_starts_it_fails_with_a_clear_failure(tmpfs):
    out = tmpfs("out", "6m")
    run = run_job(SAMPLE_LANDING_DIR, out)
    assert not run.success
    failures = {e.step_key: e for e in run.result.get_step_failure_events()}
    failure = failures["raw__membership"].step_failure_data  # the first to fill the disk
    assert failure.user_failure_data is not None  # a dg.Failure, not a crash
    assert failure.user_failure_data.description.startswith(
        f"cannot write the warehouse (warehouse.duckdb) in {run.settings.private_dir}: the disk "
        "is full"
    )
    assert not (out / "coverage.duckdb").exists()


def test_a_run_as_the_ui_starts_it_on_a_read_only_folder(tmpfs):
    out = tmpfs("out", "1m", read_only=True)
    run = run_job(SAMPLE_LANDING_DIR, out)
    assert not run.success
    text = "\n".join(
        e.message or "" for e in run.result.all_events if e.is_failure or e.is_step_failure
    )
    errors = [
        e.event_specific_data.error.to_string()
        for e in run.result.all_events
        if getattr(e.event_specific_data, "error", None) is not None
    ]
    assert any(
        f"cannot write the run lock (.cakupan.lock) in {out}: it is on a read-only" in t
        or f"in {out}: it is on a read-only file system" in t
        for t in [text, *errors]
    ), (text, errors)


# -- kill -9 at any moment -------------------------------------------------------------------


def published_tables(path: Path) -> dict[str, list[tuple]]:
    """Every table of a published database, its rows sorted, without what differs between
    two runs of the same landing (run ids, times)."""
    varying = {"run_id", "published_at", "started_at", "finished_at"}
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        tables = {}
        for (name,) in names:
            schema, bare = name.split(".")
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? "
                    "AND table_name = ? ORDER BY column_index",
                    [schema, bare],
                ).fetchall()
                if c not in varying and not c.endswith("_at")
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            tables[name] = con.execute(f"SELECT {listed} FROM {name} ORDER BY ALL").fetchall()
    return tables


@pytest.fixture(scope="module")
def uninterrupted(sample_run) -> dict[str, list[tuple]]:
    """The published tables of an uninterrupted run on the sample landing (the session's
    run of the job on the sample, shared with the other test modules)."""
    run, _ = sample_run
    tables = published_tables(run.settings.published_path)
    assert len(tables["reporting.coverage_by_city"]) == 1028
    return tables


class Run:
    """A ``cakupan run`` process whose progress lines are collected as they come."""

    def __init__(self, output: Path):
        self.output = output
        self.lines: list[str] = []
        self.new_line = threading.Condition()
        self.proc = subprocess.Popen(
            cakupan_run(SAMPLE_LANDING_DIR, output),
            cwd=ROOT,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.new_line:
                self.lines.append(line.rstrip("\n"))
                self.new_line.notify_all()
        with self.new_line:  # the output has ended
            self.new_line.notify_all()

    def wait_for(self, condition, what: str, timeout: float = 300, poll: float = 0.002) -> None:
        """Until ``condition()``: checked every ``poll`` seconds (a file condition), or
        (``poll=None``, a condition on the output) each time a line comes."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                raise AssertionError(f"the run ended before {what}:\n" + "\n".join(self.lines))
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            if poll is None:
                with self.new_line:
                    self.new_line.wait_for(condition, timeout=0.5)
            else:
                time.sleep(poll)

    def wait_for_start(self, step: str) -> None:
        self.wait_for(lambda: self.started(step), f"{step} started", poll=None)

    def started(self, step: str) -> bool:
        return any(line.endswith(f"] start {step}") for line in self.lines)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        assert self.proc.returncode == -signal.SIGKILL


def during_ingest(run: Run) -> None:
    run.wait_for_start("raw/workforce")


def half_written(run: Run, step: str) -> None:
    """``step`` has written to the warehouse (its file or its WAL was written since the step
    started: DuckDB may write rows into free blocks of the file, which then does not grow)
    and has not ended: nothing of it is committed or in place yet."""
    warehouse = Settings(str(SAMPLE_LANDING_DIR), str(run.output)).warehouse_path
    wal = Path(f"{warehouse}.wal")

    def written() -> tuple:
        return tuple(
            (p.stat().st_size, p.stat().st_mtime_ns) if p.exists() else None
            for p in (warehouse, wal)
        )

    run.wait_for_start(step)
    at_start = written()
    run.wait_for(lambda: written() != at_start, "rows written")
    assert not any(f"] done  {step} " in line for line in run.lines), f"{step} ended already"


def raw_table_half_written(run: Run) -> None:
    """raw/membership has written rows of its first files into its loading table, not yet
    put in place of raw.membership."""
    half_written(run, "raw/membership")


def partition_half_written(run: Run) -> None:
    """During compute, in the run of the snapshots: staging/membership has deleted and
    written rows of its partitions (the previous run built 2025-06-30 from other files, so
    it is rebuilt), not yet committed."""
    half_written(run, "staging/membership")


def during_publish(run: Run) -> None:
    """The new coverage.duckdb is being written beside the old one."""
    run.wait_for_start("published_coverage")
    run.wait_for(lambda: any(run.output.glob(".coverage.duckdb.*.tmp")), "the new coverage.duckdb")


@pytest.mark.parametrize(
    "moment", [during_ingest, raw_table_half_written, partition_half_written, during_publish]
)
def test_a_run_killed_at_any_moment(moment, previous, uninterrupted, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(previous, output, symlinks=True)
    published = output / "coverage.duckdb"
    before = published.read_bytes()

    run = Run(output)
    moment(run)
    run.kill()

    assert published.read_bytes() == before  # as it was, byte for byte
    assert not Path(f"{published}.wal").exists()
    warehouse = Settings(str(SAMPLE_LANDING_DIR), str(output)).warehouse_path
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reference.regencies").fetchone() == (514,)

    status, out, err = cakupan_in_process(
        "run", "--landing", SAMPLE_LANDING_DIR, "--output", output
    )
    assert status == cli.EXIT_OK, out + err
    assert published_tables(published) == uninterrupted
    assert not list(output.glob(".coverage.duckdb.*"))  # the killed run's leftovers are gone


def test_a_landing_file_that_cannot_be_read_is_not_blamed_on_the_output_folder(tmp_path):
    output, landing = tmp_path / "output", tmp_path / "landing" / "membership" / "m.csv"
    output.mkdir()
    refused = PermissionError(errno.EACCES, "Permission denied", str(landing))
    assert files.output_folder_error(refused, output / "warehouse.duckdb", "the warehouse") is None
    # DuckDB says it in words, naming the file
    text = duckdb.IOException(f'IO Error: Cannot open file "{landing}": Permission denied')
    assert files.output_folder_error(text, output / "warehouse.duckdb", "the warehouse") is None
    # the same refusal on a file of the output folder is the output folder's
    ours = PermissionError(errno.EACCES, "Permission denied", str(output / "warehouse.duckdb"))
    error = files.output_folder_error(ours, output / "warehouse.duckdb", "the warehouse")
    assert error is not None and error.folder == output
    assert "writing there is not permitted" in str(error)


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_cakupan_run_as_a_user_who_may_not_write_the_output_folder(previous):
    """EACCES, honestly: root ignores permission bits, so the run is started as the user
    nobody (setpriv) on an output folder root owns (0755) holding a published file."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run cakupan as another user")
    probe = subprocess.run([*NOBODY, "test", "-x", str(BIN / "cakupan")], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"the user nobody cannot reach {BIN} (a private checkout folder)")
    root = Path(tempfile.mkdtemp(prefix="cakupan-nobody-", dir="/tmp"))
    try:
        root.chmod(0o755)
        home = root / "home"
        home.mkdir(mode=0o777)
        home.chmod(0o777)
        out = root / "output"
        out.mkdir(mode=0o755)
        shutil.copy(previous / "coverage.duckdb", out)
        before = (out / "coverage.duckdb").read_bytes()
        done = subprocess.run(
            [*NOBODY, *cakupan_run(SAMPLE_LANDING_DIR, out)],
            env=environment(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config")),
            capture_output=True,
            text=True,
            cwd=home,
        )
        assert done.returncode == cli.EXIT_FAILED, done.stdout + done.stderr
        assert f"in {out}: writing there is not permitted" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert (out / "coverage.duckdb").read_bytes() == before
        assert sorted(p.name for p in out.iterdir()) == ["coverage.duckdb"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_an_io_error_after_the_disk_filled_is_a_full_disk_once_space_is_free_again(tmpfs):
    """A run fills the disk (DuckDB's write fails), the failed write's space is freed (its
    WAL rolled back), then SQLite (the Dagster instance) fails with "disk I/O error": still
    the full disk, whatever is free by the time it is looked at. The suite's run on a 12 MB
    disk said something else now and then: the free space had come back in between."""
    import sqlite3

    full, spare = tmpfs("full", "1m"), tmpfs("spare", "1m")
    fill(full, 0)
    with pytest.raises(files.OutputFolderError) as caught:
        with files.writing(full / "warehouse.duckdb", "the warehouse"):
            (full / "warehouse.duckdb").write_bytes(b"\0" * 65536)
    assert caught.value.full
    (full / "filler").unlink()  # the space comes back
    (full / "warehouse.duckdb").unlink(missing_ok=True)
    io_error = sqlite3.OperationalError("disk I/O error")
    error = files.output_folder_error(io_error, full, "the run's files")
    assert error is not None and error.full
    assert f"in {full}: the disk is full (No space left on device" in str(error)
    # on a disk that never filled, an I/O error is not taken for a full disk
    assert files.output_folder_error(io_error, spare, "the run's files") is None
