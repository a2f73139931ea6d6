"""Bad landing files: rejected whole, every file checked, nothing new published.

Each case writes one bad file (and one bad file of another kind beside it) into a landing
folder that is otherwise good, runs the real Dagster job and checks ``rejected_files.csv``
(``file, line, column, value, reason``), the run's errors and log, and the output folder.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from cakupan.config import Settings
from pipelines import cli
from pipelines.definitions import build_definitions
from tests.conftest import MEMBERSHIP_HEADER, Landing, Run, both_segments, execute_job, nik

SNAP = "2025-06-30"
COVERED = "JKK,JKM"
PROJECT = Path(__file__).resolve().parent.parent

# Every NIK-like value any test writes (valid or not): none may reach an error or the CSV.
NIKS: set[str] = set()


def member(
    n: int,
    segment="PU",
    region="61.72",
    status="AKTIF",
    snapshot=SNAP,
    registered="2020-01-01",
    raw_nik: str | None = None,
) -> list:
    value = raw_nik if raw_nik is not None else nik(n)
    NIKS.add(value.strip())
    return [snapshot, value, segment, region, status, COVERED, registered]


def good_landing(landing: Landing) -> None:
    """One good file of each kind (ingested beside the bad ones)."""
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000), name="good.csv")
    landing.membership([member(i) for i in range(1, 4)], name="good.csv")
    landing.targets([[2025, "61.72", "35,00"]], name="good.csv")


@dataclass
class Logged:
    run: Run
    logs: list[str]

    @property
    def errors(self) -> str:
        """Every failure message of the run, with its cause chain."""
        texts = []
        for event in self.run.result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                while error is not None:
                    texts.append(error.to_string())
                    error = error.cause
        return "\n".join(texts)

    def everything(self) -> str:
        """All event records and log lines of the run, as text."""
        return "\n".join([*map(str, self.run.result.all_events), *self.logs, self.errors])


def run_logged(landing: Path, output: Path) -> Logged:
    """``conftest.run_job``, keeping the run's log lines (read before the instance closes)."""
    settings = Settings(landing_dir=str(landing), output_dir=str(output))
    with dg.DagsterInstance.ephemeral() as inst:  # in two phases, as conftest.run_job
        result = execute_job(build_definitions(settings), settings, inst)
        logs = [
            e.user_message
            for r in result.results
            for e in inst.all_logs(r.run_id)
            if e.user_message
        ]
    return Logged(Run(result, settings), logs)


def rejected_rows(output: Path) -> list[dict]:
    path = output / "rejected_files.csv"
    assert path.exists(), "rejected_files.csv was not written"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["file", "line", "column", "value", "reason"]
        return list(reader)


def assert_no_nik(*texts: str) -> None:
    for text in texts:
        leaked = sorted(n for n in NIKS if n and n in text)
        assert not leaked, f"{len(leaked)} NIK(s) leaked"


def assert_nothing_published(output: Path) -> None:
    assert not (output / "coverage.duckdb").exists()
    assert not [p.name for p in output.glob(".coverage.duckdb*")]  # no half-written file


# -- the bad files ---------------------------------------------------------------------


def gz(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=0)


def membership_csv(rows: list[list], header=MEMBERSHIP_HEADER) -> str:
    return "\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\n"


Expected = tuple[int | None, str, str, str | tuple[str, ...]]  # line, column, value, reason parts


@dataclass
class Case:
    id: str
    file: str  # relative to the landing folder
    write: Callable[[Landing], object]
    expected: list[Expected]


def _missing_columns(landing: Landing):
    header = [c for c in MEMBERSHIP_HEADER if c not in ("status", "programs")]
    rows = [[SNAP, nik(50), "PU", "61.72", "2020-01-01"]]
    NIKS.add(nik(50))
    return landing.csv("membership", "bad.csv", header, rows)


def _invalid_nik_share(landing: Landing):
    rows = [member(100 + i) for i in range(98)]
    rows.insert(40, member(0, raw_nik="61720101019000X1"))  # line 42
    rows.append(member(0, raw_nik=" 617201-010190-0001 "))  # line 101
    return landing.membership(rows, name="bad.csv")


def _truncated_gz(landing: Landing):
    data = gz(membership_csv([member(200 + i) for i in range(30)]))
    return landing.text("membership", "bad.csv.gz", data[: len(data) // 2])


def _float_nik(landing: Landing):
    NIKS.add(nik(300))
    frame = pl.DataFrame(
        {
            "snapshot_date": [SNAP],
            "nik": [float(nik(300))],
            "segment": ["PU"],
            "region_code": ["61.72"],
            "status": ["AKTIF"],
            "programs": [COVERED],
            "registered_on": ["2020-01-01"],
        }
    )
    return landing.parquet("membership", "bad.parquet", frame)


UNKNOWN_REGION = "unknown region code"

CASES = [
    Case(
        "unknown-region-workforce",
        "workforce/bad.csv",
        lambda ld: ld.workforce(
            both_segments("2024-08", "61.01", 10, 10) + [["2024-08", "99.99", "X", "PU", 5]],
            name="bad.csv",
        ),
        [(4, "region_code", "99.99", UNKNOWN_REGION)],
    ),
    Case(
        "unknown-region-membership",
        "membership/bad.csv",
        lambda ld: ld.membership([member(10), member(11, region="6199")], name="bad.csv"),
        [(3, "region_code", "6199", UNKNOWN_REGION)],
    ),
    Case(
        "unknown-region-targets",
        "targets/bad.csv",
        lambda ld: ld.targets([[2025, "61.72", "10"], [2025, "61.99", "10"]], name="bad.csv"),
        [(3, "region_code", "61.99", UNKNOWN_REGION)],
    ),
    Case(
        "negative-count",
        "workforce/bad.csv",
        lambda ld: ld.workforce(
            [["2024-08", "61.01", "", "PU", "-5"], ["2024-08", "61.01", "", "BPU", "-1.000"]],
            name="bad.csv",
        ),
        [
            (2, "potential_workers", "-5", "negative"),
            (3, "potential_workers", "-1.000", "negative"),
        ],
    ),
    Case(
        "non-numeric-count",
        "workforce/bad.csv",
        lambda ld: ld.workforce(
            [["2024-08", "61.01", "", "PU", "abc"], ["2024-08", "61.01", "", "BPU", "1.5"]],
            name="bad.csv",
        ),
        [
            (2, "potential_workers", "abc", "not a non-negative whole number"),
            (3, "potential_workers", "1.5", "not a non-negative whole number"),
        ],
    ),
    Case(
        "missing-columns",
        "membership/bad.csv",
        _missing_columns,
        [
            (1, "programs", "", "required column missing"),
            (1, "status", "", "required column missing"),
        ],
    ),
    Case(
        "empty-file",
        "workforce/bad.csv",
        lambda ld: ld.text("workforce", "bad.csv", b""),
        [(None, "", "", "empty")],
    ),
    Case(
        "empty-parquet",
        "membership/bad.parquet",
        lambda ld: ld.text("membership", "bad.parquet", b""),
        [(None, "", "", "cannot read file")],
    ),
    Case(
        "blanks-only",
        "targets/bad.csv",
        lambda ld: ld.text("targets", "bad.csv", " \r\n\n"),
        [(None, "", "", "file is empty")],
    ),
    Case("truncated-gz", "membership/bad.csv.gz", _truncated_gz, [(None, "", "", "gzip")]),
    Case(
        "invalid-nik-share",
        "membership/bad.csv",
        _invalid_nik_share,
        [(None, "nik", "", ("2 of 100 rows", "lines 42, 101"))],
    ),  # lines, never NIKs
    Case(
        "unknown-segment",
        "membership/bad.csv",
        lambda ld: ld.membership([member(20), member(21, segment="XYZ")], name="bad.csv"),
        [(3, "segment", "XYZ", "unknown segment")],
    ),
    Case(
        "unknown-workforce-segment",
        "workforce/bad.csv",
        lambda ld: ld.workforce([["2024-08", "61.01", "", "JAKON", 5]], name="bad.csv"),
        [(2, "segment", "JAKON", "unknown segment")],
    ),
    Case(
        "unknown-status",
        "membership/bad.csv",
        lambda ld: ld.membership([member(22, status="MAYBE")], name="bad.csv"),
        [(2, "status", "MAYBE", "unknown status")],
    ),
    Case(
        "bad-snapshot-date",
        "membership/bad.csv",
        lambda ld: ld.membership([member(23), member(24, snapshot="30/06/2025")], name="bad.csv"),
        [(3, "snapshot_date", "30/06/2025", "not a date")],
    ),
    Case(
        "bad-registered-on",
        "membership/bad.csv",
        lambda ld: ld.membership([member(25, registered="2025-02-30")], name="bad.csv"),
        [(2, "registered_on", "2025-02-30", "not a date")],
    ),
    Case(
        "target-above-100",
        "targets/bad.csv",
        lambda ld: ld.targets([[2025, "61.72", "100,01"]], name="bad.csv", sep=";"),
        [(2, "target_pct", "100,01", "outside 0-100")],
    ),
    Case(
        "negative-target",
        "targets/bad.csv",
        lambda ld: ld.targets([[2025, "61.72", "-1"]], name="bad.csv"),
        [(2, "target_pct", "-1", "outside 0-100")],
    ),
    Case(
        "float-nik-parquet",
        "membership/bad.parquet",
        _float_nik,
        [(None, "nik", "", "string or int64")],
    ),
    Case(
        "duplicate-key-two-codes",
        "workforce/bad.csv",
        lambda ld: ld.workforce(
            [
                ["2024-08", "61.72", "", "PU", 100],
                ["2024-08", "61.72", "", "BPU", 100],
                ["2024-08", "6172", "SINGKAWANG", "PU", 200],
                ["2024-08", "61.72", "", "BPU", 7],
            ],
            name="bad.csv",
        ),
        [
            (4, "region_code", "6172", "duplicate of line 2"),
            (5, "region_code", "61.72", "duplicate of line 3"),
        ],
    ),
    Case(
        "province-code-in-membership",
        "membership/bad.csv",
        lambda ld: ld.membership(
            [member(26, region="61"), member(27, region="6100")], name="bad.csv"
        ),
        [(2, "region_code", "61", "not a kab/kota"), (3, "region_code", "6100", "not a kab/kota")],
    ),
    Case(
        "nik-in-a-quoted-value",
        "membership/bad.csv",  # columns swapped: never quote a NIK
        lambda ld: ld.membership([member(28, region=nik(28))], name="bad.csv"),
        [(2, "region_code", "<16 digits>", UNKNOWN_REGION)],
    ),
]


def companion(landing: Landing, kind: str) -> tuple[str, Expected]:
    """A second bad file, of another kind than ``kind``: it must be reported too."""
    if kind == "membership":
        landing.workforce([["2024-08", "99.98", "", "PU", 1]], name="zz_other.csv")
        return "workforce/zz_other.csv", (2, "region_code", "99.98", UNKNOWN_REGION)
    landing.membership([member(90, status="PENDING")], name="zz_other.csv")
    return "membership/zz_other.csv", (2, "status", "PENDING", "unknown status")


def check_rows(rows: list[dict], file: str, expected: list[Expected]) -> None:
    got = [r for r in rows if r["file"] == file]
    assert [(r["line"], r["column"], r["value"]) for r in got] == [
        ("" if line is None else str(line), column, value) for line, column, value, _ in expected
    ], got
    for row, (_, _, _, reason) in zip(got, expected, strict=True):
        for part in (reason,) if isinstance(reason, str) else reason:
            assert part in row["reason"], row


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_file_is_rejected_with_every_other_file_checked(case: Case, landing, output):
    good_landing(landing)
    case.write(landing)
    other, other_expected = companion(landing, case.file.split("/")[0])

    logged = run_logged(landing.root, output)

    assert not logged.run.success
    rows = rejected_rows(output)
    assert {r["file"] for r in rows} == {case.file, other}
    check_rows(rows, case.file, case.expected)
    check_rows(rows, other, [other_expected])
    assert case.file in logged.errors and other in logged.errors
    assert_nothing_published(output)
    assert_no_nik((output / "rejected_files.csv").read_text(encoding="utf-8"), logged.everything())


def test_exactly_one_percent_invalid_niks_is_accepted(landing, output):
    good_landing(landing)
    rows = [member(400 + i, region="61.01") for i in range(99)]
    rows.append(member(0, region="61.01", raw_nik="NIK-TIDAK-ADA"))  # 1 of 100: exactly 1%
    landing.membership(rows, name="one_percent.csv")
    logged = run_logged(landing.root, output)
    assert logged.run.success, logged.errors
    assert logged.run.city("61.01", SNAP)["covered_pu"] == 99
    assert any("one_percent.csv" in m and "invalid NIK" in m for m in logged.logs)
    assert_no_nik(logged.everything())


def test_header_only_file_is_accepted_with_a_warning(landing, output):
    """An office with no members this period sends a header and no rows: it adds nothing
    and must not block the publish; a 0-byte file stays a rejection (``empty-file``)."""
    good_landing(landing)
    landing.text("membership", "no_members.csv", ",".join(MEMBERSHIP_HEADER) + "\n")
    logged = run_logged(landing.root, output)
    assert logged.run.success, logged.errors
    assert logged.run.city("61.72", SNAP)["covered_pu"] == 3
    warnings = [m for m in logged.logs if "membership/no_members.csv" in m]
    assert warnings and "no data rows" in warnings[0], logged.logs
    assert not (output / "rejected_files.csv").exists()


def test_two_bad_files_of_the_same_kind_are_both_reported(landing, output):
    good_landing(landing)
    landing.membership([member(30, segment="XYZ")], name="a_segment.csv")
    _truncated_gz(landing)  # membership/bad.csv.gz
    landing.workforce([["2024-08", "61.01", "", "PU", "-3"]], name="B.csv")
    landing.workforce([["2024-08", "1234", "", "PU", "3"]], name="a.csv")

    logged = run_logged(landing.root, output)

    assert not logged.run.success
    rows = rejected_rows(output)
    check_rows(rows, "membership/a_segment.csv", [(2, "segment", "XYZ", "unknown segment")])
    check_rows(rows, "membership/bad.csv.gz", [(None, "", "", "gzip")])
    check_rows(rows, "workforce/B.csv", [(2, "potential_workers", "-3", "negative")])
    check_rows(rows, "workforce/a.csv", [(2, "region_code", "1234", UNKNOWN_REGION)])
    assert len(rows) == 4
    assert_nothing_published(output)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_run_leaves_the_published_database_untouched(landing, output):
    good_landing(landing)
    first = run_logged(landing.root, output)
    assert first.run.success, first.errors
    published = output / "coverage.duckdb"
    before = sha256(published)
    covered = first.run.city("61.72", SNAP)["covered_pu"]
    assert covered == 3
    landing_bytes = {p: p.read_bytes() for p in landing.root.rglob("*") if p.is_file()}

    # more members (would change the result) and one bad file
    landing.membership([member(500 + i) for i in range(5)], name="more.csv")
    landing.targets([[2025, "61.72", "101"]], name="zz_bad.csv")
    second = run_logged(landing.root, output)

    assert not second.run.success
    assert sha256(published) == before
    assert not [p.name for p in output.glob(".coverage.duckdb*")]
    with duckdb.connect(str(published), read_only=True) as con:
        (count,) = con.execute(
            "SELECT covered_pu FROM reporting.coverage_by_city "
            "WHERE region_code = '61.72' AND snapshot_date = ?",
            [SNAP],
        ).fetchone()
        assert count == covered
    assert [r["file"] for r in rejected_rows(output)] == ["targets/zz_bad.csv"]
    for path, data in landing_bytes.items():  # landing files are never changed
        assert path.read_bytes() == data


# -- the entry point's exit status -------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch):
    """``cli.main`` sets CAKUPAN_LANDING_DIR/OUTPUT_DIR in os.environ: restore them after."""
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", "unset-by-test")
    monkeypatch.setenv("CAKUPAN_OUTPUT_DIR", "unset-by-test")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


def test_exit_status_published_then_rejected(cli_env, landing, output, capsys):
    good_landing(landing)
    args = ["run", "--landing", str(landing.root), "--output", str(output)]
    assert cli.main(args) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert str(output / "coverage.duckdb") in out
    before = sha256(output / "coverage.duckdb")

    landing.workforce([["2024-08", "61.72", "", "PU", "-7"]], name="zz_bad.csv")
    assert cli.main(args) == cli.EXIT_REJECTED
    err = capsys.readouterr().err
    assert "workforce/zz_bad.csv" in err and "'-7'" in err
    assert str(output / "rejected_files.csv") in err
    assert sha256(output / "coverage.duckdb") == before
    assert_no_nik(err)


def test_exit_status_missing_landing_folder(cli_env, tmp_path, output, capsys):
    missing = tmp_path / "no-such-landing"
    assert cli.main(["run", "--landing", str(missing), "--output", str(output)]) == (
        cli.EXIT_FAILED
    )
    assert str(missing) in capsys.readouterr().err
    assert not (output / "coverage.duckdb").exists()


def test_console_script_exits_2_on_rejection(landing, output):
    good_landing(landing)
    landing.membership([member(40, status="MAYBE")], name="zz_bad.csv")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CAKUPAN_LANDING_DIR", "CAKUPAN_OUTPUT_DIR", "DAGSTER_HOME")
    }
    env["CAKUPAN_PSEUDONYM_KEY"] = "test-key-not-secret"
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
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "membership/zz_bad.csv" in proc.stderr
    assert_nothing_published(output)
    assert_no_nik(proc.stdout, proc.stderr)
