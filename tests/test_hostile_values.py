"""Hostile cell values through ``cakupan run``: a rejection, never a crash (issue 7, point 2).

A target of 3500 or a count of 20 digits once stopped the ingest with a ConversionException:
the entry point exited 1, the other files went unchecked and ``rejected_files.csv`` kept the
previous run's rows. Now each gives a rejection naming file, line, column and value, exit
status 2, and ``rejected_files.csv`` always describes the latest run's landing: written
anew, or removed when nothing was rejected.
"""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from cakupan import rejections
from cakupan.config import Settings
from cakupan.rejections import Rejection
from pipelines import cli
from tests.conftest import Landing, both_segments, nik

PROJECT = Path(__file__).resolve().parent.parent
SNAP = "2025-06-30"


def member(n: int, region: str = "61.72", snapshot: str = SNAP) -> list:
    return [snapshot, nik(n), "PU", region, "AKTIF", "JKK,JKM", "2020-01-01"]


def good_landing(landing: Landing) -> None:
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000), name="good.csv")
    landing.membership([member(i) for i in range(1, 4)], name="good.csv")
    landing.targets([[2025, "61.72", "35,00"]], name="good.csv")


def rows(output: Path) -> list[tuple[str, str, str, str, str]]:
    """rejected_files.csv as (file, line, column, value, reason) tuples."""
    with (output / "rejected_files.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["file", "line", "column", "value", "reason"]
        return [tuple(row) for row in reader]


@pytest.fixture
def run(monkeypatch, landing, output, capsys):
    """``cakupan run`` in process on the test's landing and output folders: (status, stderr)."""
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", "unset-by-test")
    monkeypatch.setenv("CAKUPAN_OUTPUT_DIR", "unset-by-test")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)

    def _run() -> tuple[int, str]:
        status = cli.main(["run", "--landing", str(landing.root), "--output", str(output)])
        return status, capsys.readouterr().err

    return _run


HOSTILE = [  # file, kind, rows, the rejection (line, column, value, reason)
    (
        "targets/t_3500.csv",
        "targets",
        [[2025, "61.72", "3500"]],
        ("2", "target_pct", "3500", "target outside 0-100"),
    ),
    (
        "targets/t_wide.csv",
        "targets",
        [[2025, "61.72", "1" + "0" * 13 + ",5"], [2025, "61.72", "12"]],
        ("2", "target_pct", "1" + "0" * 13 + ",5", "target outside 0-100"),
    ),
    (
        "workforce/w_huge.csv",
        "workforce",
        [
            ["2024-08", "61.71", "", "PU", "99999999999999999999"],
            ["2024-08", "61.71", "", "BPU", 5],
        ],
        ("2", "potential_workers", "99999999999999999999", "count too large (more than 18 digits)"),
    ),
    (
        "workforce/w_grouped.csv",
        "workforce",
        [["2024-08", "61.01", "", "PU", "9.223.372.036.854.775.808"]],
        (
            "2",
            "potential_workers",
            "9.223.372.036.854.775.808",
            "count too large (more than 18 digits)",
        ),
    ),
    (
        "targets/t_year.csv",
        "targets",
        [["99999999999", "61.72", "10"]],
        ("2", "year", "99999999999", "year is not a 4-digit year"),
    ),
]


def write_hostile(landing: Landing) -> None:
    for file, kind, cells, _ in HOSTILE:
        getattr(landing, kind)(cells, name=file.split("/")[1])


def test_hostile_values_are_rejected_with_exit_2_and_every_file_checked(run, landing, output):
    good_landing(landing)
    write_hostile(landing)
    # a membership file with a backslash escape where a NIK goes, among good NIKs
    landing.membership([*(member(10 + i) for i in range(199)), member(0)], name="m_escape.csv")
    text = landing.path("membership", "m_escape.csv").read_text()
    landing.text("membership", "m_escape.csv", text.replace(nik(0), "\\xZZ\\x00"))

    status, err = run()

    assert status == cli.EXIT_REJECTED, err
    assert "ConversionException" not in err
    expected = sorted((file, *where) for file, _, _, where in HOSTILE)
    assert rows(output) == expected  # every bad file, of every kind; nothing else
    for file, *_ in expected:
        assert file in err
    assert "'3500'" in err and "'99999999999999999999'" in err
    assert not (output / "coverage.duckdb").exists()


def test_a_fixed_landing_removes_the_rejections_file(run, landing, output):
    good_landing(landing)
    write_hostile(landing)
    assert run()[0] == cli.EXIT_REJECTED
    assert len(rows(output)) == len(HOSTILE)

    for file, *_ in HOSTILE:
        (landing.root / file).unlink()
    status, err = run()

    assert status == cli.EXIT_OK, err
    assert not (output / "rejected_files.csv").exists()
    assert (output / "coverage.duckdb").exists()


def test_the_rejections_file_holds_only_this_runs_rejections(run, landing, output):
    """Run 1 rejects a targets file; run 2 has good targets and a bad membership file."""
    good_landing(landing)
    landing.targets([[2025, "61.72", "3500"]], name="t_bad.csv")
    assert run()[0] == cli.EXIT_REJECTED
    assert [r[0] for r in rows(output)] == ["targets/t_bad.csv"]

    landing.path("targets", "t_bad.csv").unlink()
    landing.membership([member(50, region="6199")], name="m_bad.csv")
    status, err = run()

    assert status == cli.EXIT_REJECTED, err
    assert rows(output) == [
        (
            "membership/m_bad.csv",
            "2",
            "region_code",
            "6199",
            "unknown region code (expected Kemendagri PP.KK or a 4-digit BPS code)",
        )
    ]
    assert "targets/t_bad.csv" not in err


def test_a_new_run_forgets_every_earlier_runs_rejections(tmp_path):
    """``rejections.start``: before anything is ingested, no earlier run's row is left."""
    settings = Settings(landing_dir=str(tmp_path), output_dir=str(tmp_path / "out"))
    bad = Rejection("targets/t.csv", 2, "target_pct", "3500", "target outside 0-100")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        rejections.record(con, settings, "run-1", "targets", [bad])
        rejections.record(con, settings, "run-1", "workforce", [])
        assert settings.rejected_files_path.exists()

        rejections.start(con, settings, "run-2")
        assert not settings.rejected_files_path.exists()
        assert con.execute("SELECT count(*) FROM ops.rejected_files").fetchone() == (0,)

        rejections.record(con, settings, "run-2", "membership", [bad])
        rejections.start(con, settings, "run-2")  # the run's next kind: keeps the run's rows
        assert rejections.for_run(con, "run-2") == [bad]
        assert rows(settings.output) == [("targets/t.csv", "2", "target_pct", "3500", bad.reason)]


def test_console_script_exits_2_on_hostile_values(landing, output):
    good_landing(landing)
    write_hostile(landing)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CAKUPAN_LANDING_DIR", "CAKUPAN_OUTPUT_DIR", "DAGSTER_HOME")
    }
    proc = subprocess.run(
        [
            str(PROJECT / ".venv" / "bin" / "cakupan"),
            "run",
            "--landing",
            str(landing.root),
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Conversion" not in proc.stdout + proc.stderr
    assert rows(output) == sorted((file, *where) for file, _, _, where in HOSTILE)
    assert "targets/t_3500.csv" in proc.stderr and "'3500'" in proc.stderr
