"""What is private is private: pseudonyms, run logs and run state under ``private/`` (0700,
files 0600, whatever the umask), the rest of the output folder shareable; an output folder
of the previous layout is moved on its first run, never under a run that holds its lock."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from cakupan import private, runlock
from cakupan.config import Settings
from pipelines import cli
from tests.helpers_cli import cakupan_in_process, small_landing
from tests.test_run_lock import HOLDER, ROOT, environment

OLD = ["warehouse.duckdb", "logs", "dagster_home", "duckdb_spill"]  # what a run leaves there
SHAREABLE = {"coverage.duckdb", "reports", "exports", "quality", "rejected_files.csv", "briefs"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def private_modes(settings: Settings) -> dict[str, int]:
    """Every file and folder under the private folder (itself included) that is not 0600
    (files) or 0700 (folders), with its mode; and the files checked, at least the run's."""
    wrong = {}
    for path in [settings.private_dir, *settings.private_dir.rglob("*")]:
        wanted = 0o700 if path.is_dir() else 0o600
        if mode(path) != wanted:
            wrong[str(path.relative_to(settings.output))] = oct(mode(path))
    return wrong


def unreadable_shared(settings: Settings, umask: int) -> dict[str, str]:
    """What outside the private folder does not have the mode the umask gives (0666 or 0777
    without the umask's bits): what others could not read."""
    wrong = {}
    for path in [settings.output, *settings.output.rglob("*")]:
        if path == settings.private_dir or settings.private_dir in path.parents:
            continue
        wanted = (0o777 if path.is_dir() else 0o666) & ~umask
        if mode(path) != wanted:
            wrong[str(path)] = oct(mode(path))
    return wrong


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def to_previous_layout(settings: Settings) -> None:
    """Move what the private folder holds back to the top of the output folder, with the
    modes a run of the previous layout gave them under umask 022."""
    for path in settings.private_dir.iterdir():
        os.rename(path, settings.output / path.name)
        for sub in [settings.output / path.name, *(settings.output / path.name).rglob("*")]:
            os.chmod(sub, 0o755 if sub.is_dir() else 0o644)
    settings.private_dir.rmdir()


@pytest.fixture
def umask_002():
    before = os.umask(0o002)
    yield 0o002
    os.umask(before)


def test_a_runs_private_files_are_private_and_the_rest_may_be_shared(sample_run):
    """The sample run (as the UI runs it, under umask 022: tests/conftest.py): pseudonyms,
    run state only in private/ (0700, files 0600); the rest with the modes of the umask.
    (A ``cakupan run`` under umask 002: tests/test_cli_progress.py.)"""
    settings = sample_run[0].settings
    assert {p.name for p in settings.output.iterdir()} <= SHAREABLE | {"private"}
    held = {p.relative_to(settings.private_dir).parts[0] for p in settings.private_dir.rglob("*")}
    assert held >= {"warehouse.duckdb", "duckdb_spill", ".cakupan.lock"}
    assert private_modes(settings) == {}
    assert unreadable_shared(settings, 0o022) == {}
    assert mode(settings.published_path) == 0o644


def test_an_output_folder_of_the_previous_layout_is_moved_on_its_first_run(
    sample_run, tmp_path, umask_002
):
    """A copy of the sample run's output folder, as the previous layout had it (modes of
    umask 022), then ``cakupan run`` on the same landing (umask 002)."""
    settings = sample_run[0].settings.with_output(str(tmp_path / "output"))
    output = settings.output
    shutil.copytree(sample_run[0].settings.output, output)
    to_previous_layout(settings)
    previous_run_state(output)
    assert {p.name for p in output.iterdir()} >= {*OLD, ".cakupan.lock"}
    published = sha256(settings.published_path)

    args = ("run", "--landing", settings.landing, "--output", output)
    status, out, err = cakupan_in_process(*args, key="sample-test-key")
    assert status == cli.EXIT_OK, out + err
    assert (
        f"cakupan: moved warehouse.duckdb, logs/, dagster_home/, duckdb_spill/ from {output} "
        f"to {settings.private_dir}; the run lock is now {settings.lock_path} "
        f"(was {output / '.cakupan.lock'})"
    ) in err
    assert "cakupan: Nothing changed since run " in out  # the ingest ledger moved with it
    assert sha256(settings.published_path) == published
    assert not any(os.path.lexists(output / name) for name in [*OLD, ".cakupan.lock"])
    assert (settings.logs_dir / "20260101T000000_old.log").read_text() == "an earlier run"
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        assert [r.run_id for r in instance.get_runs()] == ["earlier-run"]  # history kept
    assert private_modes(settings) == {}
    assert {p.name for p in output.iterdir()} <= SHAREABLE | {"private"}

    # the next run has nothing to move
    status, out, err = cakupan_in_process(*args, key="sample-test-key")
    assert status == cli.EXIT_OK and "moved" not in err, out + err


def previous_run_state(output: Path) -> None:
    """What ``cakupan run`` left beside the warehouse in the previous layout: its logs and
    the Dagster instance of its run history (modes of umask 022)."""
    (output / "logs").mkdir()
    (output / "logs" / "20260101T000000_old.log").write_text("an earlier run")
    home = output / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "pipelines" / "dagster_home_template" / "dagster.yaml", home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_run(dg.DagsterRun(job_name="cakupan", run_id="earlier-run"))
    for path in [home, *home.rglob("*"), *(output / "logs").rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def previous_layout_by_hand(output: Path) -> None:
    (output / "logs").mkdir(parents=True)
    (output / "logs" / "20260101T000000_old.log").write_text("a run of the previous layout")
    (output / "warehouse.duckdb").write_bytes(b"the previous layout's warehouse")


@pytest.fixture
def old_run(tmp_path):
    """A run of the previous layout, as far as its lock goes: a process holding
    ``output/.cakupan.lock`` (killed at the end)."""
    output = tmp_path / "output"
    previous_layout_by_hand(output)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(output / ".cakupan.lock"), "old-run"],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_nothing_moves_while_a_run_of_the_previous_layout_holds_its_lock(old_run, tmp_path):
    landing, output = small_landing(tmp_path / "landing"), tmp_path / "output"
    settings = Settings(landing_dir=str(landing), output_dir=str(output))
    old_lock, holder = output / ".cakupan.lock", old_run

    status, out, err = cakupan_in_process(
        "run", "--landing", landing, "--output", output, CAKUPAN_LOCK_TIMEOUT="1"
    )
    assert status == cli.EXIT_FAILED, out + err
    assert f"waiting for run old-run (pid {holder.pid}) to finish: it holds {old_lock}" in out
    assert f"another cakupan run (run old-run, pid {holder.pid}) holds {old_lock}" in err
    assert (output / "warehouse.duckdb").read_bytes() == b"the previous layout's warehouse"
    assert (output / "logs" / "20260101T000000_old.log").exists()
    assert not settings.warehouse_path.exists() and not settings.logs_dir.exists()
    assert runlock.read_holder(settings.lock_path) is None  # released: the next run may go
    assert holder.poll() is None

    holder.kill()
    holder.wait()
    assert private.move_old_layout(settings, timeout=0) == ["warehouse.duckdb", "logs"]
    assert settings.warehouse_path.read_bytes() == b"the previous layout's warehouse"
    assert not os.path.lexists(old_lock)


def test_a_name_in_both_places_is_never_replaced(tmp_path):
    output = tmp_path / "output"
    settings = Settings(landing_dir="", output_dir=str(output))
    previous_layout_by_hand(output)
    settings.ensure_private()
    settings.warehouse_path.write_bytes(b"another warehouse")
    with pytest.raises(private.OldLayoutConflict) as raised:
        private.move_old_layout(settings, timeout=0)
    assert f"both {output / 'warehouse.duckdb'} and {settings.warehouse_path} exist" in str(
        raised.value
    )
    assert settings.warehouse_path.read_bytes() == b"another warehouse"
    assert (output / "warehouse.duckdb").read_bytes() == b"the previous layout's warehouse"
    assert (output / "logs").is_dir() and not settings.logs_dir.exists()  # nothing moved
    assert not (output / ".cakupan.lock").exists()  # none was there, none is left


def test_a_dagster_home_set_to_the_previous_place_stays(tmp_path, monkeypatch, capsys):
    output = tmp_path / "output"
    settings = Settings(landing_dir="", output_dir=str(output))
    previous_layout_by_hand(output)
    (output / "dagster_home").mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(output / "dagster_home"))
    assert private.move_old_layout(settings, timeout=0) == ["warehouse.duckdb", "logs"]
    assert (output / "dagster_home").is_dir() and not settings.dagster_home.exists()
    assert (
        f"DAGSTER_HOME is {output / 'dagster_home'}, in the folder that may be shared: move it "
        f"to {settings.dagster_home}" in capsys.readouterr().err
    )
    assert private.move_old_layout(settings, timeout=0) == []  # nothing more, no message
    assert capsys.readouterr().err == ""


def test_make_dev_gets_its_dagster_home_from_the_settings(tmp_path):
    """``python -m cakupan.private`` (``make dev``): the output folder moved and private."""
    output = tmp_path / "output"
    previous_layout_by_hand(output)
    done = subprocess.run(
        [sys.executable, "-m", "cakupan.private"],
        cwd=ROOT,
        env=environment(CAKUPAN_OUTPUT_DIR=str(output)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    settings = Settings(landing_dir="", output_dir=str(output))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{settings.dagster_home}\n"
    assert f"cakupan: moved warehouse.duckdb, logs/ from {output}" in done.stderr
    assert mode(settings.private_dir) == 0o700 and private_modes(settings) == {}
