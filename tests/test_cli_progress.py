"""``cakupan run`` tells what it does as it goes, keeps each run's full log under
``$CAKUPAN_OUTPUT_DIR/private/logs/`` and records the run in a persistent Dagster instance."""

from __future__ import annotations

import io
import logging
import re
import subprocess

import dagster as dg

from cakupan.config import Settings
from tests.conftest import Landing, both_segments, nik
from tests.test_private import private_modes, unreadable_shared
from tests.test_run_lock import BIN, ROOT, environment

BAD_NIK = "61720101019000X1"
CLOCK = r"  \[\d\d:\d\d:\d\d\] "
STEPS = [
    "reference/regencies",
    "reference/region_codes",
    "raw/workforce",
    "raw/membership",
    "raw/targets",
    "staging/membership",
    "coverage/coverage_by_city",
    "published_coverage",
]


def test_run_prints_steps_and_warnings_and_keeps_its_log(tmp_path):
    landing = Landing(tmp_path / "landing")
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000))
    members = [
        ["2025-06-30", nik(i), "PU", "61.72", "AKTIF", "JKK,JKM", "2020-01-01"]
        for i in range(1, 100)
    ]
    members.insert(40, ["2025-06-30", BAD_NIK, "PU", "61.72", "AKTIF", "JKK,JKM", "2020-01-01"])
    members[0][5] = "JKK,JKM,ASURANSI_X"  # an unknown program name
    landing.membership(members)  # 100 rows; the bad NIK on line 42 (header is line 1)
    landing.text("membership", "readme.txt", "not an extract")
    landing.targets([[2025, "61.72", "35,00"]])
    output, home = tmp_path / "output", tmp_path / "home"

    proc = subprocess.Popen(
        [str(BIN / "cakupan"), "run", "--landing", str(landing.root), "--output", str(output)],
        cwd=ROOT,
        env=environment(DAGSTER_HOME=str(home)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        umask=0o002,  # private/ still 0700 with files 0600 (tests/test_private.py)
    )
    lines, running_at_first_step = [], None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if running_at_first_step is None and re.fullmatch(CLOCK + "start .*", lines[-1]):
            running_at_first_step = proc.poll() is None  # told as it goes, not at the end
    err = proc.stderr.read()
    assert proc.wait(timeout=600) == 0, "\n".join(lines) + err
    out = "\n".join(lines)
    assert running_at_first_step, out

    for step in STEPS:
        started = [i for i, x in enumerate(lines) if re.fullmatch(f"{CLOCK}start {step}", x)]
        done = [
            i for i, x in enumerate(lines) if re.fullmatch(rf"{CLOCK}done  {step}  \d+\.\d s.*", x)
        ]
        assert len(started) == len(done) == 1 and started < done, (step, out)
    assert re.search(rf"{CLOCK}done  raw/membership  \d+\.\d s  100 rows\n", out), out
    assert re.search(rf"{CLOCK}done  raw/workforce  \d+\.\d s  2 rows\n", out), out
    assert re.search(rf"{CLOCK}done  raw/targets  \d+\.\d s  1 row\n", out), out
    assert re.search(
        rf"{CLOCK}done  published_coverage  \d+\.\d s  reporting/coverage_by_city 514 rows, "
        r"reporting/coverage_by_province 38 rows, reporting/coverage_national 1 row  "
        r"8 checks passed\n",
        out,
    ), out
    warnings = [x for x in lines if re.match(CLOCK + "WARN ", x)]
    for text in (
        "raw/membership: membership: skipped membership/readme.txt (not a ",
        "raw/membership: membership/members.csv: 1 row(s) with an invalid NIK not counted "
        "(lines 42)",
        "raw/membership: membership/members.csv: ignored 1 unknown program name(s)",
    ):
        assert any(text in x for x in warnings), (text, out)
    assert BAD_NIK not in out + err

    ran = r"cakupan: run (\S+) \(ingest\) and (\S+) \(snapshots\); full log: (\S+)"
    run_id, snapshots_run_id, _ = re.search(ran, out).groups()
    settings = Settings(landing_dir=str(landing.root), output_dir=str(output))
    (log,) = settings.logs_dir.iterdir()
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}_{run_id}\.log", log.name)
    assert out.count(str(log)) == 1
    text = log.read_text(encoding="utf-8")
    assert "DEBUG" in text and 'STEP_START - Started execution of step "raw__membership"' in text
    assert "WARNING" in text and "1 row(s) with an invalid NIK not counted (lines 42)" in text
    assert "Materialized value raw membership. (100 rows)" in text
    assert BAD_NIK not in text
    # the log and the warehouse are private whatever the umask; the rest may be shared
    assert private_modes(settings) == {} and settings.warehouse_path.is_file()
    assert unreadable_shared(settings, 0o002) == {}

    # The run is in the instance of $DAGSTER_HOME (created like `make dev` creates it), so
    # the UI's run history shows it.
    assert (home / "dagster.yaml").read_text() == (
        ROOT / "pipelines" / "dagster_home_template" / "dagster.yaml"
    ).read_text()
    assert not settings.dagster_home.exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert {(r.run_id, r.job_name, r.status) for r in instance.get_runs()} == {
            (run_id, "cakupan", dg.DagsterRunStatus.SUCCESS),
            (snapshots_run_id, "cakupan", dg.DagsterRunStatus.SUCCESS),
        }


def test_old_run_logs_are_pruned_to_the_newest(tmp_path):
    from pipelines.progress import prune_logs, run_loggers

    logs = tmp_path / "logs"
    logs.mkdir()
    names = [f"20260101T0000{i:02d}_run{i}.log" for i in range(5)]
    for name in names:
        (logs / name).write_text("x")
    (logs / "notes.txt").write_text("kept: not a run log")
    assert [p.name for p in prune_logs(logs, keep=3)] == names[:2]
    assert sorted(p.name for p in logs.iterdir()) == [*names[2:], "notes.txt"]
    # a new run keeps KEEP_LOGS logs in all, its own included
    with run_loggers(logs / "20260102T000000_new.log", stream=io.StringIO()):
        pass
    assert len(list(logs.glob("*.log"))) == 4  # fewer than KEEP_LOGS: none removed


def test_a_full_log_that_cannot_be_written_says_so_once(tmp_path, capsys):
    from pipelines.progress import FullLog

    handler = FullLog(tmp_path / "run.log", encoding="utf-8")
    handler.stream.close()  # every write now fails, as on a full disk
    log = logging.Logger("t")
    log.addHandler(handler)
    log.warning("one")
    log.warning("two")
    err = capsys.readouterr().err
    assert err.count("cakupan: cannot write the full log") == 1
    assert "Traceback" not in err and "Logging error" not in err
