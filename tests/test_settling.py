"""A file still being written is never read in part (``cakupan.settling``).

The rule (modified less than ``CAKUPAN_SETTLE_SECONDS`` ago: still being written) and the
names a copy or an editor leaves behind, on real files; then real runs while a thread
appends membership rows to a landing file, slowly: ``cakupan run`` waits for it and reads
it whole, a Dagster run leaves it for later (its snapshot is absent, or the rows of the
version loaded before stay), and nothing is ever published from part of it.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets import raw
from assets.resources import CakupanSettings
from cakupan import preflight, settling
from cakupan.config import SETTLE_ALIAS, SETTLE_ENV, SettingError, Settings
from cakupan.extracts import MEMBERSHIP
from cakupan.landing import list_files
from cakupan.ledger import FILES, FORCE_TAG, LEDGER
from pipelines.definitions import resources
from tests.conftest import MEMBERSHIP_HEADER, Landing, both_segments, nik
from tests.helpers_cli import cakupan_in_process

OLD = time.time() - 3600  # an hour ago: long settled
NEW_SNAPSHOT = "2025-07-31"


def settled(*paths: Path) -> None:
    """Back-date ``paths`` as copies finished an hour ago would be."""
    for path in paths:
        os.utime(path, (OLD, OLD))


def member(i: int, snapshot: str = NEW_SNAPSHOT) -> list:
    return [snapshot, nik(i), "PU", "61.72", "AKTIF", "JKK,JKM", "2020-01-01"]


class Appender(threading.Thread):
    """Writes a membership CSV file as a slow copy would: the header, then one row every
    ``pause`` seconds, each line flushed at once, until ``rows`` are written or it is
    stopped. ``written``: the rows in the file when it stopped."""

    def __init__(self, path: Path, rows: int | None = None, pause: float = 0.05, first: int = 0):
        super().__init__(daemon=True)
        self.path, self.rows, self.pause, self.first = path, rows, pause, first
        self.stop, self.started_writing = threading.Event(), threading.Event()
        self.written = 0

    def run(self) -> None:
        with self.path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(MEMBERSHIP_HEADER)
            while not self.stop.is_set() and (self.rows is None or self.written < self.rows):
                writer.writerow(member(self.first + self.written))
                handle.flush()
                self.written += 1
                self.started_writing.set()
                time.sleep(self.pause)

    def __enter__(self) -> Appender:
        self.start()
        assert self.started_writing.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.join(10)


def small_landing(root: Path) -> Landing:
    """Workforce, targets and a membership file of 2025-06-30 (3 members), all settled."""
    landing = Landing(root)
    settled(
        landing.workforce(both_segments("2024-08", "61.72", 100_000, 100_000)),
        landing.membership([member(i, "2025-06-30") for i in range(3)], name="m_2025-06.csv"),
        landing.targets([[2025, "61.72", "35,00"]]),
    )
    return landing


def covered(output: Path) -> dict[str, int]:
    """snapshot -> members covered in 61.72, as published."""
    with duckdb.connect(str(Settings("", str(output)).published_path), read_only=True) as con:
        rows = con.execute(
            "SELECT CAST(snapshot_date AS VARCHAR), covered_total "
            "FROM reporting.coverage_by_city WHERE region_code = '61.72'"
        ).fetchall()
    return dict(rows)


def warehouse(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


# --- the rule -------------------------------------------------------------------------------


def test_an_old_file_is_settled_a_just_written_one_is_not(tmp_path):
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("a\n")
    settled(old)
    new.write_text("a\n")
    ahead = tmp_path / "ahead.csv"  # a clock ahead of ours: written until then + settle
    ahead.write_text("a\n")
    now = time.time()
    os.utime(ahead, (now + 30, now + 30))
    names = ["old.csv", "new.csv", "ahead.csv", "gone.csv"]
    late = settling.unsettled(tmp_path, names, 60)
    assert set(late) == {"new.csv", "ahead.csv"}
    assert 0 <= late["new.csv"] < 5 and late["ahead.csv"] < -25
    assert settling.unsettled(tmp_path, names, 0) == {}  # 0: every file as it is
    later = settling.unsettled(tmp_path, names, 60, now=now + 61)
    assert later.keys() == {"ahead.csv"} and later["ahead.csv"] == pytest.approx(31)


def test_names_a_copy_or_an_editor_leaves_behind_are_never_landing_files(tmp_path):
    landing = Landing(tmp_path)
    for kind, name in (
        ("membership", ".m.csv"),  # a copy's hidden file
        ("membership", ".m.csv.gz"),
        ("workforce", "~$workforce.xlsx"),  # Excel's owner file of an open workbook
        ("targets", ".~lock.targets.csv#"),
    ):
        landing.text(kind, name, "x\n")
    landing.text("membership", "m.csv", "x\n")
    landing.text("membership", "notes.txt", "x\n")
    found = preflight.scan(tmp_path)
    assert found.names == ["membership/m.csv"]
    files, skipped = list_files(tmp_path, MEMBERSHIP)
    assert [f.name for f in files] == ["membership/m.csv"]
    assert skipped == ["membership/notes.txt"]  # the others are not even entries


def test_the_setting_its_alias_its_default_and_a_value_that_is_no_number(monkeypatch):
    monkeypatch.delenv(SETTLE_ENV)
    monkeypatch.delenv(SETTLE_ALIAS, raising=False)
    assert Settings.from_env().settle_seconds == 60  # the documented default
    monkeypatch.setenv(SETTLE_ALIAS, "7.5")  # the sensor's older name still works
    assert Settings.from_env().settle_seconds == 7.5
    monkeypatch.setenv(SETTLE_ENV, "0")  # the new name wins
    assert Settings.from_env().settle_seconds == 0
    for name in (SETTLE_ENV, SETTLE_ALIAS):
        monkeypatch.delenv(SETTLE_ENV)
        for value in ("a minute", "-1", "nan", "inf"):
            monkeypatch.setenv(name, value)
            with pytest.raises(SettingError, match=f"^{name}='{value}' is not a number"):
                Settings.from_env()
    with pytest.raises(SettingError, match=f"^{SETTLE_ENV}='soon'"):  # runs from dg.EnvVar
        CakupanSettings(values={SETTLE_ENV: "soon"}).get()


def test_the_commands_name_a_value_that_is_no_number(tmp_path):
    status, out, err = cakupan_in_process(
        "run", "--landing", tmp_path, "--output", tmp_path / "out", CAKUPAN_SETTLE_SECONDS="1m"
    )
    assert status == 1 and not out
    assert err == "cakupan: error: CAKUPAN_SETTLE_SECONDS='1m' is not a number of seconds >= 0\n"


def test_runs_from_the_code_location_take_the_alias(monkeypatch):
    monkeypatch.delenv(SETTLE_ENV)
    monkeypatch.setenv(SETTLE_ALIAS, "42")
    seen = []

    @dg.asset
    def settle(settings: CakupanSettings) -> None:
        seen.append(settings.get().settle_seconds)

    assert dg.materialize([settle], resources=resources()).success
    assert seen == [42]


# --- runs while a file is being written ---------------------------------------------------


@pytest.fixture
def settings(tmp_path, reference_warehouse) -> Settings:
    """A landing folder of settled files and a warehouse holding the reference tables."""
    small_landing(tmp_path / "landing")
    settings = Settings(
        str(tmp_path / "landing"), str(tmp_path / "out"), data_docs=False, settle_seconds=1.5
    )
    settings.ensure_private()
    shutil.copy(reference_warehouse, settings.warehouse_path)
    return settings


def ingest(settings: Settings, force: bool = False) -> list[str]:
    """A Dagster run of ``raw/membership`` (as the schedule's or the UI's: it never waits);
    the log's warnings."""
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [raw.membership],
            resources=resources(settings),
            instance=instance,
            tags={FORCE_TAG: "true"} if force else None,
        )
        assert result.success
        return [
            e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING
        ]


def snapshots(settings: Settings) -> dict[str, int]:
    """snapshot -> rows of raw.membership."""
    return dict(
        warehouse(
            settings,
            "SELECT CAST(snapshot_date AS VARCHAR), count(*) FROM raw.membership GROUP BY ALL",
        )
    )


def test_a_dagster_run_leaves_a_file_being_written_then_reads_it_whole(settings):
    """The schedule's, the sensor's or the UI's run does not wait: the file being written
    is left out and its hash is not recorded; once it has settled, it is read whole."""
    name = f"membership/m_{NEW_SNAPSHOT}.csv"
    with Appender(settings.landing / name, pause=0.02) as appender:
        warnings = ingest(settings)
    assert snapshots(settings) == {"2025-06-30": 3}  # not a row of the file being written
    assert any(
        f"{name} is still being written" in w and w.endswith("left for the next run: not read")
        for w in warnings
    ), warnings
    assert (name,) not in warehouse(settings, "SELECT DISTINCT file FROM ops.ingest_ledger")

    time.sleep(settings.settle_seconds)  # settled now
    assert ingest(settings) == []
    assert appender.written > 10
    assert snapshots(settings) == {"2025-06-30": 3, NEW_SNAPSHOT: appender.written}


def test_a_file_replacing_one_loaded_is_carried_not_removed_even_when_all_are_read_again(
    settings,
):
    name = "membership/m_2025-06.csv"
    ingest(settings)
    loaded = warehouse(settings, f"SELECT size, sha256 FROM {FILES} WHERE file = '{name}'")
    with Appender(settings.landing / name, pause=0.02, first=100) as appender:
        warnings = ingest(settings)
        assert snapshots(settings) == {"2025-06-30": 3}  # the rows of the version loaded
        assert any(f"{name} is still being written" in w for w in warnings), warnings
        (status, reason), *_ = warehouse(
            settings,
            f"SELECT status, reason FROM {LEDGER} WHERE file = '{name}' ORDER BY recorded_at DESC",
        )
        assert status == "unchanged" and reason.startswith("still being written")
        # its size and hash stay those of the version loaded: the next run reads it
        assert warehouse(settings, f"SELECT size, sha256 FROM {FILES} WHERE file = '{name}'") == (
            loaded
        )

        warnings = ingest(settings, force=True)  # every file to be read again: not now
        assert any("raw.membership left as it was this run" in w for w in warnings), warnings
        assert snapshots(settings) == {"2025-06-30": 3}
    time.sleep(settings.settle_seconds)  # settled: the new version replaces the old
    assert ingest(settings, force=True) == []
    assert snapshots(settings) == {NEW_SNAPSHOT: appender.written}


def test_run_waits_for_a_file_being_written_and_reads_it_whole_or_leaves_it(tmp_path):
    landing = small_landing(tmp_path / "landing")
    output = tmp_path / "out"
    args = ("run", "--landing", landing.root, "--output", output)
    name = f"membership/m_{NEW_SNAPSHOT}.csv"
    with Appender(landing.root / name, rows=60, pause=0.025) as appender:  # 1.5 s of copying
        status, out, err = cakupan_in_process(*args, CAKUPAN_SETTLE_SECONDS="1")
        assert not appender.is_alive()  # the command waited until the copy ended
    assert status == 0, out + err
    assert f"cakupan: waiting for {name} to settle: modified 0 s ago" in err
    assert "waiting at most 5 s" in err and "still being written" not in err + out
    assert covered(output) == {"2025-06-30": 3, NEW_SNAPSHOT: 60}  # read whole

    # copied again, with other rows, for longer than the run waits (5 x 1 s): left
    with Appender(landing.root / name, pause=0.05, first=100):
        status, out, err = cakupan_in_process(*args, CAKUPAN_SETTLE_SECONDS="1")
    assert status == 0, out + err
    assert f"cakupan: waiting for {name} to settle" in err
    assert f"cakupan: warning: {name} is still being written after 5 s" in err
    assert covered(output) == {"2025-06-30": 3, NEW_SNAPSHOT: 60}  # its old rows, kept


def test_validate_waits_for_a_file_being_written_and_says_so(tmp_path):
    landing = small_landing(tmp_path / "landing")
    # a workforce file without its columns: validation stops at the raw stage (quicker)
    settled(landing.text("workforce", "workforce.csv", "no,columns\n1,2\n"))
    name = f"membership/m_{NEW_SNAPSHOT}.csv"
    with Appender(landing.root / name, rows=40, pause=0.025) as appender:
        status, out, err = cakupan_in_process(
            "validate",
            "--landing",
            landing.root,
            "--output",
            tmp_path / "o",
            CAKUPAN_SETTLE_SECONDS="1",
        )
        assert not appender.is_alive()  # it waited for the copy to end
    assert status == 2, out + err  # the workforce file rejected
    assert f"cakupan: waiting for {name} to settle: modified 0 s ago" in err
    assert "still being written" not in err + out


def test_a_file_being_written_whose_rows_are_gone_is_neither_carried_nor_removed(settings):
    """raw.membership dropped (a warehouse restored from elsewhere, say): nothing to carry;
    the file being written is left out and is not recorded as removed."""
    name = "membership/m_2025-06.csv"
    ingest(settings)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("DROP TABLE raw.membership")
    with Appender(settings.landing / name, pause=0.02):
        warnings = ingest(settings)
    assert snapshots(settings) == {}
    assert any(f"{name} is still being written" in w and w.endswith("not read") for w in warnings)
    assert warehouse(settings, f"SELECT file FROM {FILES}") == []
    statuses = warehouse(settings, f"SELECT DISTINCT status FROM {LEDGER} WHERE file = '{name}'")
    assert statuses == [("loaded",)]  # the first run's row only: never "removed"


def test_the_embedded_sample_is_read_as_it_is(tmp_path):
    """A fresh clone's sample files are seconds old and nothing copies them: `make run`
    reads them at once (settle 0), while any other landing keeps the setting."""
    from cakupan.config import SAMPLE_LANDING_DIR

    sample = Settings(str(SAMPLE_LANDING_DIR), str(tmp_path), settle_seconds=60)
    assert sample.settle == 0
    assert Settings(str(tmp_path / "landing"), str(tmp_path), settle_seconds=60).settle == 60
