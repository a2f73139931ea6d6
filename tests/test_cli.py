"""The ``cakupan`` command: what it checks before a run, what it says after one, its help,
exit statuses and the ``query`` command.

Most tests call ``cli.main`` in process on small hand-made landings; a few run the installed
console script in a real shell pipe. Expected figures are computed by hand in comments.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from cakupan import preflight
from pipelines import cli
from tests.conftest import Landing, both_segments, nik
from tests.test_run_lock import BIN, ROOT, environment, small_landing

SNAP = "2025-06-30"


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch):
    """Folders come from the options; the Dagster instance is the output folder's."""
    for name in ("CAKUPAN_LANDING_DIR", "CAKUPAN_OUTPUT_DIR", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)


class _Stream(io.StringIO):
    def __init__(self, both: list[str]):
        super().__init__()
        self.both = both

    def write(self, text: str) -> int:
        self.both.append(text)
        return super().write(text)


def cakupan(*args: str) -> tuple[int, str, str, str]:
    """``cli.main(args)``: status, standard output, standard error, both as interleaved."""
    both: list[str] = []
    out, err = _Stream(both), _Stream(both)
    with redirect_stdout(out), redirect_stderr(err):
        status = cli.main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue(), "".join(both)


def member(n: int, region: str, snapshot: str = SNAP) -> list:
    return [snapshot, nik(n), "PU", region, "AKTIF", "JKK,JKM", "2020-01-01"]


# -- before the run: the landing folder ------------------------------------------------------


def _landing_without(root: Path, *kinds: str) -> Landing:
    """A small landing whose ``kinds`` folders hold no extract (only a note, skipped)."""
    landing = Landing(root)
    if "workforce" not in kinds:
        landing.workforce(both_segments("2024-08", "61.72", 1000, 1000))
    if "membership" not in kinds:
        landing.membership([member(1, "61.72")])
    if "targets" not in kinds:
        landing.targets([[2025, "61.72", "35"]])
    for kind in kinds:
        landing.text(kind, "notes.txt", "not an extract")
    return landing


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(
    "missing",
    [("workforce",), ("membership",), ("workforce", "membership"), ("workforce", "targets")],
    ids="-".join,
)
def test_no_workforce_or_membership_file_fails_before_any_step(tmp_path, command, missing):
    landing = _landing_without(tmp_path / "landing", *missing)
    output = tmp_path / "output"
    status, out, err, _ = cakupan(command, "--landing", landing.root, "--output", output)
    assert status == cli.EXIT_FAILED
    assert err.startswith(f"cakupan: error: nothing to run on: the landing folder {landing.root}")
    assert "(set with --landing)" in err
    for kind in ("workforce", "membership"):
        looked = f"\n  {landing.root / kind}: no "
        assert (looked in err) == (kind in missing), err
    if "membership" in missing:
        assert f"{landing.root / 'membership'}: no .csv, .csv.gz or .parquet file\n" in err
    assert "running job" not in out  # nothing ran: no Dagster run, no validation
    assert not output.exists()


def test_empty_landing_folder_names_the_folders_it_looked_in(tmp_path, monkeypatch):
    root = tmp_path / "landing"
    root.mkdir()
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", str(root))
    status, out, err, _ = cakupan("run", "--output", tmp_path / "output")
    assert status == cli.EXIT_FAILED
    assert err == (
        f"cakupan: error: nothing to run on: the landing folder {root} (set with "
        "CAKUPAN_LANDING_DIR) has no workforce file (potential workers) and no membership "
        f"file (members); looked in:\n"
        f"  {root / 'workforce'}: no .csv, .parquet or .xlsx file (folder missing)\n"
        f"  {root / 'sakernas'}: no .csv or .xlsx file (folder missing)\n"
        f"  {root / 'membership'}: no .csv, .csv.gz or .parquet file (folder missing)\n"
        f"  {root / 'membership_counts'}: no .csv or .xlsx file (folder missing)\n"
    )
    assert out == "" and not (tmp_path / "output").exists()


def test_preflight_counts_the_files_a_run_reads(tmp_path):
    landing = Landing(tmp_path)
    landing.text("workforce", "ROUND.CSV", "x")  # extensions in any case, as landing reads
    (tmp_path / "membership" / "folder.csv").mkdir()  # a folder is not a file
    landing.text("membership", "members.csv.gz.part", "x")
    landing.text("targets", "targets.parquet", "x")  # targets are CSV or Excel only
    found = preflight.scan(tmp_path)
    assert found.files == {
        "workforce": ["workforce/ROUND.CSV"],
        "membership": [],
        "targets": [],
        "sakernas": [],
        "membership_counts": [],
    }
    with pytest.raises(preflight.NoExtractsError, match=r"has no membership file \(members\)"):
        preflight.check(tmp_path)
    landing.text("membership", "m.Parquet", "x")
    assert preflight.check(tmp_path) == [
        f"no targets file: {tmp_path / 'targets'}: no .csv or .xlsx file; coverage is computed "
        "without targets (target_pct and workers_to_target stay empty)"
    ]


def test_missing_landing_folder_names_the_option_used(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-landing"
    status, _, err, _ = cakupan("validate", "--landing", missing, "--output", tmp_path / "o")
    assert status == cli.EXIT_FAILED
    assert str(missing) in err and "--landing" in err and "CAKUPAN_LANDING_DIR" not in err
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", str(missing))
    status, _, err, _ = cakupan("run", "--output", tmp_path / "o")
    assert status == cli.EXIT_FAILED
    assert str(missing) in err and "CAKUPAN_LANDING_DIR" in err and "--landing" not in err


# -- rejections: run and validate ------------------------------------------------------------


def _bad_landing(root: Path) -> Landing:
    landing = Landing(root)
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000))
    landing.workforce([["2024-08", "61.72", "", "PU", "-7"]], name="zz_bad.csv")
    landing.membership([member(i, "61.72") for i in range(1, 4)])
    landing.targets([[2025, "61.72", "35"]])
    return landing


def test_run_leads_with_the_rejected_files(tmp_path):
    landing = _bad_landing(tmp_path / "landing")
    output = tmp_path / "output"
    status, out, err, both = cakupan("run", "--landing", landing.root, "--output", output)
    assert status == cli.EXIT_REJECTED
    report = both[both.index("; full log: ") :].splitlines()[1:]  # after the run's progress
    assert report[0] == (
        "cakupan: 1 landing file(s) rejected; nothing new was published (the previous "
        "coverage.duckdb stays):"
    ), both
    assert report[1].startswith("  workforce/zz_bad.csv line 2, column potential_workers, ")
    assert report[2] == f"cakupan: rejections written to {output / 'rejected_files.csv'}"
    assert report[3].startswith("Data quality (files read): ")
    assert (output / "rejected_files.csv").exists()
    assert not (output / "coverage.duckdb").exists()


def test_validate_keeps_its_rejections_beside_the_runs_and_says_so(tmp_path):
    landing = _bad_landing(tmp_path / "landing")
    output = tmp_path / "output"
    output.mkdir()
    runs_file = output / "rejected_files.csv"
    runs_file.write_text("the last run's rejections\n")
    args = ("validate", "--landing", landing.root, "--output", output)

    status, out, err, both = cakupan(*args)
    assert status == cli.EXIT_REJECTED
    kept = output / "validate" / "rejected_files.csv"
    report = both[both.index("; full log: ") :].splitlines()[1:]
    assert report[0] == (
        "cakupan: 1 landing file(s) rejected; a run on this landing folder would publish nothing:"
    ), both
    assert report[2] == f"cakupan: rejections written to {kept}"
    assert report[3].startswith("Data quality (files read): ")
    assert "nothing new was published" not in both and "stays" not in both
    with kept.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file"], r["line"], r["column"], r["value"]) for r in rows] == [
        ("workforce/zz_bad.csv", "2", "potential_workers", "-7")
    ]
    assert runs_file.read_text() == "the last run's rejections\n"  # a run's file is not touched
    assert not (output / "coverage.duckdb").exists()

    (landing.root / "workforce" / "zz_bad.csv").unlink()
    status, out, _, _ = cakupan(*args)
    assert status == cli.EXIT_OK
    assert "Validation passed" in out
    assert not kept.exists()  # describes the latest validation only
    assert runs_file.read_text() == "the last run's rejections\n"


def _run_ids(out: str) -> list[str]:
    """The ids of the runs a command says it made (ingest, snapshots)."""
    found = re.search(r"cakupan: run (\S+) \(ingest\)(?: and (\S+) \(snapshots\))?", out)
    assert found, out
    return [i for i in found.groups() if i]


def test_validate_leaves_the_run_history_alone(tmp_path, monkeypatch):
    """A validation is recorded in an instance of its own: the production instance (here
    $DAGSTER_HOME) keeps the run's materializations (and freshness), and no event of the
    validation links to its scratch folder, gone once it ends."""
    import dagster as dg

    from assets.partitions import SNAPSHOTS
    from cakupan.config import Settings

    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    landing = small_landing(tmp_path / "landing")
    settings = Settings.from_env(str(landing), str(tmp_path / "output"))
    args = ("--landing", landing, "--output", settings.output)
    status, out, err, _ = cakupan("run", *args)
    assert status == cli.EXIT_OK, out + err
    run_ids = _run_ids(out)
    assert len(run_ids) == 2

    status, out, err, _ = cakupan("validate", *args)
    assert status == cli.EXIT_OK, out + err
    validation = _run_ids(out)
    log = Path(out[out.index("; full log: ") :].split(": ", 1)[1].splitlines()[0])
    assert log.is_file() and log.is_relative_to(settings.output)
    for kept in (out, err, log.read_text()):  # nothing it leaves names its scratch folder
        assert "cakupan-validate-" not in kept

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert {r.run_id for r in instance.get_runs()} == set(run_ids)
        for run_id in validation:
            assert instance.get_run_by_id(run_id) is None
            assert not instance.all_logs(run_id)
        keys = instance.get_asset_keys()
        assert dg.AssetKey(["coverage", "coverage_by_city"]) in keys
        for key in keys:
            latest = instance.get_latest_materialization_event(key)
            metadata = latest.asset_materialization.metadata
            # a side table is reported by its writer's hook, outside the run, naming it
            assert (latest.run_id or metadata["run"].value) in run_ids, key
            for value in metadata.values():  # links: the landing folder's, or files kept
                if isinstance(value, dg.PathMetadataValue):
                    path = Path(value.path)
                elif isinstance(value, dg.UrlMetadataValue) and value.url.startswith("file:"):
                    path = Path(value.url.removeprefix("file://"))
                else:
                    continue
                assert path.is_relative_to(landing) or path.exists(), (key, value)
        assert instance.get_dynamic_partitions(SNAPSHOTS.name) == ["2025-06-30"]


# -- after the run: the summary --------------------------------------------------------------

# (region, PU potential, BPU potential, members 2025-06-30, members 2025-12-31)
REGIONS = [
    ("19.71", 100, 100, 80, 80),  # 40.00% -> 40.00%
    ("61.72", 100, 100, 50, 80),  # 25.00% -> 40.00% (+15.00)
    ("61.71", 1000, 1000, 200, 200),  # 10.00%
    ("32.73", 1000, 1000, 100, 100),  # 5.00%
    ("35.78", 1000, 1000, 40, 0),  # 2.00% -> 0.00% (-2.00)
    ("36.01", 1000, 1000, 20, 60),  # 1.00% -> 3.00% (+2.00)
    ("95.05", 500, 500, 5, 5),  # 0.50%
]
# national: 495 of 9,400 = 5.2659...% -> 5.27%; then 525 of 9,400 = 5.5851...% -> 5.59%


def _members(column: int, snapshot: str) -> list[list]:
    rows, n = [], 0
    for region, *counts in REGIONS:
        for _ in range(counts[column]):
            n += 1
            rows.append(member(n, region, snapshot))
    return rows


def test_summary_shows_top_and_bottom_regions_and_what_changed(tmp_path):
    landing = Landing(tmp_path / "landing")  # no targets file: a warning, the run goes on
    landing.workforce([row for r in REGIONS for row in both_segments("2024-08", *r[:3])])
    landing.membership(_members(2, SNAP), name="members_2025-06-30.csv")
    output = tmp_path / "output"

    status, out, err, _ = cakupan("run", "--landing", landing.root, "--output", output)
    assert status == cli.EXIT_OK, out + err
    assert out.startswith(
        f"cakupan: warning: no targets file: {landing.root / 'targets'}: no .csv or .xlsx file; "
        "coverage is computed without targets (target_pct and workers_to_target stay empty)\n"
    )
    summary = out[out.index("Published: ") :].splitlines()
    assert summary[: summary.index("Query it:")] == [
        f"Published: {output / 'coverage.duckdb'}",
        "  snapshots: 2025-06-30",
        "Latest snapshot 2025-06-30: national coverage 5.27% (495 of 9,400 workers; "
        "7 of 514 kab/kota with a potential)",
        "  highest 19.71 Kota Pangkal Pinang: 40.00% (80 of 200)",
        "  highest 61.72 Kota Singkawang: 25.00% (50 of 200)",
        "  highest 61.71 Kota Pontianak: 10.00% (200 of 2,000)",
        "  lowest  95.05 Kabupaten Mamberamo Tengah: 0.50% (5 of 1,000)",
        "  lowest  36.01 Kabupaten Pandeglang: 1.00% (20 of 2,000)",
        "  lowest  35.78 Kota Surabaya: 2.00% (40 of 2,000)",
        "Since the previous run: nothing to compare (no earlier coverage.duckdb)",
    ]

    landing.membership(_members(3, "2025-12-31"), name="members_2025-12-31.csv")
    status, out, err, _ = cakupan("run", "--landing", landing.root, "--output", output)
    assert status == cli.EXIT_OK, out + err
    summary = out[out.index("Published: ") :].splitlines()
    assert summary[: summary.index("Query it:")] == [
        f"Published: {output / 'coverage.duckdb'}",
        "  snapshots: 2025-06-30, 2025-12-31 (new)",
        "Latest snapshot 2025-12-31: national coverage 5.59% (525 of 9,400 workers; "
        "7 of 514 kab/kota with a potential)",
        "  highest 19.71 Kota Pangkal Pinang: 40.00% (80 of 200)",
        "  highest 61.72 Kota Singkawang: 40.00% (80 of 200)",
        "  highest 61.71 Kota Pontianak: 10.00% (200 of 2,000)",
        "  lowest  35.78 Kota Surabaya: 0.00% (0 of 2,000)",
        "  lowest  95.05 Kabupaten Mamberamo Tengah: 0.50% (5 of 1,000)",
        "  lowest  36.01 Kabupaten Pandeglang: 3.00% (60 of 2,000)",
        "Since the previous run (2025-06-30 -> 2025-12-31):",
        "  national coverage 5.27% -> 5.59% (+0.32 pt; covered 495 -> 525)",
        "  61.72 Kota Singkawang: 25.00% -> 40.00% (+15.00 pt)",
        "  35.78 Kota Surabaya: 2.00% -> 0.00% (-2.00 pt)",
        "  36.01 Kabupaten Pandeglang: 1.00% -> 3.00% (+2.00 pt)",
    ]


def _figures(national: tuple, cities: dict[str, float | None]) -> cli.Figures:
    snapshot = date(2025, 6, 30)
    return cli.Figures(
        national={snapshot: national},
        latest=snapshot,
        cities={code: (f"Kota {code}", pct, 0, 0) for code, pct in cities.items()},
    )


def test_changes_of_the_same_snapshot():
    before = _figures((514, 9, 10, 1000, 1.0), {f"00.{i:02}": float(i) for i in range(9)})
    assert cli._changes(before, before) == [
        "Since the previous run:",
        "  national coverage unchanged: 1.00%",
        "  no kab/kota's coverage changed",
    ]
    # 00.01..00.07 move by 0.01..0.07 points; 00.08 becomes NULL (no potential any more)
    moved = {f"00.{i:02}": i + i / 100 for i in range(8)} | {"00.08": None}
    after = _figures((514, 9, 12, 1000, 1.2), moved)
    assert cli._changes(before, after) == [
        "Since the previous run:",
        "  national coverage 1.00% -> 1.20% (+0.20 pt; covered 10 -> 12)",
        "  00.07 Kota 00.07: 7.00% -> 7.07% (+0.07 pt)",
        "  00.06 Kota 00.06: 6.00% -> 6.06% (+0.06 pt)",
        "  00.05 Kota 00.05: 5.00% -> 5.05% (+0.05 pt)",
        "  00.04 Kota 00.04: 4.00% -> 4.04% (+0.04 pt)",
        "  00.03 Kota 00.03: 3.00% -> 3.03% (+0.03 pt)",
        "  ... 2 more kab/kota changed",
    ]


# -- help, version, usage errors -------------------------------------------------------------


def test_help_shows_exit_statuses_and_defaults_without_markup():
    for args in ([], ["--help"], ["run", "--help"], ["validate", "-h"], ["query", "--help"]):
        status, out, err, _ = cakupan(*args)
        assert status == cli.EXIT_OK and err == "", args
        assert out.startswith("usage: cakupan"), args
        assert "``" not in out, args
    _, out, _, _ = cakupan()  # bare `cakupan`: the help, on stdout, status 0
    assert re.search(
        r"exit status:\n  0  .*\n  1  .*\n(.*\n)*  2  landing files were rejected", out
    )
    assert "usage error" in out
    assert out.count("materialize every asset once") == 1  # the commands are listed once
    for command in ("run", "validate", "query"):
        assert re.search(rf"\n    {command} +\S", out), command
    _, out, _, _ = cakupan("run", "--help")
    flat = " ".join(out.split())
    assert "--landing DIR landing folder (default: $CAKUPAN_LANDING_DIR, else " in flat
    assert "else data/sample/landing)" in flat and "else data/output)" in flat
    assert "exit status:" in out
    _, out, _, _ = cakupan("query", "--help")
    assert "--csv" in out and "--max-rows N" in out


def test_version():
    with (ROOT / "pyproject.toml").open("rb") as handle:
        version = tomllib.load(handle)["project"]["version"]
    status, out, _, _ = cakupan("--version")
    assert (status, out) == (cli.EXIT_OK, f"cakupan {version}\n")


@pytest.mark.parametrize(
    "args",
    [["bogus"], ["run", "--bogus"], ["query"], ["query", "x", "--max-rows", "0"], ["--x"]],
    ids=" ".join,
)
def test_usage_errors_exit_1_not_2(args):
    status, out, err, _ = cakupan(*args)
    assert status == cli.EXIT_FAILED
    assert out == "" and err.startswith("usage: cakupan") and "error: " in err


def test_console_script_statuses():
    env = environment()
    bare = subprocess.run([BIN / "cakupan"], capture_output=True, text=True, env=env, check=False)
    assert (bare.returncode, bare.stderr) == (0, "") and "exit status:" in bare.stdout
    wrong = subprocess.run(
        [BIN / "cakupan", "run", "--nope"], capture_output=True, text=True, env=env, check=False
    )
    assert wrong.returncode == 1 and "unrecognized arguments: --nope" in wrong.stderr


# -- query -----------------------------------------------------------------------------------

COLUMNS = 25  # wider than any terminal


@pytest.fixture
def published(tmp_path) -> Path:
    """An output folder whose coverage.duckdb holds ``wide``: 100 rows of 25 columns."""
    output = tmp_path / "output"
    output.mkdir()
    values = ", ".join(f"i * {j} AS column_number_{j:02}" for j in range(COLUMNS - 3))
    with duckdb.connect(str(output / "coverage.duckdb")) as con:
        con.execute(
            f"""CREATE TABLE wide AS SELECT i, {values},
                       DATE '2025-01-01' + i::INTEGER AS day,
                       CASE WHEN i % 10 = 0 THEN NULL ELSE 'name, "' || i || '"' END AS label
                FROM range(100) t(i)"""
        )
    return output


def test_query_shows_every_column_and_the_rows_asked_for(published):
    status, out, err, _ = cakupan("query", "FROM wide ORDER BY i", "--output", published)
    assert (status, err) == (cli.EXIT_OK, "")
    header = out.splitlines()[1]
    assert "column_number_21" in header and "label" in header  # the last columns too
    assert re.search(r"100 rows\s+\(40 shown\)", out)
    status, out, _, _ = cakupan("query", "FROM wide", "--max-rows", "7", "--output", published)
    assert re.search(r"100 rows\s+\(7 shown\)", out)
    status, out, _, _ = cakupan("query", "FROM wide", "--max-rows", "100", "--output", published)
    assert "shown" not in out and "│    99 │" in out


def test_query_csv_writes_every_row(published):
    status, out, err, _ = cakupan("query", "FROM wide ORDER BY i", "--csv", "--output", published)
    assert (status, err) == (cli.EXIT_OK, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["i", *(f"column_number_{j:02}" for j in range(COLUMNS - 3)), "day", "label"]
    assert len(rows) == 101
    for i, row in enumerate(rows[1:]):
        expected_label = "" if i % 10 == 0 else f'name, "{i}"'
        day = (date(2025, 1, 1) + timedelta(days=i)).isoformat()
        assert row == [str(i), *(str(i * j) for j in range(COLUMNS - 3)), day, expected_label]


def test_query_errors(published, tmp_path):
    status, out, err, _ = cakupan("query", "FROM no_such_table", "--output", published)
    assert status == cli.EXIT_FAILED and "no_such_table" in err
    status, out, err, _ = cakupan("query", "DELETE FROM wide", "--output", published)
    assert status == cli.EXIT_FAILED and "read-only" in err.lower()
    status, out, err, _ = cakupan("query", "FROM wide", "--output", tmp_path / "none")
    assert status == cli.EXIT_FAILED and "does not exist yet" in err


def _shell(command: str, tmp_path: Path) -> tuple[list[str], str, str]:
    """Run ``command`` (a pipe) in bash; the exit status of each command, stdout, stderr."""
    proc = subprocess.run(
        ["bash", "-c", f'{command}; echo "${{PIPESTATUS[*]}}" >&2'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=300,
        check=False,
    )
    *err, statuses = proc.stderr.splitlines()
    return statuses.split(), proc.stdout, "\n".join(err)


@pytest.mark.parametrize("shape", ["--csv", "--max-rows 200000"])
def test_query_into_a_closed_pipe_ends_quietly(published, tmp_path, shape):
    query = "SELECT range AS n, repeat('x', 50) AS filler FROM range(200000)"  # ~11 MB
    statuses, out, err = _shell(
        f'{BIN / "cakupan"} query "{query}" {shape} --output {published} | head -1', tmp_path
    )
    assert statuses == ["0", "0"], err
    assert err == ""  # no BrokenPipeError traceback, no "Exception ignored"
    assert out == "n,filler\n" if shape == "--csv" else out.startswith("┌") and out.count("\n") == 1


def test_run_into_a_closed_pipe_still_publishes(tmp_path):
    landing = small_landing(tmp_path / "landing")
    output = tmp_path / "output"
    statuses, out, err = _shell(
        f"{BIN / 'cakupan'} run --landing {landing} --output {output} | head -1", tmp_path
    )
    assert out == f"cakupan: running job 'cakupan' on {landing}\n"
    assert statuses == ["0", "0"], err
    assert "Traceback" not in err and "Error" not in err, err
    assert (output / "coverage.duckdb").exists()


def test_readme_shows_what_make_run_prints_on_the_sample(sample_run, capsys):
    """The README's `make run` output, from "Data quality" to "Query it", is what the
    command prints after a run on the embedded sample."""
    run, _ = sample_run
    cli._print_checks(run.settings.published_path, failures_only=True)
    cli._summary(run.settings, None)
    printed = capsys.readouterr().out.replace(str(run.settings.output), ".../data/output")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## What `make run` prints") :]
    shown = section[section.index("\nData quality: ") + 1 : section.index("\nQuery it:\n")]
    assert printed[: printed.index("Query it:\n")] == shown + "\n"


def test_summary_lists_follow_rank_national_with_ties_broken_by_the_exact_ratio(sample_run, capsys):
    """The highest and lowest kab/kota of the summary, and the coverage asset's previews in
    the UI, are in one order: rank_national, ties broken by the exact ratio (computed here
    with Python's fractions from the published counts, an independent oracle)."""
    from fractions import Fraction

    import dagster as dg

    run, instance = sample_run
    rows = run.published(
        "SELECT region_code, region_name, covered_total, potential_total, rank_national "
        "FROM reporting.coverage_by_city WHERE potential_total > 0 AND snapshot_date = "
        "(SELECT max(snapshot_date) FROM reporting.coverage_by_city)"
    )
    exact = sorted(
        rows, key=lambda r: (-Fraction(r["covered_total"], r["potential_total"]), r["region_code"])
    )
    ranks = [r["rank_national"] for r in exact]
    assert ranks == sorted(ranks)  # rank_national agrees with the exact order
    cli._summary(run.settings, None)
    printed = capsys.readouterr().out.splitlines()
    shown = [line.split()[1] for line in printed if line.startswith(("  highest", "  lowest"))]
    codes = [r["region_code"] for r in exact]
    assert shown == codes[:3] + codes[::-1][:3]  # the lowest first
    event = instance.get_latest_materialization_event(dg.AssetKey(["coverage", "coverage_by_city"]))
    metadata = event.asset_materialization.metadata
    for name, expected in (("highest", codes[:5]), ("lowest", codes[::-1][:5])):
        table = metadata[f"{name} coverage, latest snapshot"].value
        assert [line.split("|")[1].strip() for line in table.splitlines()[2:]] == expected


def test_brief_takes_every_code_form_the_landing_takes_and_a_province(sample_run, capsys):
    """`cakupan brief 6172` (BPS) writes Singkawang's page, BPS 3171 the page of today's
    Kemendagri 31.74 (Jakarta's kab/kota are numbered differently: never by adding a dot),
    and `cakupan brief 61` the province's page."""
    run, _ = sample_run
    output = str(run.settings.output)
    briefs = run.settings.output / "briefs"
    written = {}
    for code in ("61.72", "6172", "3171", "61", "6100"):
        assert cli.main(["brief", code, "--output", output]) == cli.EXIT_OK, capsys.readouterr()
        written[code] = Path(capsys.readouterr().out.strip())
    assert written["61.72"] == written["6172"] == (briefs / "61.72.html").resolve()
    assert written["3171"] == (briefs / "31.74.html").resolve()
    assert written["61"] == written["6100"] == (briefs / "61.html").resolve()
    singkawang = written["6172"].read_text(encoding="utf-8")
    assert "Kota Singkawang" in singkawang and "22,78%" in singkawang
    province = written["61"].read_text(encoding="utf-8")
    assert "Kalimantan Barat" in province and "Kota Singkawang" in province
    assert 'data-page="province"' in province or "provinsi" in province.lower()
    file = run.settings.output.parent / "elsewhere" / "b.html"
    assert cli.main(["brief", "6172", "--file", str(file), "--output", output]) == cli.EXIT_OK
    assert Path(capsys.readouterr().out.strip()) == file.resolve() and file.is_file()
    assert cli.main(["brief", "9999", "--output", output]) == cli.EXIT_FAILED
    assert "no kab/kota '9999'" in capsys.readouterr().err


def test_flags_mean_one_thing_across_commands(capsys):
    """--output is the output folder in every command (brief's file is --file, no -o), and
    the help of run and validate offers none of query's options."""
    helps = {}
    for command in ("run", "validate", "query", "brief"):
        assert cli.main([command, "--help"]) == cli.EXIT_OK
        helps[command] = capsys.readouterr().out
    for command, text in helps.items():
        assert "--output DIR" in text, command
        assert not re.search(r"(^|\s)-o[ ,]", text), command
    for command in ("run", "validate"):
        assert "--csv" not in helps[command] and "--max-rows" not in helps[command]
        assert "query" not in helps[command].lower(), command
    assert "--file FILE" in helps["brief"] and "6172" in helps["brief"]


def _readme_block(after: str) -> str:
    """The first fenced block of the README after the text ``after``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rest = readme[readme.index(after) :]
    start = rest.index("```\n") + 4
    return rest[start : rest.index("```", start)]


def test_readme_shows_what_a_second_run_prints(sample_run, capsys, monkeypatch):
    """The README's second `make run` (nothing changed: one line) and `--force` (the end of
    the summary) are what the command prints on the sample."""
    from cakupan import ledger

    run, _ = sample_run
    monkeypatch.setenv("CAKUPAN_PSEUDONYM_KEY", "sample-test-key")  # the sample run's key
    line = ledger.nothing_changed(run.settings)
    shown = _readme_block("Run `make run` again").strip()
    pattern = re.escape(shown.removeprefix("cakupan: "))
    pattern = pattern.replace(re.escape("4dceb358-…"), "[0-9a-f-]{36}")
    pattern = pattern.replace(re.escape("2026-12-07 21:39:00"), r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    assert line is not None and re.fullmatch(pattern, line), line
    figures = cli.Figures.read(run.settings.published_path)
    assert cli._changes(figures, figures) == _readme_block("reads every file again").splitlines()


def test_readme_command_table_lists_every_command_with_its_options(capsys):
    """The README's table of commands names each command of the CLI with all its options."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `cakupan (\w+) ([^`]*)` \|", readme, flags=re.MULTILINE)
    documented = {name: set(re.findall(r"--[a-z-]+|-v\b", usage)) for name, usage in rows}
    parser = cli._parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    actual = {
        name: {o for a in sub._actions for o in a.option_strings if o not in ("-h", "--help")}
        for name, sub in commands.items()
    }
    assert set(documented) == set(actual)
    for name, options in actual.items():  # a flag and its long form: one is enough
        long = {o for o in options if o.startswith("--")} - {"--verbose"}
        assert long <= documented[name], name
        assert documented[name] <= options, name


def test_readme_names_the_reports_assets_group():
    from assets import reports

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`reports/briefs` and `reports/exports` (group `{reports.GROUP}`)" in readme
