"""Benchmark at national scale (issue #10): the floor, the cakupan pipeline and a pandas peer.

For each size of ``--rows`` (comma-separated; ``make bench`` passes ``$BENCH_ROWS``, default
5,000,000), on one generated landing folder (``make_extract.py``, cached in the work dir by
size, format and seed), in the same run and on the same file, each in its own subprocess:

1. **floor**: one DuckDB query reading the membership file directly, counting covered
   persons (valid NIK, AKTIF, JKK and JKM, distinct NIKs) per region and segment (a person
   covered in two regions of one segment counts in both: the region rule is approximated),
   nationally per segment and in total (exact);
2. **cakupan**: ``uv run --no-sync cakupan run --landing ... --output ...`` from an empty
   output folder, start-up included, with a persistent ``DAGSTER_HOME`` whose event log
   gives the time of each step, and ``CAKUPAN_SQL_LOG`` (DuckDB's statement log) the time
   of each SQL statement of the warehouse;
3. **pandas** (and, with ``--peer-gx``, **pandas+GX**): ``peer_pandas.py`` under
   ``prlimit --as=<--peer-memory>``, so that running out of memory is its result.

Each is timed on the wall clock; its peak RSS is the sum of the RSS of the process and all
its descendants, sampled every 50 ms from /proc; CPU time is user + system of the process
tree (``wait4``). Correctness: the pipeline's published national covered_pu, covered_bpu,
covered_jakon, covered_pmi and covered_total must equal the floor's, and (unless
``--no-region-check``) every kab/kota of ``reporting.coverage_by_city`` must equal an exact
reference query of counting rules 1-6 (untimed). Results go to ``--results`` (default
``benchmarks/results/``) as CSV, Markdown and JSON, with the machine's description.

With ``--incremental`` (issue #11), after the full run: ``cakupan run`` again on the unchanged
landing folder (the no-op), then again with a new snapshot of max(1, N/20) rows added beside
the first file; their wall time ÷ the full run's, against the targets < 0.25 and < 0.5.

Run: ``make bench`` or ``uv run --no-sync python benchmarks/bench_scale.py [--rows 1000000,5000000]
[--format parquet|csv.gz] [--workdir DIR] [--results DIR] [--peer-memory 12G] [--peer-gx]
[--incremental]``.
Nothing asserts on time: the exit status is 1 only when a run fails or a count disagrees.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import make_extract  # noqa: E402

DEFAULT_ROWS = "5000000"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "cakupan-bench"
DEFAULT_RESULTS = BENCH / "results"
PEER_SCRIPT = BENCH / "peer_pandas.py"
DAGSTER_YAML = ROOT / "pipelines" / "dagster_home_template" / "dagster.yaml"
PSEUDONYM_KEY = "cakupan-bench-key"  # a fixed key: the benchmark's data is fake
SAMPLE_S = 0.05
SEGMENTS = ("PU", "BPU", "JAKON", "PMI")
COUNTS = ("covered_pu", "covered_bpu", "covered_jakon", "covered_pmi", "covered_total")

# Targets of issue #10: cakupan <= 3x the floor at 50M rows, <= 4x at 20M; peak RSS of the
# process tree <= 6 GB; the peer at least 10x slower than cakupan (or out of memory).
RATIO_TARGETS = ((50_000_000, 3.0), (20_000_000, 4.0))
PEAK_TARGET_BYTES = 6 * 1024**3
PEER_TARGET = 10.0

# Issue #11: at 20M rows, a no-op run (nothing changed) < 1/4 of a full run, start-up
# included; adding a snapshot of N/20 rows beside the N-row one < 1/2 of a full run.
NOOP_TARGET = 0.25
ADD_TARGET = 0.5
INCREMENTAL_TARGET_ROWS = 20_000_000
ADDED_SHARE = 20
ADDED_SNAPSHOT = date(2025, 7, 31)
ADDED_SEED_OFFSET = 1
NOOP_MESSAGE = "Nothing changed since run"
INCREMENTAL_FIELDS = (
    "format",
    "rows",
    "run",
    "added_rows",
    "status",
    "wall_s",
    "cpu_s",
    "peak_rss_mb",
    "vs_full",
    "target",
    "met",
    "correct",
)

CSV_FIELDS = (
    "format",
    "rows",
    "system",
    "status",
    "wall_s",
    "cpu_s",
    "peak_rss_mb",
    "vs_floor",
    "peer_vs_cakupan",
    "s_per_million_rows",
    "correct",
)

# ------------------------------------------------------------------------------- queries


def _source(file: Path) -> str:
    path = make_extract.read_str(file)
    if file.name.endswith(".parquet"):
        return f"read_parquet('{path}')"
    return (
        f"read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"', "
        "escape = '\"')"
    )


# Rules 1 and 3: valid NIK (16 digits after trimming), AKTIF, programs with JKK and JKM.
COVERED_ROWS = """
SELECT trim(m.nik) AS nik, upper(trim(m.segment)) AS segment, c.region_code,
       trim(m.registered_on) AS registered_on
FROM {source} AS m
LEFT JOIN ({codes}) AS c ON c.code = trim(m.region_code)
WHERE regexp_full_match(trim(m.nik), '[0-9]{{16}}')
  AND upper(trim(m.status)) = 'AKTIF'
  AND list_has_all(list_transform(string_split(upper(m.programs), ','), lambda p: trim(p)),
                   ['JKK', 'JKM'])
"""

# The floor (timed), as issue #10 defines it: one query counting covered persons per region
# and segment (the region rule approximated), nothing more.
FLOOR_SQL = """
WITH covered AS ({covered})
SELECT region_code, segment, count(DISTINCT nik) AS covered
FROM covered
GROUP BY region_code, segment
"""

# The national figures the others are checked against (untimed, its own process): per
# segment and the total over PU, BPU and JAKON, both exact.
NATIONAL_SQL = """
WITH covered AS ({covered})
SELECT segment, count(DISTINCT nik) AS covered,
       count(DISTINCT nik) FILTER (WHERE segment <> 'PMI') AS covered_total,
       grouping(segment) AS level
FROM covered
GROUP BY GROUPING SETS ((segment), ())
"""

# The reference (untimed): counting rules 1-6 exactly, per kab/kota. Rule 4: per person and
# segment, the region of the covered row with the latest registered_on (blank oldest), ties
# to the smallest code; rule 5: home region PU, else BPU, else JAKON.
REFERENCE_SQL = """
WITH covered AS ({covered}),
person_segment AS (
    SELECT nik, segment,
           arg_min(region_code, {{'newest': -(coalesce(TRY_CAST(registered_on AS DATE),
                                                       DATE '0001-01-01') - DATE '0001-01-01'),
                                  'code': region_code}}) AS region_code
    FROM covered
    GROUP BY nik, segment
),
home AS (
    SELECT nik,
           coalesce(any_value(region_code) FILTER (WHERE segment = 'PU'),
                    any_value(region_code) FILTER (WHERE segment = 'BPU'),
                    any_value(region_code) FILTER (WHERE segment = 'JAKON')) AS region_code
    FROM person_segment
    GROUP BY nik
),
by_segment AS (
    SELECT region_code,
           count(*) FILTER (WHERE segment = 'PU') AS covered_pu,
           count(*) FILTER (WHERE segment = 'BPU') AS covered_bpu,
           count(*) FILTER (WHERE segment = 'JAKON') AS covered_jakon,
           count(*) FILTER (WHERE segment = 'PMI') AS covered_pmi
    FROM person_segment GROUP BY region_code
),
totals AS (
    SELECT region_code, count(*) AS covered_total FROM home
    WHERE region_code IS NOT NULL GROUP BY region_code
)
SELECT coalesce(s.region_code, t.region_code) AS region_code,
       coalesce(covered_pu, 0), coalesce(covered_bpu, 0), coalesce(covered_jakon, 0),
       coalesce(covered_pmi, 0), coalesce(covered_total, 0)
FROM by_segment AS s FULL JOIN totals AS t ON t.region_code = s.region_code
ORDER BY 1
"""


def floor_sql(file: Path, query: str = FLOOR_SQL) -> str:
    covered = COVERED_ROWS.format(source=_source(file), codes=make_extract.region_codes_sql())
    return query.format(covered=covered)


def reference_sql(file: Path) -> str:
    covered = COVERED_ROWS.format(source=_source(file), codes=make_extract.region_codes_sql())
    return REFERENCE_SQL.format(covered=covered)


# ------------------------------------------------------------------------------- workers


def worker_floor(file: Path) -> dict[str, Any]:
    import duckdb

    t0 = time.perf_counter()
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        rows = con.execute(floor_sql(file)).fetchall()
    query_s = time.perf_counter() - t0
    regions: dict[str, dict[str, int]] = {}
    for region, segment, covered in rows:
        regions.setdefault(region or "?", {})[segment] = covered
    return {
        "query_s": query_s,
        "regions": len(regions),
        "unmapped_region_rows": sum(regions.get("?", {}).values()),
    }


def worker_national(file: Path) -> dict[str, Any]:
    import duckdb

    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        rows = con.execute(floor_sql(file, NATIONAL_SQL)).fetchall()
    national = {seg: 0 for seg in SEGMENTS}
    covered_total = 0
    for segment, covered, total, level in rows:
        if level == 0:
            national[segment] = covered
        else:
            covered_total = total
    return {"national": national, "covered_total": covered_total}


def worker_reference(file: Path) -> dict[str, Any]:
    import duckdb

    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        rows = con.execute(reference_sql(file)).fetchall()
    return {"regions": {r[0]: list(r[1:]) for r in rows}}


def worker_steps(dagster_home: Path) -> dict[str, Any]:
    """Start and end of every step of the latest ``cakupan run`` recorded in
    ``dagster_home``: its ingest run and its run of the snapshots."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        latest = instance.get_runs(limit=1)
        # the latest command's runs: its ingest run and the run tagged with the ingest's id
        whole = latest[0].tags.get("cakupan/run", latest[0].run_id) if latest else None
        runs = [r for r in instance.get_runs() if whole in (r.run_id, r.tags.get("cakupan/run"))]
        stats = [s for run in runs for s in instance.get_run_step_stats(run.run_id)]
    steps = [
        {
            "step": s.step_key,
            "status": s.status.value if s.status else None,
            "start": s.start_time,
            "end": s.end_time,
        }
        for s in stats
    ]
    return {
        "run_ids": [run.run_id for run in runs],
        "steps": sorted(steps, key=lambda s: s["start"] or 0),
    }


WORKERS = {
    "floor": worker_floor,
    "national": worker_national,
    "reference": worker_reference,
    "steps": worker_steps,
}


def worker_main(kind: str, arg: str, out: Path) -> None:
    out.write_text(json.dumps(WORKERS[kind](Path(arg)), default=str), encoding="utf-8")


# ------------------------------------------------------------------ measuring subprocesses


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                kids.extend(int(k) for k in f.read().split())
        except OSError:
            pass
    return kids


def process_tree(root: int) -> list[int]:
    """The process and all its descendants (through /proc/<pid>/task/<tid>/children)."""
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(_children(pid))
    return tree


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree every ``interval`` seconds."""

    def __init__(self, root: int, interval: float = SAMPLE_S) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak = 0
        self.samples = 0
        self.pids: set[int] = set()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            pids = process_tree(self.root)
            self.pids.update(pids)
            self.peak = max(self.peak, sum(_rss_bytes(p) for p in pids))
            self.samples += 1
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def measure(
    cmd: list[str], log: Path, env: dict[str, str] | None = None, timeout: float | None = None
) -> dict[str, Any]:
    """Run ``cmd``; wall time, CPU time and peak RSS of its process tree, exit status."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timer = None
        timed_out = threading.Event()
        if timeout:

            def kill() -> None:
                timed_out.set()
                try:
                    os.killpg(proc.pid, 9)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(timeout, kill)
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if timer is not None:
            timer.cancel()
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "cmd": cmd,
        "returncode": proc.returncode,
        "timed_out": timed_out.is_set(),
        "started": started,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_bytes": sampler.peak,
        "processes": len(sampler.pids),
        "log": str(log),
    }


def _tail(path: str | Path, lines: int = 15) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])


def run_worker(
    kind: str, arg: Path, rundir: Path, name: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a worker of this script in a subprocess; (measurement, its JSON result). ``name``
    (default ``kind``) names its log and JSON in ``rundir``."""
    name = name or kind
    out = rundir / f"{name}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, str(arg), str(out)]
    m = measure(cmd, rundir / f"{name}.log")
    if m["returncode"] != 0 or not out.exists():
        raise RuntimeError(f"{kind} worker failed (exit {m['returncode']}):\n{_tail(m['log'])}")
    return m, json.loads(out.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------- systems


def ensure_extract(workdir: Path, rows: int, seed: int, fmt: str) -> dict[str, Any]:
    """The landing folder of this size, format and seed, generated unless already cached."""
    import duckdb

    fingerprint = hashlib.sha256(
        Path(make_extract.__file__).read_bytes() + duckdb.__version__.encode()
    ).hexdigest()[:12]
    dataset = workdir / "data" / f"{fmt}-{rows}-s{seed}"
    manifest = dataset / "generated.json"
    if manifest.exists():
        info = json.loads(manifest.read_text(encoding="utf-8"))
        if info.get("fingerprint") == fingerprint and Path(info["membership_file"]).exists():
            info["cached"] = True
            return info
    if dataset.exists():
        shutil.rmtree(dataset)
    dataset.mkdir(parents=True)
    print(f"  generating {rows:,} rows ({fmt}, seed {seed}) ...", flush=True)
    info = make_extract.generate(dataset / "landing", rows, seed, fmt)
    info["fingerprint"] = fingerprint
    manifest.write_text(json.dumps(info, indent=2), encoding="utf-8")
    info["cached"] = False
    return info


def run_floor(file: Path, rundir: Path) -> dict[str, Any]:
    """The floor, timed; then (untimed, in a process of its own) the national figures every
    system is checked against."""
    m, result = run_worker("floor", file, rundir)
    _, national = run_worker("national", file, rundir)
    return {**m, "result": {**result, **national}, "status": "ok"}


def invoke_cakupan(
    landing: Path, rundir: Path, uv: str | None, steps: bool, name: str = "cakupan"
) -> dict[str, Any]:
    """``cakupan run`` into ``rundir/output``, measured, its log ``rundir/<name>.log``. With
    ``steps``, ``DAGSTER_HOME`` is ``rundir/dagster_home`` (made on first use, then kept, as a
    user's is) and the steps of the latest run it recorded are profiled."""
    output = rundir / "output"
    # the generated extracts are whole when written: no wait for them to settle (timed)
    env = dict(os.environ, CAKUPAN_PSEUDONYM_KEY=PSEUDONYM_KEY, CAKUPAN_SETTLE_SECONDS="0")
    env.pop("CAKUPAN_LANDING_DIR", None)
    env.pop("CAKUPAN_OUTPUT_DIR", None)
    home = rundir / "dagster_home"
    env.pop("DAGSTER_HOME", None)
    sql_log = rundir / f"{name}-sql"
    shutil.rmtree(sql_log, ignore_errors=True)
    env.pop("CAKUPAN_SQL_LOG", None)
    if steps:
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists():
            shutil.copy(DAGSTER_YAML, home / "dagster.yaml")
        env["DAGSTER_HOME"] = str(home)
        env["CAKUPAN_SQL_LOG"] = str(sql_log)
    if uv:
        cmd = [uv, "run", "--no-sync", "cakupan"]
    else:  # no uv: the environment's own entry point
        cmd = [str(Path(sys.executable).with_name("cakupan"))]
    cmd += ["run", "--landing", str(landing), "--output", str(output)]
    m = measure(cmd, rundir / f"{name}.log", env=env)
    result: dict[str, Any] = {**m, "status": "ok" if m["returncode"] == 0 else "failed"}
    if m["returncode"] != 0:
        result["error"] = _tail(m["log"])
        return result
    if steps:
        _, stats = run_worker("steps", home, rundir, name=f"{name}-steps")
        result["steps"] = step_profile(stats["steps"], m["started"], m["wall_s"])
        result["statements"] = statement_profile(sql_log, stats["steps"], m["wall_s"])
    return result


def run_cakupan(landing: Path, rundir: Path, uv: str | None, steps: bool) -> dict[str, Any]:
    result = invoke_cakupan(landing, rundir, uv, steps)
    if result["status"] == "ok":
        result["published"] = read_published(rundir / "output" / "coverage.duckdb")
    return result


def read_published(path: Path) -> dict[str, Any]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        national = con.execute(
            f"SELECT {', '.join(COUNTS)} FROM reporting.coverage_national"
        ).fetchall()
        cities = con.execute(
            f"SELECT region_code, {', '.join(COUNTS)} FROM reporting.coverage_by_city"
        ).fetchall()
    if len(national) != 1:
        raise RuntimeError(f"expected one snapshot in {path}, found {len(national)}")
    return {
        "national": dict(zip(COUNTS, national[0], strict=True)),
        "regions": {r[0]: list(r[1:]) for r in cities},
    }


def step_profile(steps: list[dict], started: float, wall_s: float) -> list[dict[str, Any]]:
    """Seconds per step, plus the start-up before the first step and the time after the last."""
    timed = [s for s in steps if s["start"] and s["end"]]
    if not timed:
        return []
    first = min(s["start"] for s in timed)
    last = max(s["end"] for s in timed)
    profile = [{"step": "(start-up: imports, definitions)", "seconds": first - started}]
    profile += [
        {"step": s["step"], "seconds": s["end"] - s["start"], "status": s["status"]} for s in timed
    ]
    between = (
        wall_s
        - (first - started)
        - sum(p["seconds"] for p in profile[1:])
        - (started + wall_s - last)
    )
    profile.append({"step": "(Dagster between steps)", "seconds": between})
    profile.append(
        {"step": "(after the last step: summary, exit)", "seconds": started + wall_s - last}
    )
    for p in profile:
        p["share"] = p["seconds"] / wall_s if wall_s else None
    return profile


# Each statement of DuckDB's log (CAKUPAN_SQL_LOG, file storage: one CSV of entries in the
# order written), timed from its QueryLog entry to the warehouse's next entry: its commit, or
# the next statement of an explicit transaction. So a statement's time includes the Python
# between it and the next one, and the last statement of a connection may have no end.
STATEMENTS_SQL = """
WITH entries AS (
    SELECT row_number() OVER () AS n, "timestamp" AS ts, type, message
    FROM read_csv($path, header = true, columns = {
        'context_id': 'BIGINT', 'timestamp': 'TIMESTAMPTZ', 'type': 'VARCHAR',
        'log_level': 'VARCHAR', 'message': 'VARCHAR'})
    WHERE type IN ('QueryLog', 'Transaction')
),
timed AS (
    SELECT type, ts, lead(ts) OVER (ORDER BY n) AS next_ts, message FROM entries
)
SELECT epoch(ts) AS start, epoch(next_ts - ts) AS seconds,
       left(trim(regexp_replace(message, '\\s+', ' ', 'g')), $width) AS statement
FROM timed
WHERE type = 'QueryLog' AND next_ts IS NOT NULL
  AND message NOT LIKE 'SET disabled_log_types%'  -- the log's own set-up (no commit)
"""


def statement_profile(
    folder: Path, steps: list[dict], wall_s: float, top: int = 15, width: int = 110
) -> list[dict[str, Any]]:
    """The ``top`` statements by time (the same text counted together), with the step each
    ran in and their share of the run."""
    import duckdb

    entries = folder / "duckdb_log_entries.csv"
    if not entries.exists():
        return []
    with duckdb.connect() as con:
        rows = con.execute(STATEMENTS_SQL, {"path": str(entries), "width": width}).fetchall()
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for start, seconds, statement in rows:
        within = (s["step"] for s in steps if (s["start"] or 0) <= start <= (s["end"] or 0))
        step = next(within, "(outside a step)")
        g = grouped.setdefault((step, statement), {"step": step, "statement": statement})
        g["seconds"] = g.get("seconds", 0.0) + seconds
        g["count"] = g.get("count", 0) + 1
    ranked = sorted(grouped.values(), key=lambda g: -g["seconds"])[:top]
    for g in ranked:
        g["share"] = g["seconds"] / wall_s if wall_s else None
    return ranked


def run_peer(file: Path, rundir: Path, gx: bool, memory: int, timeout: float) -> dict[str, Any]:
    name = "pandas+gx" if gx else "pandas"
    out = rundir / f"{name}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(PEER_SCRIPT), str(file), "--out", str(out)]
    if gx:
        cmd.append("--gx")
    if shutil.which("prlimit"):
        cmd = ["prlimit", f"--as={memory}", "--"] + cmd
    env = dict(os.environ, GX_ANALYTICS_ENABLED="false")
    m = measure(cmd, rundir / f"{name}.log", env=env, timeout=timeout)
    result: dict[str, Any] = {**m, "memory_limit_bytes": memory}
    if m["returncode"] == 0 and out.exists():
        result["status"] = "ok"
        result["result"] = json.loads(out.read_text(encoding="utf-8"))
    elif m["timed_out"]:
        result["status"] = "timeout"
    elif _out_of_memory(m):
        result["status"] = "OOM"
    else:
        result["status"] = "failed"
        result["error"] = _tail(m["log"])
    return result


def _out_of_memory(m: dict[str, Any]) -> bool:
    if m["returncode"] in (-9, 137):  # killed: the kernel's OOM killer
        return True
    text = _tail(m["log"], 40).lower()
    return any(
        s in text
        for s in (
            "memoryerror",
            "bad_alloc",
            "cannot allocate memory",
            "out of memory",
            "outofmemory",
            "unable to allocate",
            "failed to allocate",
            "failed to map segment",  # a shared library that no longer fits
        )
    )


# ------------------------------------------------------------------------------ checking


def check(floor: dict, cakupan: dict, reference: dict | None, peers: list[dict]) -> dict:
    """Compare the pipeline's published counts with the floor's and the reference's."""
    checks: dict[str, Any] = {}
    expected = {f"covered_{s.lower()}": floor["result"]["national"][s] for s in SEGMENTS}
    expected["covered_total"] = floor["result"]["covered_total"]
    checks["expected_national"] = expected
    if cakupan.get("status") == "ok":
        got = cakupan["published"]["national"]
        checks["national_ok"] = all(got[k] == v for k, v in expected.items())
        checks["national_diff"] = {k: got[k] - v for k, v in expected.items() if got[k] != v}
        if reference is not None:
            published = cakupan["published"]["regions"]
            ref = reference["regions"]
            codes = set(published) | set(ref)
            zero = [0] * len(COUNTS)
            bad = sorted(c for c in codes if published.get(c, zero) != ref.get(c, zero))
            checks["regions_compared"] = len(codes)
            checks["regions_ok"] = not bad
            checks["regions_mismatched"] = bad[:20]
    for peer in peers:
        if peer.get("status") == "ok":
            r = peer["result"]
            got = {f"covered_{s.lower()}": r["national"][s] for s in SEGMENTS}
            got["covered_total"] = r["covered_total"]
            peer["correct"] = got == expected
    return checks


def cakupan_correct(checks: dict) -> bool | None:
    if "national_ok" not in checks:
        return None
    return bool(checks["national_ok"] and checks.get("regions_ok", True))


# ---------------------------------------------------------------------- incremental runs


def link_landing(source: Path, target: Path) -> Path:
    """A landing folder of symbolic links to the files of ``source`` (the cached extract), so
    that a file can be added beside them without touching the cache."""
    if target.exists():
        shutil.rmtree(target)
    for path in sorted(source.rglob("*")):
        if path.is_file():
            link = target / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.resolve())
    return target


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_national(path: Path) -> dict[str, dict[str, int]]:
    """Snapshot date (ISO) -> the published national counts, of every snapshot."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            f"SELECT CAST(snapshot_date AS VARCHAR), {', '.join(COUNTS)} "
            "FROM reporting.coverage_national ORDER BY snapshot_date"
        ).fetchall()
    return {r[0]: dict(zip(COUNTS, r[1:], strict=True)) for r in rows}


def warehouse_of(output: Path) -> Path:
    """The working warehouse of the output folder ``output`` (``Settings.warehouse_path``)."""
    from cakupan.config import Settings

    return Settings(landing_dir="", output_dir=str(output)).warehouse_path


def read_ledger(warehouse: Path) -> dict[str, str]:
    """File -> what the latest run did with it (``ops.ingest_ledger``: loaded, unchanged, ...)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT file, status FROM ops.ingest_ledger WHERE run_id = "
            "(SELECT arg_max(run_id, recorded_at) FROM ops.ingest_ledger) ORDER BY file"
        ).fetchall()
    return dict(rows)


def _national(floor_result: dict[str, Any]) -> dict[str, int]:
    got = {f"covered_{s.lower()}": floor_result["national"][s] for s in SEGMENTS}
    got["covered_total"] = floor_result["covered_total"]
    return got


def run_incremental(
    args: argparse.Namespace,
    rows: int,
    rundir: Path,
    landing: Path,
    uv: str | None,
    full_national: dict[str, int],
) -> dict[str, Any]:
    """After the full run over ``landing`` (into ``rundir/output``; ``full_national`` its
    published national counts): ``cakupan run`` again on the unchanged landing (the no-op),
    then again with a new snapshot of max(1, N/20) rows added beside the first file (issue
    #11). Both measured as the full run is; the checks are untimed."""
    published = rundir / "output" / "coverage.duckdb"
    steps = not args.no_steps
    before = file_sha256(published)
    noop = invoke_cakupan(landing, rundir, uv, steps=False, name="cakupan-noop")
    log = Path(noop["log"]).read_text(encoding="utf-8", errors="replace")
    noop["message"] = next((ln for ln in log.splitlines() if NOOP_MESSAGE in ln), None)
    noop["recognised"] = noop["status"] == "ok" and noop["message"] is not None
    noop["published_unchanged"] = file_sha256(published) == before
    noop["correct"] = noop["recognised"] and noop["published_unchanged"]
    _print_run("no-op", noop)

    added = max(1, rows // ADDED_SHARE)
    seed = args.seed + ADDED_SEED_OFFSET
    gen = make_extract.generate(
        rundir / "added", added, seed, args.format, targets=False, snapshot=ADDED_SNAPSHOT
    )
    new_file = landing / "membership" / Path(gen["membership_file"]).name
    shutil.move(gen["membership_file"], new_file)
    shutil.rmtree(rundir / "added")
    _, floor_new = run_worker("national", new_file, rundir, name="national-added")
    add = invoke_cakupan(landing, rundir, uv, steps=steps, name="cakupan-add-snapshot")
    add.update(added_rows=added, seed=seed, snapshot=ADDED_SNAPSHOT.isoformat())
    add["file"] = str(new_file)
    add["expected"] = _national(floor_new)
    if add["status"] == "ok":
        add["published"] = read_national(published)
        add["ledger"] = read_ledger(warehouse_of(rundir / "output"))
        old = add["published"].get(make_extract.SNAPSHOT.isoformat())
        add["snapshots_ok"] = sorted(add["published"]) == sorted(
            (make_extract.SNAPSHOT.isoformat(), ADDED_SNAPSHOT.isoformat())
        )
        add["new_ok"] = add["published"].get(ADDED_SNAPSHOT.isoformat()) == add["expected"]
        add["old_unchanged"] = old == full_national
    add["correct"] = bool(
        add["status"] == "ok" and add["snapshots_ok"] and add["new_ok"] and add["old_unchanged"]
    )
    _print_run(f"+{added:,} rows", add)
    return {"noop": noop, "add": add}


def _print_run(label: str, r: dict[str, Any]) -> None:
    if r["status"] == "ok":
        print(
            f"  {label:<14} {r['wall_s']:8.2f} s  {r['peak_rss_bytes'] / 1e6:8,.0f} MB"
            f"  correct: {r['correct']}",
            flush=True,
        )
    else:
        print(f"  {label:<14} FAILED (exit {r['returncode']}):\n{r.get('error')}", flush=True)


def incremental_rows(size: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per run of the incremental scenario (full, no-op, add-snapshot) of one size."""
    inc, full = size["incremental"], size["cakupan"]
    out = []
    for run, r, target in (
        ("full", full, None),
        ("no-op", inc.get("noop"), NOOP_TARGET),
        ("add-snapshot", inc.get("add"), ADD_TARGET),
    ):
        r = r or {"status": "skipped"}
        ok = r.get("status") == "ok"
        ratio = None
        if ok and full.get("status") == "ok":
            ratio = round(r["wall_s"] / full["wall_s"], 3)
        met = None
        if target is not None and ratio is not None and rows_have_targets(size["rows"]):
            met = "yes" if ratio < target else "NO"
        correct = cakupan_correct(size["checks"]) if run == "full" else r.get("correct")
        out.append(
            {
                "format": size["format"],
                "rows": size["rows"],
                "run": run,
                "added_rows": r.get("added_rows"),
                "status": r.get("status"),
                "wall_s": round(r["wall_s"], 2) if ok else None,
                "cpu_s": round(r["cpu_s"], 2) if ok else None,
                "peak_rss_mb": round(r["peak_rss_bytes"] / 1e6)
                if r.get("peak_rss_bytes")
                else None,
                "vs_full": ratio,
                "target": target,
                "met": met,
                "correct": None if correct is None else ("yes" if correct else "NO"),
            }
        )
    return out


def rows_have_targets(rows: int) -> bool:
    return rows >= INCREMENTAL_TARGET_ROWS


def incremental_ok(size: dict[str, Any]) -> bool:
    inc = size.get("incremental")
    if inc is None:
        return True
    return bool(inc.get("noop", {}).get("correct") and inc.get("add", {}).get("correct"))


def incremental_markdown(sizes: list[dict[str, Any]]) -> list[str]:
    sizes = [s for s in sizes if "incremental" in s]
    if not sizes:
        return []
    lines = [
        "## Incremental runs (issue #11)",
        "",
        f"After the full run, `cakupan run` again on the unchanged landing folder (**no-op**), "
        f"then again with a new snapshot ({ADDED_SNAPSHOT.isoformat()}, seed + "
        f"{ADDED_SEED_OFFSET}) of N/{ADDED_SHARE} rows added beside the first file "
        f"(**+ snapshot**). Start-up included. Targets (at {INCREMENTAL_TARGET_ROWS:,} rows "
        f"and above): no-op < {NOOP_TARGET:g} of the full run, + snapshot < {ADD_TARGET:g}.",
        "",
        "| rows | full | no-op | no-op ÷ full | target | no-op peak RSS | added rows | + snapshot "
        "| + snapshot ÷ full | target | + snapshot peak RSS | correct |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size in sizes:
        t = {r["run"]: r for r in size["incremental_table"]}
        f, n, a = t["full"], t["no-op"], t["add-snapshot"]

        def ratio(r: dict) -> str:
            if r["vs_full"] is None:
                return str(r["status"])
            verdict = {"yes": " (met)", "NO": " (NOT met)"}.get(r["met"], "")
            return f"{r['vs_full']:.3f}{verdict}"

        lines.append(
            f"| {size['rows']:,} | {_fmt(f['wall_s'], '.2f')} s | {_fmt(n['wall_s'], '.2f')} s "
            f"| {ratio(n)} | < {NOOP_TARGET:g} | {_fmt(n['peak_rss_mb'], ',')} MB "
            f"| {_fmt(a['added_rows'], ',')} | {_fmt(a['wall_s'], '.2f')} s | {ratio(a)} "
            f"| < {ADD_TARGET:g} | {_fmt(a['peak_rss_mb'], ',')} MB "
            f"| no-op {_fmt(n['correct'])}, + snapshot {_fmt(a['correct'])} |"
        )
    lines.append("")
    for size in sizes:
        noop, add = size["incremental"].get("noop"), size["incremental"].get("add")
        if noop is None:
            lines.append(f"- {size['rows']:,} rows: not run (the full run failed).")
            continue
        lines.append(
            f"- {size['rows']:,} rows, no-op: "
            + (f"said `{noop['message'].strip()}`" if noop["message"] else "did NOT say so")
            + "; coverage.duckdb "
            + ("unchanged (sha256)" if noop["published_unchanged"] else "CHANGED")
            + "."
        )
        if add.get("status") != "ok":
            lines.append(f"  + snapshot: {add.get('status')}.")
            continue
        exp, got = add["expected"], add["published"].get(add["snapshot"]) or {}
        lines.append(
            f"  + snapshot: published snapshots {', '.join(add['published'])}; "
            f"{add['snapshot']} covered_total {_fmt(got.get('covered_total'), ',')} vs the floor "
            f"over the new file {exp['covered_total']:,}: "
            + ("equal (every count)" if add["new_ok"] else f"DIFFERENT {got} vs {exp}")
            + "; the first snapshot "
            + ("unchanged." if add["old_unchanged"] else "CHANGED.")
        )
        membership = {f: st for f, st in add["ledger"].items() if f.startswith("membership/")}
        lines.append(
            "  Ingest ledger of that run: "
            + ", ".join(f"`{f}` {st}" for f, st in membership.items())
            + "."
        )
    return lines + [""]


# ------------------------------------------------------------------------------ reporting


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    os_name = platform.platform()
    try:
        pretty = platform.freedesktop_os_release().get("PRETTY_NAME")
        os_name = f"{pretty}, Linux {platform.release()}" if pretty else os_name
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for dist in ("duckdb", "dagster", "polars", "pandas", "pyarrow", "great-expectations"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "os": os_name,
        "versions": versions,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_at_start": list(os.getloadavg()),
    }


def _ratio_target(rows: int) -> float | None:
    return next((t for n, t in RATIO_TARGETS if rows >= n), None)


def table_rows(size: dict[str, Any]) -> list[dict[str, Any]]:
    """One CSV row per system of one size."""
    rows, fmt = size["rows"], size["format"]
    floor, cakupan = size["floor"], size["cakupan"]
    out = []
    for name, r in [("floor", floor), ("cakupan", cakupan)] + [
        (p["name"], p) for p in size["peers"]
    ]:
        ok = r.get("status") == "ok"
        wall = r.get("wall_s")
        correct = {"floor": None, "cakupan": cakupan_correct(size["checks"])}.get(
            name, r.get("correct")
        )
        out.append(
            {
                "format": fmt,
                "rows": rows,
                "system": name,
                "status": r.get("status"),
                "wall_s": round(wall, 2) if ok else None,
                "cpu_s": round(r["cpu_s"], 2) if ok else None,
                "peak_rss_mb": round(r["peak_rss_bytes"] / 1e6)
                if r.get("peak_rss_bytes")
                else None,
                "vs_floor": round(wall / floor["wall_s"], 2) if ok else None,
                "peer_vs_cakupan": (
                    round(wall / cakupan["wall_s"], 2)
                    if ok and name.startswith("pandas") and cakupan.get("status") == "ok"
                    else (r.get("status") if name.startswith("pandas") else None)
                ),
                "s_per_million_rows": round(wall / (rows / 1e6), 3) if ok else None,
                "correct": None if correct is None else ("yes" if correct else "NO"),
            }
        )
    return out


def _fmt(v: Any, spec: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float | int) and spec:
        return format(v, spec)
    return str(v)


def markdown(info: dict[str, Any], sizes: list[dict[str, Any]]) -> str:
    m = info["machine"]
    v = m["versions"]
    lines = [
        f"# bench_scale: {info['format']}, seed {info['seed']}",
        "",
        f"{m['date']}; {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM; {m['os']}; "
        f"Python {v['python']}, DuckDB {v['duckdb']}, Dagster {v['dagster']}, "
        f"pandas {v['pandas']}, pyarrow {v['pyarrow']}, GX {v['great-expectations']}; "
        f"1-min load at start {m['load_at_start'][0]:.2f}. Peak RSS: the summed RSS of the "
        f"process tree, sampled every {SAMPLE_S * 1000:.0f} ms. Peer memory limit "
        f"(`prlimit --as`): {info['peer_memory'] / 1024**3:.0f} GiB.",
        "",
        "| rows | floor | cakupan | cakupan ÷ floor | cakupan peak RSS | pandas | pandas peak RSS "
        "| pandas ÷ cakupan | cakupan s / M rows | correct |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size in sizes:
        t = {r["system"]: r for r in size["table"]}
        f, c, p = t["floor"], t["cakupan"], t.get("pandas", {})
        lines.append(
            f"| {size['rows']:,} | {_fmt(f['wall_s'], '.1f')} s | {_fmt(c['wall_s'], '.1f')} s "
            f"| {_fmt(c['vs_floor'], '.1f')}x | {_fmt(c['peak_rss_mb'], ',')} MB "
            f"| {_peer_cell(p, 'wall_s')} | {_fmt(p.get('peak_rss_mb'), ',')} MB "
            f"| {_peer_ratio(p)} | {_fmt(c['s_per_million_rows'], '.2f')} | {_fmt(c['correct'])} |"
        )
    lines += ["", "## Every system", ""]
    lines += [
        "| rows | system | status | wall | CPU | peak RSS | ÷ floor | peer ÷ cakupan | s / M rows "
        "| correct |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size in sizes:
        for r in size["table"]:
            lines.append(
                f"| {r['rows']:,} | {r['system']} | {r['status']} | {_fmt(r['wall_s'], '.2f')} s "
                f"| {_fmt(r['cpu_s'], '.1f')} s | {_fmt(r['peak_rss_mb'], ',')} MB "
                f"| {_fmt(r['vs_floor'], '.2f')}x | {_fmt(r['peer_vs_cakupan'])} "
                f"| {_fmt(r['s_per_million_rows'], '.3f')} | {_fmt(r['correct'])} |"
            )
    lines += ["", "## Targets of issue #10", ""]
    for size in sizes:
        lines.append(f"- {size['rows']:,} rows: " + "; ".join(size["targets"]))
    lines += ["", "## Correctness", ""]
    for size in sizes:
        ch = size["checks"]
        exp = ch["expected_national"]
        text = ", ".join(f"{k} {v:,}" for k, v in exp.items())
        lines.append(f"- {size['rows']:,} rows, floor (national, exact): {text}.")
        if "national_ok" in ch:
            lines.append(
                "  cakupan national: "
                + ("equal" if ch["national_ok"] else f"DIFFERENT {ch['national_diff']}")
                + (
                    f"; {ch['regions_compared']} kab/kota vs the exact reference query: "
                    + ("equal" if ch["regions_ok"] else f"DIFFERENT {ch['regions_mismatched']}")
                    if "regions_ok" in ch
                    else ""
                )
                + "."
            )
        for p in size["peers"]:
            if p.get("status") == "ok":
                lines.append(f"  {p['name']} national: {'equal' if p['correct'] else 'DIFFERENT'}.")
    lines += [""] + incremental_markdown(sizes)
    lines += ["## Where cakupan's time goes (per Dagster step)", ""]
    for label, steps in profiled_runs(sizes, "steps"):
        lines += [f"{label}:", "", "| step | seconds | share |", "|---|---:|---:|"]
        for s in steps:
            lines.append(f"| {s['step']} | {s['seconds']:.2f} | {_share(s)} |")
        lines.append("")
    lines += statements_markdown(sizes)
    return "\n".join(lines) + "\n"


def profiled_runs(sizes: list[dict[str, Any]], key: str):
    """(label, profile) of each run with a ``key`` profile: the full run of each size, then
    its + snapshot run."""
    for size in sizes:
        add = size.get("incremental", {}).get("add") or {}
        for label, profile in (
            (f"{size['rows']:,} rows", size["cakupan"].get(key)),
            (f"{size['rows']:,} rows, + snapshot", add.get(key)),
        ):
            if profile:
                yield label, profile


def _share(item: dict[str, Any]) -> str:
    return f"{item['share'] * 100:.1f}%" if item.get("share") is not None else "-"


def statements_markdown(sizes: list[dict[str, Any]]) -> list[str]:
    """The slowest SQL statements of each profiled run (DuckDB's statement log)."""
    lines = [
        "## Where cakupan's time goes (per SQL statement)",
        "",
        "The warehouse's slowest statements, from DuckDB's log (`CAKUPAN_SQL_LOG`): each from its"
        " start to the warehouse's next log entry (its commit, or the next statement of a"
        " transaction). GX's suites run on a connection of their own: their time is in the"
        " steps above.",
        "",
    ]
    for label, statements in profiled_runs(sizes, "statements"):
        lines += [f"{label}:", "", "| step | statement | runs | seconds | share |"]
        lines.append("|---|---|---:|---:|---:|")
        for s in statements:
            text = s["statement"].replace("|", "\\|")
            lines.append(
                f"| {s['step']} | `{text}` | {s['count']} | {s['seconds']:.2f} | {_share(s)} |"
            )
        lines.append("")
    return lines


def _peer_cell(p: dict, key: str) -> str:
    if not p:
        return "-"
    if p.get("status") != "ok":
        return str(p.get("status"))
    return f"{p[key]:.1f} s"


def _peer_ratio(p: dict) -> str:
    v = p.get("peer_vs_cakupan") if p else None
    return f"{v:.1f}x" if isinstance(v, float | int) else _fmt(v)


def targets(size: dict[str, Any]) -> list[str]:
    t = {r["system"]: r for r in size["table"]}
    c = t["cakupan"]
    out = []
    target = _ratio_target(size["rows"])
    if c["vs_floor"] is not None:
        verdict = (
            f"{'met' if c['vs_floor'] <= target else 'NOT met'} (≤ {target:g}x)"
            if target
            else "no target at this size"
        )
        out.append(f"cakupan ÷ floor {c['vs_floor']:.2f}x: {verdict}")
    if c["peak_rss_mb"] is not None:
        met = c["peak_rss_mb"] * 1e6 <= PEAK_TARGET_BYTES
        out.append(
            f"peak RSS {c['peak_rss_mb']:,} MB: {'met' if met else 'NOT met'} "
            f"(≤ {PEAK_TARGET_BYTES / 1024**3:g} GiB)"
        )
    for p in size["peers"]:
        r = t[p["name"]]
        ratio = r["peer_vs_cakupan"]
        if isinstance(ratio, float | int):
            met = ratio >= PEER_TARGET
            out.append(f"{p['name']} ÷ cakupan {ratio:.1f}x: {'met' if met else 'NOT met'} (≥ 10x)")
        else:
            out.append(f"{p['name']}: {ratio} ({'met' if ratio == 'OOM' else 'n/a'})")
    return out


def write_results(results: Path, info: dict[str, Any], sizes: list[dict[str, Any]]) -> list[Path]:
    results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base = results / f"scale-{info['format'].replace('.', '')}-{stamp}"
    paths = [base.with_suffix(".csv"), base.with_suffix(".md"), base.with_suffix(".json")]
    with paths[0].open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for size in sizes:
            writer.writerows(size["table"])
    if any("incremental" in s for s in sizes):
        paths.append(results / f"incremental-{info['format'].replace('.', '')}-{stamp}.csv")
        with paths[-1].open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=INCREMENTAL_FIELDS)
            writer.writeheader()
            for size in sizes:
                writer.writerows(size.get("incremental_table", []))
    paths[1].write_text(markdown(info, sizes), encoding="utf-8")
    slim = []  # the per-region figures would make the JSON large: keep the national ones
    for s in sizes:
        c = {k: v for k, v in s["cakupan"].items() if k != "published"}
        if "published" in s["cakupan"]:
            c["national"] = s["cakupan"]["published"]["national"]
        slim.append({**s, "cakupan": c})
    paths[2].write_text(json.dumps({"info": info, "sizes": slim}, indent=2, default=str))
    return paths


# ----------------------------------------------------------------------------------- main


def parse_rows(text: str) -> list[int]:
    sizes = [int(x.replace("_", "").strip()) for x in text.split(",") if x.strip()]
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive sizes, got {text!r}")
    return sizes


def parse_bytes(text: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    return int(t)


def find_uv() -> str | None:
    for candidate in (os.environ.get("UV"), shutil.which("uv"), str(ROOT / ".bootstrap/bin/uv")):
        if candidate and Path(candidate).exists():
            return str(Path(candidate).resolve())
    return None


def bench_size(args: argparse.Namespace, rows: int, uv: str | None) -> dict[str, Any]:
    print(f"{rows:,} rows ({args.format}):", flush=True)
    gen = ensure_extract(args.workdir, rows, args.seed, args.format)
    if gen["cached"]:
        print(f"  extract cached: {gen['membership_file']}", flush=True)
    else:
        print(f"  generated in {gen['total_s']:.1f} s: {gen['membership_file']}", flush=True)
    file, landing = Path(gen["membership_file"]), Path(gen["landing"])
    rundir = args.workdir / "runs" / f"{args.format}-{rows}-s{args.seed}"
    if rundir.exists():
        shutil.rmtree(rundir)
    rundir.mkdir(parents=True)
    if args.incremental:  # the run's own landing: a snapshot is added to it later
        landing = link_landing(landing, rundir / "landing")

    floor = run_floor(file, rundir)
    print(
        f"  floor    {floor['wall_s']:8.2f} s  {floor['peak_rss_bytes'] / 1e6:8,.0f} MB", flush=True
    )
    cakupan = run_cakupan(landing, rundir, uv, steps=not args.no_steps)
    if cakupan["status"] == "ok":
        print(
            f"  cakupan  {cakupan['wall_s']:8.2f} s  {cakupan['peak_rss_bytes'] / 1e6:8,.0f} MB"
            f"  ({cakupan['wall_s'] / floor['wall_s']:.1f}x the floor)",
            flush=True,
        )
        for st in cakupan.get("statements", [])[:5]:
            print(f"    {st['seconds']:7.2f} s  {st['step']}: {st['statement'][:70]}", flush=True)
    else:
        print(f"  cakupan  FAILED (exit {cakupan['returncode']}):\n{cakupan['error']}", flush=True)
    peers = []
    if not args.no_peer:
        for gx in (False, True) if args.peer_gx else (False,):
            peer = run_peer(file, rundir, gx, args.peer_memory, args.peer_timeout)
            peer["name"] = "pandas+gx" if gx else "pandas"
            peers.append(peer)
            wall = f"{peer['wall_s']:8.2f} s" if peer["status"] == "ok" else f"{peer['status']:>10}"
            print(
                f"  {peer['name']:<8} {wall}  {peer['peak_rss_bytes'] / 1e6:8,.0f} MB", flush=True
            )
    reference = None
    if not args.no_region_check and cakupan["status"] == "ok":
        _, reference = run_worker("reference", file, rundir)
    checks = check(floor, cakupan, reference, peers)
    incremental = None
    if args.incremental:
        incremental = {}
        if cakupan["status"] == "ok":
            national = cakupan["published"]["national"]
            incremental = run_incremental(args, rows, rundir, landing, uv, national)
    size = {
        "rows": rows,
        "format": args.format,
        "generation": gen,
        "floor": floor,
        "cakupan": cakupan,
        "peers": peers,
        "checks": checks,
    }
    size["table"] = table_rows(size)
    size["targets"] = targets(size)
    if incremental is not None:
        size["incremental"] = incremental
        size["incremental_table"] = incremental_rows(size)
    correct = cakupan_correct(checks)
    print(f"  correct: {correct}; " + "; ".join(size["targets"]), flush=True)
    return size


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker_main(argv[1], argv[2], Path(argv[3]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--rows",
        type=parse_rows,
        default=parse_rows(os.environ.get("BENCH_ROWS") or DEFAULT_ROWS),
        help="comma-separated sizes (default: $BENCH_ROWS or 5000000)",
    )
    ap.add_argument("--format", choices=make_extract.FORMATS, default="parquet")
    ap.add_argument("--seed", type=int, default=make_extract.DEFAULT_SEED)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="extracts and runs")
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="CSV, Markdown, JSON")
    ap.add_argument(
        "--peer-memory",
        type=parse_bytes,
        default=parse_bytes("12G"),
        help="address-space limit of the pandas peer (default 12G)",
    )
    ap.add_argument("--peer-timeout", type=float, default=3600.0, help="seconds (default 3600)")
    ap.add_argument("--peer-gx", action="store_true", help="also run the peer with GX on pandas")
    ap.add_argument("--no-peer", action="store_true", help="skip the pandas peer")
    ap.add_argument(
        "--no-steps",
        action="store_true",
        help="run cakupan without DAGSTER_HOME (no per-step profile)",
    )
    ap.add_argument(
        "--no-region-check", action="store_true", help="skip the untimed exact per-kab/kota check"
    )
    ap.add_argument(
        "--incremental",
        action="store_true",
        help="also time a no-op run and a run with a snapshot of N/20 rows added (issue #11)",
    )
    args = ap.parse_args(argv)
    args.workdir = args.workdir.resolve()

    uv = find_uv()
    info = {
        "format": args.format,
        "seed": args.seed,
        "rows": args.rows,
        "peer_memory": args.peer_memory,
        "machine": machine(),
        "workdir": str(args.workdir),
    }
    sizes = [bench_size(args, rows, uv) for rows in args.rows]
    info["load_at_end"] = list(os.getloadavg())
    paths = write_results(args.results, info, sizes)
    print(markdown(info, sizes))
    print("Written: " + ", ".join(str(p) for p in paths))
    failed = any(
        s["cakupan"]["status"] != "ok" or not cakupan_correct(s["checks"]) or not incremental_ok(s)
        for s in sizes
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
