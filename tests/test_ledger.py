"""The ingest ledger (``ops.ingest_ledger``) and incremental ingest: a file loaded with the
same hash is not read again, a changed one replaces its rows, a removed one's rows leave,
a new key or new ingest code reloads; an unchanged rejected file is reported again without
being read; a run with nothing to do says so in one line and rewrites nothing."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

import cakupan.ingest
import cakupan.ledger
from assets import raw
from cakupan.config import Settings
from pipelines import cli
from pipelines.definitions import resources
from tests.conftest import Landing, both_segments, nik, settings_for
from tests.test_run_lock import environment

LOG = logging.getLogger("test_ledger")
STATUS = "SELECT file, status FROM ops.ingest_ledger WHERE run_id = ? ORDER BY file"


@pytest.fixture
def settings(tmp_path, reference_warehouse) -> Settings:
    settings = settings_for(tmp_path)
    settings.ensure_private()
    shutil.copy(reference_warehouse, settings.warehouse_path)
    return settings


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the files ingest reads: the real reader, watched."""
    seen: list[str] = []
    real = cakupan.ingest._Loader.load

    def watched(loader, seq, file):
        seen.append(file.name)
        return real(loader, seq, file)

    monkeypatch.setattr(cakupan.ingest._Loader, "load", watched)
    return seen


def ingest(settings: Settings, *assets, tags=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        list(assets or [raw.targets]),
        resources=resources(settings),
        raise_on_error=False,
        tags=tags,
    )


def query(settings: Settings, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_loaded_unchanged_replaced_removed(settings, reads):
    landing = Landing(settings.landing)
    b = landing.targets([["2025", "61.72", "40"], ["2025", "31.71", "50"]], name="b.csv")
    a = landing.targets([["2025", "61.72", "30"]], name="a.csv")

    first = ingest(settings)
    assert first.success
    assert reads == ["targets/a.csv", "targets/b.csv"]
    rows = query(
        settings,
        """SELECT file, size, sha256, epoch_us(mtime), rows_read, rows_loaded, rows_rejected,
                  status, loaded_by FROM ops.ingest_ledger WHERE run_id = ? ORDER BY file""",
        [first.run_id],
    )
    assert rows == [
        (
            f"targets/{p.name}",
            p.stat().st_size,
            sha256(p),
            p.stat().st_mtime_ns // 1000,
            n,
            n,
            0,
            "loaded",
            first.run_id,
        )
        for p, n in ((a, 1), (b, 2))
    ]

    reads.clear()
    second = ingest(settings)
    assert second.success
    assert reads == []  # neither file read again
    assert query(
        settings,
        "SELECT file, status, rows_read, rows_loaded, loaded_by FROM ops.ingest_ledger "
        "WHERE run_id = ? ORDER BY file",
        [second.run_id],
    ) == [
        ("targets/a.csv", "unchanged", 0, 1, first.run_id),
        ("targets/b.csv", "unchanged", 0, 2, first.run_id),
    ]
    assert query(settings, "SELECT count(*) FROM raw.targets") == [(3,)]

    # b changed, a removed, c new; then a0 sorts before b: b unchanged but now 2nd
    landing.targets([["2025", "61.72", "41"]], name="b.csv")
    a.unlink()
    landing.targets([["2026", "61.72", "45"]], name="c.csv")
    reads.clear()
    third = ingest(settings)
    assert third.success
    assert reads == ["targets/b.csv", "targets/c.csv"]
    assert query(settings, STATUS, [third.run_id]) == [
        ("targets/a.csv", "removed"),
        ("targets/b.csv", "replaced"),
        ("targets/c.csv", "loaded"),
    ]
    targets = "SELECT source_file, file_seq, year, region_code, target_pct FROM raw.targets "
    assert query(settings, targets + "ORDER BY ALL") == [
        ("targets/b.csv", 0, 2025, "61.72", 41),
        ("targets/c.csv", 1, 2026, "61.72", 45),
    ]

    landing.targets([["2025", "61.72", "30"]], name="a0.csv")
    reads.clear()
    fourth = ingest(settings)
    assert fourth.success and reads == ["targets/a0.csv"]
    # file_seq is the position in name order, as a full load gives it (a later file wins)
    assert query(settings, targets + "ORDER BY ALL") == [
        ("targets/a0.csv", 0, 2025, "61.72", 30),
        ("targets/b.csv", 1, 2025, "61.72", 41),
        ("targets/c.csv", 2, 2026, "61.72", 45),
    ]
    reasons = dict(
        query(
            settings,
            "SELECT file, reason FROM ops.ingest_ledger WHERE run_id = ?",
            [third.run_id],
        )
    )
    assert reasons["targets/a.csv"] == "no longer in the landing folder: its 1 row(s) removed"
    assert reasons["targets/b.csv"].startswith("file changed (sha256 was ")
    forced = ingest(settings, tags={cakupan.ledger.FORCE_TAG: "true"})
    assert forced.success
    assert query(settings, STATUS, [forced.run_id]) == [
        ("targets/a0.csv", "replaced"),
        ("targets/b.csv", "replaced"),
        ("targets/c.csv", "replaced"),
    ]
    assert query(settings, targets + "ORDER BY ALL") == [
        ("targets/a0.csv", 0, 2025, "61.72", 30),
        ("targets/b.csv", 1, 2025, "61.72", 41),
        ("targets/c.csv", 2, 2026, "61.72", 45),
    ]


def test_an_unchanged_file_keeps_its_skipped_rows(settings, reads):
    """A file carried over unread is reported with the rows it had skipped (a province
    total), and the ledger's state keeps the rows it read when it was loaded."""
    landing = Landing(settings.landing)
    landing.workforce(both_segments("2024-08", "61.72", 100, 50) + [["2024-08", "61", "", "PU", 9]])
    state = "SELECT file, rows_read, rows_loaded FROM ops.ingest_files"
    reports = []
    with duckdb.connect(str(settings.warehouse_path)) as con:
        for _ in range(2):
            reports.append(cakupan.ingest.ingest(con, settings, "workforce", LOG))
            assert con.execute(state).fetchall() == [("workforce/workforce.csv", 3, 2)]
    assert reads == ["workforce/workforce.csv"]  # the second ingest read nothing
    assert [(r.files[0].status, r.files[0].rows, r.files[0].skipped) for r in reports] == [
        ("loaded", 2, 1),
        ("unchanged", 2, 1),
    ]


def test_snapshot_dates_and_a_new_key_reloads_membership(settings, reads, monkeypatch):
    landing = Landing(settings.landing)
    landing.membership(
        [
            ["2025-01-31", nik(1), "PU", "61.72", "AKTIF", "JKK;JKM", ""],
            ["2025-02-28", nik(1), "PU", "61.72", "AKTIF", "JKK;JKM", ""],
        ],
        name="m.csv",
    )
    first = ingest(settings, raw.membership)
    assert first.success
    assert query(
        settings,
        "SELECT file, status, CAST(snapshot_dates AS VARCHAR[]) FROM ops.ingest_ledger "
        "WHERE run_id = ?",
        [first.run_id],
    ) == [("membership/m.csv", "loaded", ["2025-01-31", "2025-02-28"])]
    keys = query(settings, "SELECT DISTINCT person_key FROM raw.membership")

    reads.clear()
    assert ingest(settings, raw.membership).success and reads == []

    monkeypatch.setenv("CAKUPAN_PSEUDONYM_KEY", "another-key")
    second = ingest(settings, raw.membership)
    assert second.success and reads == ["membership/m.csv"]
    assert query(
        settings, "SELECT status, reason FROM ops.ingest_ledger WHERE run_id = ?", [second.run_id]
    ) == [("replaced", "the pseudonymization key changed: every file read again")]
    new_keys = query(settings, "SELECT DISTINCT person_key FROM raw.membership")
    assert len(new_keys) == 1 and set(new_keys).isdisjoint(keys)  # never two keys
    assert query(settings, "SELECT count(*) FROM raw.membership") == [(2,)]
    # the key itself is nowhere in the ledger
    text = str(query(settings, "SELECT * FROM ops.ingest_ledger"))
    assert "another-key" not in text and "test-key-not-secret" not in text


def test_a_file_rejected_by_a_whole_file_check_is_in_the_ledger_and_not_read_again(settings, reads):
    # 2 of 10 NIKs invalid: above the 1% a membership file may have (a whole-file check)
    rows = [["2025-06-30", nik(i), "PU", "61.72", "AKTIF", "JKK;JKM", ""] for i in range(8)]
    rows += [["2025-06-30", "12345", "PU", "61.72", "AKTIF", "JKK;JKM", ""]] * 2
    Landing(settings.landing).membership(rows, name="m.csv")
    first = ingest(settings, raw.membership)
    assert not first.success and reads == ["membership/m.csv"]
    ledger = "SELECT status, rows_rejected, len(rejections), reason FROM ops.ingest_ledger "
    ledger += "WHERE run_id = ?"
    ((status, rejected, count, reason),) = query(settings, ledger, [first.run_id])
    assert (status, rejected, count) == ("rejected", 0, 1)  # the file as a whole, no line
    assert reason.startswith("column nik") and "2 of 10 rows (20.00%)" in reason

    reads.clear()
    second = ingest(settings, raw.membership)
    assert not second.success and reads == []  # unchanged: reported again, not read
    ((status, _, count, reason),) = query(settings, ledger, [second.run_id])
    assert (status, count) == ("rejected", 1)
    assert reason.startswith(f"unchanged since run {first.run_id} rejected it")


def test_other_ingest_code_reloads_the_kind(settings, reads):
    """As when a parser fix ships: the ledger's rows were made by another version."""
    Landing(settings.landing).targets([["2025", "61.72", "40"]], name="t.csv")
    assert ingest(settings).success
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("UPDATE ops.ingest_files SET ingest_version = 'older'")
    reads.clear()
    again = ingest(settings)
    assert again.success and reads == ["targets/t.csv"]
    assert query(
        settings, "SELECT status, reason FROM ops.ingest_ledger WHERE run_id = ?", [again.run_id]
    ) == [("replaced", "the ingest code, reference data or an upstream kind changed: read again")]
    assert query(settings, "SELECT count(*) FROM raw.targets") == [(1,)]


def test_rejected_file_reported_again_unread_then_corrected_file_picked_up(settings, reads):
    landing = Landing(settings.landing)
    landing.targets([["2025", "31.71", "50"]], name="good.csv")
    assert ingest(settings).success
    landing.targets([["2025", "61.72", "abc"], ["2025", "61.72", "x"]], name="bad.csv")
    landing.targets([["2026", "31.71", "55"]], name="new.csv")

    reads.clear()
    first = ingest(settings)
    assert not first.success
    assert reads == ["targets/bad.csv", "targets/new.csv"]
    ledger = "SELECT file, status, rows_read, rows_loaded, rows_rejected, reason, len(rejections) "
    ledger += "FROM ops.ingest_ledger WHERE run_id = ? ORDER BY file"
    rows = query(settings, ledger, [first.run_id])
    assert [r[:5] for r in rows] == [
        ("targets/bad.csv", "rejected", None, 0, 2),
        ("targets/good.csv", "unchanged", 0, 1, 0),
        ("targets/new.csv", "rejected", 1, 0, 0),
    ]
    assert rows[0][5].startswith("line 2, column target_pct, value 'abc'")
    assert rows[0][6] == 2
    assert rows[2][5].startswith("accepted, but not loaded: 1 targets file(s) rejected")
    rejected = query(
        settings, 'SELECT file, line, "column", value FROM ops.rejected_files ORDER BY line'
    )
    assert rejected == [
        ("targets/bad.csv", 2, "target_pct", "abc"),
        ("targets/bad.csv", 3, "target_pct", "x"),
    ]
    assert query(settings, "SELECT source_file FROM raw.targets") == [("targets/good.csv",)]

    reads.clear()
    second = ingest(settings)
    assert not second.success
    assert reads == ["targets/new.csv"]  # bad.csv not read again
    rows = query(settings, ledger, [second.run_id])
    assert rows[0][:5] == ("targets/bad.csv", "rejected", 0, 0, 2)
    assert rows[0][5].startswith(f"unchanged since run {first.run_id} rejected it: line 2")
    assert query(
        settings,
        'SELECT file, line, "column", value, run_id FROM ops.rejected_files ORDER BY line',
    ) == [(*r, second.run_id) for r in rejected]

    landing.targets([["2025", "61.72", "45"]], name="bad.csv")  # corrected, nothing else
    reads.clear()
    fixed = ingest(settings)
    assert fixed.success
    assert reads == ["targets/bad.csv", "targets/new.csv"]
    assert query(settings, STATUS, [fixed.run_id]) == [
        ("targets/bad.csv", "loaded"),
        ("targets/good.csv", "unchanged"),
        ("targets/new.csv", "loaded"),
    ]
    assert query(settings, "SELECT count(*) FROM ops.rejected_files") == [(0,)]


# -- `cakupan run`: a run with nothing to do --------------------------------------------------

NOOP = """
import sys
from pipelines.cli import main
status = main(sys.argv[1:])
heavy = [m for m in ("dagster", "great_expectations") if m in sys.modules]
print("imported:", ",".join(heavy) or "neither")
sys.exit(status)
"""
CITY = "SELECT * FROM reporting.coverage_by_city ORDER BY snapshot_date, region_code"


def published(output: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(output / "coverage.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_run_with_nothing_changed_says_so_and_rewrites_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    landing = Landing(tmp_path / "landing")
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000))
    for name, snapshot, people in (("a.csv", "2025-01-31", 3), ("b.csv", "2025-06-30", 2)):
        rows = [[snapshot, nik(i), "PU", "61.72", "AKTIF", "JKK,JKM", ""] for i in range(people)]
        landing.membership(rows, name=name)
    landing.targets([[2025, "61.72", "35"]])
    output = tmp_path / "output"
    args = ["run", "--landing", str(landing.root), "--output", str(output)]
    assert cli.main(args) == cli.EXIT_OK
    database = output / "coverage.duckdb"
    before = sha256(database), sha256(Settings(str(landing.root), str(output)).warehouse_path)
    results = query(
        Settings(str(landing.root), str(output)), "SELECT count(*) FROM quality.validation_results"
    )
    capsys.readouterr()

    noop = subprocess.run(
        [sys.executable, "-c", NOOP, *args],
        capture_output=True,
        text=True,
        env=environment(CAKUPAN_PSEUDONYM_KEY=os.environ["CAKUPAN_PSEUDONYM_KEY"]),
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    assert noop.returncode == 0, noop.stderr
    line, imported = noop.stdout.splitlines()
    run_id = query(
        Settings(str(landing.root), str(output)), "SELECT max(run_id) FROM ops.ingest_ledger"
    )
    assert line.startswith(f"cakupan: Nothing changed since run {run_id[0][0]} at "), line
    assert line.endswith(": 4 files unchanged; published database left as it was.")
    assert imported == "imported: neither"  # decided before Dagster, GX, any step
    assert (
        sha256(database),
        sha256(Settings(str(landing.root), str(output)).warehouse_path),
    ) == before
    assert (
        query(
            Settings(str(landing.root), str(output)),
            "SELECT count(*) FROM quality.validation_results",
        )
        == results
    )

    # a removed file's rows leave the next publish
    assert (
        published(
            output, "SELECT DISTINCT snapshot_date FROM reporting.coverage_by_city ORDER BY 1"
        )[0][0].isoformat()
        == "2025-01-31"
    )
    landing.path("membership", "a.csv").unlink()
    assert cli.main(args) == cli.EXIT_OK
    assert "Nothing changed" not in capsys.readouterr().out
    snapshots = published(
        output, "SELECT DISTINCT CAST(snapshot_date AS VARCHAR) FROM reporting.coverage_by_city"
    )
    assert snapshots == [("2025-06-30",)]
    incremental = published(output, CITY)

    # --force reads every file again, and gives what the incremental run gave
    assert cli.main([*args, "--force"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "Nothing changed" not in out and "running job 'cakupan'" in out
    statuses = query(
        Settings(str(landing.root), str(output)),
        "SELECT DISTINCT status FROM ops.ingest_ledger WHERE run_id = "
        "(SELECT arg_max(run_id, recorded_at) FROM ops.ingest_ledger)",
    )
    assert statuses == [("replaced",)]
    assert published(output, CITY) == incremental
