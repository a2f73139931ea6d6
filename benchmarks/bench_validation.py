"""Benchmark: Great Expectations validation vs one hand-written DuckDB query (issue #4).

Generates a warehouse with a synthetic ``raw.membership`` of ``--rows`` rows (default
5,000,000; two snapshots, six source files, ~0.2% invalid NIKs, a few unknown NIK
districts, impossible NIK birth dates and future registration dates) and the
``staging.membership`` built from it by the pipeline's own ``sql/staging/membership.sql``.
Then, each in its own subprocess so that its peak RSS is its own:

* GX: the real suites ``expectations/raw.membership.json`` and
  ``expectations/staging.membership.json`` (each on the whole table, as the pipeline runs
  them) through :func:`cakupan.quality.run_suite`, without Data Docs. The import of GX
  is timed apart from the validation.
* Query: one hand-written DuckDB query per table that computes the same checks in a
  single pass over it.

Each subprocess runs its validation or query ``--repeat`` times (default 3) and the median
is reported. The script prints both times, the ratio and the peak memory, checks the
targets of issue #4 (GX <= 3x the query, GX peak < 2 GB) and, for a suite where GX is
over 3x, profiles one more GX run to show where its time goes (SQL statements per metric
and per expectation, schema reflection, GX's own Python time).

Run: ``make bench`` or ``uv run --no-sync python benchmarks/bench_validation.py [--rows N]
[--workdir DIR] [--repeat N] [--profile auto|always|never] [--json FILE]``. Never run by
the tests; nothing is asserted on time. Exit status 1 only if GX and the query disagree
on an unexpected count.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `pipelines` importable
    sys.path.insert(0, str(ROOT))

REGENCIES_CSV = ROOT / "data" / "reference" / "regencies.csv"
RAW_DDL = ROOT / "sql" / "raw" / "membership.sql"
STAGING_SQL = ROOT / "sql" / "staging" / "membership.sql"

TARGET_RATIO = 3.0
TARGET_PEAK_BYTES = 2 * 1024**3
RESULT_MARKER = "BENCH_RESULT "

# The validated tables: their catalogues (expectations/<table>.yml) give the suite. The
# partition column comes from the suite's meta.partition_column, as assets/checks.py passes it.
TABLES = {"raw": "raw.membership", "staging": "staging.membership"}

# ------------------------------------------------------------------------- data generation

SNAPSHOTS = ("2024-12-31", "2025-06-30")

# One row per range() index. Everything is derived from DuckDB's hash() of the index or of
# the person, so a given --rows and DuckDB version always give the same warehouse.
#  * Each snapshot holds half the rows; row j of a snapshot belongs to person
#    floor(j * 0.94): ~6% of the rows are a second row of a person, half of them an exact
#    duplicate (same variant), the other half another segment/region (variant 1).
#    Persons recur in both snapshots, as in real extracts.
#  * The source file is the person's island (as scripts/make_sample.py splits them):
#    three files per snapshot, CSV for the first, Parquet for the second.
GENERATE_SQL = """
CREATE SCHEMA IF NOT EXISTS reference;
CREATE OR REPLACE TABLE reference.regencies AS
SELECT * FROM read_csv('{regencies}', header = true, all_varchar = true, delim = ',',
                       quote = '"');

CREATE TEMP TABLE bench_regions AS
SELECT
    code,
    replace(code, '.', '') AS bps_code,
    CASE WHEN province_code < '30' THEN 'sumatera'
         WHEN province_code < '50' THEN 'jawa' ELSE 'timur' END AS island,
    CAST(row_number() OVER (ORDER BY code) - 1 AS BIGINT) AS idx
FROM reference.regencies;

CREATE TEMP TABLE bench_rows AS
WITH base AS (
    SELECT
        i,
        CASE WHEN i < {half} THEN DATE '{snap1}' ELSE DATE '{snap2}' END AS snapshot_date,
        CAST(floor((CASE WHEN i < {half} THEN i ELSE i - {half} END) * 0.94) AS BIGINT)
            AS person,
        CAST(hash(i, 1) % 2 AS BIGINT) AS variant
    FROM range({rows}) AS t(i)
),
attrs AS (
    SELECT
        *,
        -- region: the person's own, another one for variant 1 (a second segment elsewhere)
        CAST(hash(person, variant * 7 + 2) % {n_regions} AS BIGINT) AS region_idx,
        hash(i, 3) % 1000 AS h_nik,
        hash(person, variant, 4) % 100 AS h_segment,
        hash(person, variant, snapshot_date, 5) % 100 AS h_status,
        hash(person, variant, 6) % 1000 AS h_programs,
        hash(person, variant, 8) % 10000 AS h_registered,
        hash(person, 9) % 1000 AS h_district,
        hash(person, 10) % 1000 AS h_birth,
        hash(person, variant, 11) % 5 AS h_bps
    FROM base
)
SELECT
    CASE WHEN a.snapshot_date = DATE '{snap1}'
        THEN 'membership/members_{snap1}_' || r.island || '.csv.gz'
        ELSE 'membership/members_{snap2}_' || r.island || '.parquet'
    END AS source_file,
    a.i,
    a.snapshot_date,
    a.h_nik >= 2 AS nik_valid,                                   -- 0.2% invalid NIKs
    CASE WHEN a.h_nik >= 2 THEN sha256('nik-' || a.person) END AS person_key,
    CASE WHEN a.h_nik >= 2 THEN a.h_district >= 4 END AS nik_district_known,   -- 0.4%
    CASE WHEN a.h_nik >= 2 THEN a.h_birth >= 1 END AS nik_birth_date_valid,    -- 0.1%
    CASE WHEN a.h_segment < 65 THEN 'PU' WHEN a.h_segment < 90 THEN 'BPU'
         WHEN a.h_segment < 96 THEN 'JAKON' ELSE 'PMI' END AS segment,
    CASE WHEN a.h_bps = 0 THEN r.bps_code ELSE r.code END AS region_code_raw,
    r.code AS region_code,
    CASE WHEN a.h_status < 93 THEN 'AKTIF' ELSE 'NONAKTIF' END AS status,
    a.h_programs >= 8 AS has_jkk,
    a.h_programs >= 5 AS has_jkm,
    CASE WHEN a.h_segment < 65 THEN a.h_programs % 100 < 85
         WHEN a.h_segment < 90 THEN a.h_programs % 100 < 20 ELSE false END AS has_jht,
    a.h_segment < 65 AND a.h_programs % 10 < 7 AS has_jp,
    a.h_segment < 65 AND (a.h_programs / 10) % 10 < 5 AS has_jkp,
    CAST(a.h_programs = 999 AS INTEGER) AS unknown_programs,
    CASE
        WHEN a.h_registered < 200 THEN NULL                           -- 2% blank
        WHEN a.h_registered < 205                                      -- 0.05% in the future
            THEN a.snapshot_date + CAST(1 + a.h_registered % 60 AS INTEGER)
        ELSE DATE '2005-01-01'
            + CAST(hash(a.person, a.variant, 12)
                   % (a.snapshot_date - DATE '2005-01-01') AS INTEGER)
    END AS registered_on
FROM attrs AS a
JOIN bench_regions AS r ON r.idx = a.region_idx;

INSERT INTO raw.membership
SELECT
    source_file,
    row_number() OVER (PARTITION BY source_file ORDER BY i) + 1 AS source_line,
    snapshot_date, person_key, nik_valid, nik_district_known, nik_birth_date_valid,
    segment, region_code_raw, region_code, status,
    has_jkk, has_jkm, has_jht, has_jp, has_jkp, unknown_programs, registered_on
FROM bench_rows
ORDER BY source_file, source_line;

DROP TABLE bench_rows;
DROP TABLE bench_regions;
"""


def generate(db_path: Path, rows: int) -> dict[str, Any]:
    """Write the benchmark warehouse; returns row counts and timings."""
    import duckdb

    from cakupan.sqlfiles import read_path

    regencies = _sql_str(read_path(REGENCIES_CSV))

    if db_path.exists():
        db_path.unlink()
    t0 = time.perf_counter()
    con = duckdb.connect(str(db_path))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(RAW_DDL.read_text(encoding="utf-8"))
        n_regions = con.execute(
            f"SELECT count(*) FROM read_csv('{regencies}', header = true)"
        ).fetchone()[0]
        con.execute(
            GENERATE_SQL.format(
                regencies=regencies,
                rows=int(rows),
                half=int(rows) // 2,
                snap1=SNAPSHOTS[0],
                snap2=SNAPSHOTS[1],
                n_regions=n_regions,
            )
        )
        t_raw = time.perf_counter() - t0
        con.execute(STAGING_SQL.read_text(encoding="utf-8"))  # the pipeline's own SQL
        t_staging = time.perf_counter() - t0 - t_raw
        raw_rows, files = con.execute(
            "SELECT count(*), count(DISTINCT source_file) FROM raw.membership"
        ).fetchone()
        staging_rows = con.execute("SELECT count(*) FROM staging.membership").fetchone()[0]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {
        "raw_rows": raw_rows,
        "source_files": files,
        "staging_rows": staging_rows,
        "generate_raw_s": t_raw,
        "generate_staging_s": t_staging,
        "db_bytes": db_path.stat().st_size,
    }


def _sql_str(p: Path) -> str:
    return str(p).replace("'", "''")


# --------------------------------------------------------------------- hand-written queries

# One pass per table, computing what the suite checks.
HAND_QUERIES = {
    # no_invalid_nik (rows, per file), nik_district_is_known, nik_birth_date_is_possible.
    # Flags are NULL on invalid-NIK rows; like GX's column-map expectations, NULLs are
    # ignored (`= false`).
    "raw": """
        SELECT
            source_file,
            count(*) AS rows,
            count(*) FILTER (WHERE NOT nik_valid) AS invalid_nik,
            count(*) FILTER (WHERE nik_district_known = false) AS district_unknown,
            count(*) FILTER (WHERE nik_birth_date_valid = false) AS birth_date_impossible
        FROM raw.membership
        GROUP BY source_file
        ORDER BY source_file
    """,
    # Per snapshot: duplicated (snapshot, person_key, segment) keys and the rows in them,
    # NULL regions, registered_on after the snapshot. The inner GROUP BY is the one scan
    # of the table.
    "staging": """
        WITH k AS (
            SELECT
                snapshot_date,
                count(*) AS n,
                count(*) FILTER (WHERE region_code IS NULL) AS null_region,
                count(*) FILTER (WHERE registered_on > snapshot_date) AS future
            FROM staging.membership
            GROUP BY snapshot_date, person_key, segment
        )
        SELECT
            snapshot_date,
            sum(n) AS rows,
            count(*) FILTER (WHERE n > 1) AS duplicate_keys,
            coalesce(sum(n) FILTER (WHERE n > 1), 0) AS duplicate_key_rows,
            sum(null_region) AS null_region,
            sum(future) AS registered_after_snapshot
        FROM k
        GROUP BY snapshot_date
        ORDER BY snapshot_date
    """,
}


# ------------------------------------------------------------------------------ workers


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cpu_s() -> float:
    """CPU time of this process, all threads (DuckDB's workers included), user + system."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so a later VmHWM is a phase's peak."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def worker_query(db: str, table: str, repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    import duckdb

    t_import = time.perf_counter() - t0
    rss_ready = _status_kb("VmRSS")
    hwm_ready = _status_kb("VmHWM")
    phase_reset = _reset_peak_rss()
    times, cpu = [], []
    for _ in range(repeat):  # connect, query, fetch, close: what a check would do
        c1 = _cpu_s()
        t1 = time.perf_counter()
        con = duckdb.connect(db, read_only=True)
        try:
            con.execute("SET enable_progress_bar = false")
            cur = con.execute(HAND_QUERIES[table])
            cols = [d[0] for d in cur.description]
            rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        finally:
            con.close()
        times.append(time.perf_counter() - t1)
        cpu.append(_cpu_s() - c1)
    return {
        **_timings(t_import, times, cpu, rss_ready, hwm_ready, phase_reset),
        "rows": [{k: _plain(v) for k, v in r.items()} for r in rows],
    }


def _timings(t_import, times, cpu, rss_ready, hwm_ready, phase_reset) -> dict[str, Any]:
    """Import time, median wall and CPU time of the repeats, and memory, of one worker."""
    return {
        "import_s": t_import,
        "run_s": statistics.median(times),
        "runs_s": times,
        "cpu_s": statistics.median(cpu),
        "runs_cpu_s": cpu,
        "rss_ready_kb": rss_ready,
        "hwm_ready_kb": hwm_ready,
        "phase_peak_kb": _status_kb("VmHWM") if phase_reset else None,
    }


def worker_gx(db: str, table: str, profile: bool, repeat: int) -> dict[str, Any]:
    table_name = TABLES[table]
    from cakupan.quality import run_suite
    from cakupan.quality.catalogue import catalogues

    suite = catalogues()[table_name].suite()  # no count of a reference table in these two
    partition_column = (suite.get("meta") or {}).get("partition_column")

    # What run_suite imports on its first call (cakupan.quality.context.import_gx), plus
    # the SQL stack GX would otherwise import lazily during the first validation.
    t0 = time.perf_counter()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import duckdb_engine  # noqa: F401
    import great_expectations  # noqa: F401
    import sqlalchemy  # noqa: F401

    from cakupan.quality import gx_duckdb

    gx_duckdb.apply()
    t_import = time.perf_counter() - t0

    prof = _GXProfiler() if profile else None
    if prof is not None:
        prof.install()
    rss_ready = _status_kb("VmRSS")
    hwm_ready = _status_kb("VmHWM")
    phase_reset = _reset_peak_rss()
    times, cpu = [], []
    for k in range(repeat):
        if prof is not None and k == repeat - 1:
            prof.clear()  # profile the last run only, after a warm-up run
        c1 = _cpu_s()
        t1 = time.perf_counter()
        outcomes = run_suite(db, suite, table_name, partition_column=partition_column)
        times.append(time.perf_counter() - t1)
        cpu.append(_cpu_s() - c1)
    result: dict[str, Any] = {
        **_timings(t_import, times, cpu, rss_ready, hwm_ready, phase_reset),
        "outcomes": [
            {
                "expectation": o.expectation,
                "partition": o.partition.isoformat() if o.partition else None,
                "success": o.success,
                "unexpected_count": o.unexpected_count,
                "observed_value": o.observed_value,
                "error": o.error,
            }
            for o in outcomes
        ],
    }
    if prof is not None:
        result["profile"] = prof.report(suite, times[-1])
    return result


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | float | str):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return int(v) if hasattr(v, "__int__") else str(v)


class _GXProfiler:
    """Attributes GX's SQL statements and time to the metric that issued them.

    * SQLAlchemy ``before/after_cursor_execute`` on every Engine: one record per
      statement (DuckDB executes the query in ``execute``; fetching the small result is
      counted in the metric's time, not in the statement's).
    * GX's ``ExecutionEngine._process_direct_and_bundled_metric_computation_configurations``
      is wrapped so that each directly computed metric runs under its own label and each
      bundle of aggregate metrics (one query per domain) under ``bundle[...]``.
    Statements issued outside any metric (connection test, batch discovery) are
    labelled ``(outside metrics)``.
    """

    def __init__(self) -> None:
        self.label: contextvars.ContextVar[str] = contextvars.ContextVar(
            "label", default="(outside metrics)"
        )
        self.statements: list[dict[str, Any]] = []
        self.metric_wall: dict[str, float] = defaultdict(float)
        self.metric_calls: dict[str, int] = defaultdict(int)
        self.metric_domains: dict[str, dict[str, Any]] = {}

    def clear(self) -> None:
        self.statements.clear()
        self.metric_wall.clear()
        self.metric_calls.clear()

    def install(self) -> None:
        import sqlalchemy as sa
        from great_expectations.execution_engine import execution_engine as ee

        prof = self

        @sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info.setdefault("_bench_t0", []).append(time.perf_counter())

        @sa.event.listens_for(sa.engine.Engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            t0 = conn.info["_bench_t0"].pop()
            prof.statements.append(
                {
                    "label": prof.label.get(),
                    "seconds": time.perf_counter() - t0,
                    "sql": " ".join(str(statement).split()),
                }
            )

        original = ee.ExecutionEngine._process_direct_and_bundled_metric_computation_configurations

        def labelled(fn, label):
            def run(*args, **kwargs):
                token = prof.label.set(label)
                t = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    prof.metric_wall[label] += time.perf_counter() - t
                    prof.metric_calls[label] += 1
                    prof.label.reset(token)

            return run

        def process(self, metric_fn_direct_configurations, metric_fn_bundle_configurations):
            for cfg in metric_fn_direct_configurations:
                label = prof._name(cfg.metric_configuration)
                object.__setattr__(cfg, "metric_fn", labelled(cfg.metric_fn, label))
            if metric_fn_bundle_configurations:
                names = sorted(
                    {prof._name(c.metric_configuration) for c in metric_fn_bundle_configurations}
                )
                bundle_label = "bundle[" + ", ".join(names) + "]"
                engine_bundle = self.resolve_metric_bundle
                self.resolve_metric_bundle = labelled(engine_bundle, bundle_label)
                try:
                    return original(
                        self, metric_fn_direct_configurations, metric_fn_bundle_configurations
                    )
                finally:
                    del self.resolve_metric_bundle
            return original(self, metric_fn_direct_configurations, metric_fn_bundle_configurations)

        ee.ExecutionEngine._process_direct_and_bundled_metric_computation_configurations = process

    def _name(self, mc: Any) -> str:
        domain = dict(mc.metric_domain_kwargs or {})
        value = dict(mc.metric_value_kwargs or {})
        col = domain.get("column") or domain.get("column_list")
        parts = [mc.metric_name]
        if col:
            parts.append(f"({', '.join(col) if isinstance(col, list) else col})")
        query = value.get("unexpected_rows_query") or value.get("query")
        if query:
            parts.append("(query)")
        name = "".join(parts)
        self.metric_domains[name] = {"column": col, "query": query}
        return name

    def _expectation_of(self, label: str, suite: dict[str, Any]) -> list[str]:
        """Which expectations of the suite a metric (or bundle) label serves."""
        metrics = [m for m in self.metric_domains if m in label]
        names = []
        for e in suite["expectations"]:
            kw = e["kwargs"]
            for m in metrics:
                d = self.metric_domains[m]
                col = d["column"]
                if (
                    (col is not None and col in (kw.get("column"), kw.get("column_list")))
                    or (d["query"] is not None and d["query"] == kw.get("unexpected_rows_query"))
                ) and e["meta"]["name"] not in names:
                    names.append(e["meta"]["name"])
        return names

    def report(self, suite: dict[str, Any], total: float) -> dict[str, Any]:
        by_label: dict[str, dict[str, Any]] = {}
        for s in self.statements:
            d = by_label.setdefault(s["label"], {"queries": 0, "sql_s": 0.0, "slowest": None})
            d["queries"] += 1
            d["sql_s"] += s["seconds"]
            if d["slowest"] is None or s["seconds"] > d["slowest"][0]:
                d["slowest"] = (s["seconds"], s["sql"])
        for label, d in by_label.items():
            d["wall_s"] = self.metric_wall.get(label)
            d["calls"] = self.metric_calls.get(label)
            d["expectations"] = self._expectation_of(label, suite) or ["(shared: table)"]
        for label, wall in self.metric_wall.items():  # metrics that issued no SQL
            if label not in by_label:
                by_label[label] = {
                    "queries": 0,
                    "sql_s": 0.0,
                    "slowest": None,
                    "wall_s": wall,
                    "calls": self.metric_calls[label],
                    "expectations": self._expectation_of(label, suite) or ["(shared: table)"],
                }
        per_expectation: dict[str, dict[str, float]] = defaultdict(
            lambda: {"queries": 0, "sql_s": 0.0}
        )
        for d in by_label.values():
            exps = d["expectations"]
            for name in exps:  # a bundle serving several expectations is split evenly
                per_expectation[name]["queries"] += d["queries"] / len(exps)
                per_expectation[name]["sql_s"] += d["sql_s"] / len(exps)
        return {
            "total_s": total,
            "queries": len(self.statements),
            "sql_s": sum(s["seconds"] for s in self.statements),
            "by_label": by_label,
            "per_expectation": dict(per_expectation),
        }


def worker_main(argv: list[str]) -> None:
    kind, table, db, repeat = argv[0], argv[1], argv[2], int(argv[3])
    if kind == "query":
        result = worker_query(db, table, repeat)
    elif kind == "gx":
        result = worker_gx(db, table, profile=False, repeat=repeat)
    elif kind == "gx-profile":
        result = worker_gx(db, table, profile=True, repeat=max(repeat, 2))
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    # The process's own peak: VmHWM of this (post-exec) address space, before and after
    # the reset. getrusage()'s ru_maxrss (RUSAGE_SELF here, or RUSAGE_CHILDREN / wait4 in
    # the parent) is no good: Linux carries the parent's RSS at (v)fork into the child's
    # maxrss across exec, and the parent holds DuckDB and the generated data (~230 MB).
    result["peak_rss_kb"] = max(result["hwm_ready_kb"], result["phase_peak_kb"] or 0)
    if result["phase_peak_kb"] is None:
        result["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.flush()
    print(RESULT_MARKER + json.dumps(result, default=str), flush=True)


def run_worker(kind: str, table: str, db: Path, workdir: Path, repeat: int) -> dict[str, Any]:
    """Run a worker in a fresh interpreter; its output goes to ``workdir/<kind>-<table>.log``."""
    log = workdir / f"{kind}-{table}.log"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, table, str(db)]
    cmd.append(str(repeat))
    env = dict(os.environ, PYTHONUNBUFFERED="1", GX_ANALYTICS_ENABLED="false")
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT, text=True
    )
    wall = time.perf_counter() - t0
    log.write_text(proc.stdout, encoding="utf-8")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARKER)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-5000:])
        raise SystemExit(f"worker {kind} {table} failed (exit {proc.returncode}); log: {log}")
    result = json.loads(lines[-1][len(RESULT_MARKER) :])
    result["process_wall_s"] = wall
    return result


# ------------------------------------------------------------------------------- report


def _met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def _mb(kb: float | None) -> str:
    return "n/a" if kb is None else f"{kb / 1024:,.0f} MB"


def _check_agreement(table: str, gx: dict[str, Any], query: dict[str, Any]) -> list[str]:
    """GX's unexpected counts against the query's figures (both must see the same data)."""
    got = {(o["expectation"], o["partition"]): o for o in gx["outcomes"]}
    problems = [f"{n} ({p}): GX error: {o['error']}" for (n, p), o in got.items() if o["error"]]
    rows = query["rows"]
    if table == "raw":
        expected = {
            ("no_invalid_nik", None): sum(r["invalid_nik"] for r in rows),
            ("nik_district_is_known", None): sum(r["district_unknown"] for r in rows),
            ("nik_birth_date_is_possible", None): sum(r["birth_date_impossible"] for r in rows),
        }
    else:  # the suite runs on the whole table: one outcome for all snapshots
        expected = {
            ("one_row_per_person_and_segment", None): sum(r["duplicate_keys"] for r in rows),
            ("region_is_set", None): sum(r["null_region"] for r in rows),
            ("registered_on_not_after_snapshot", None): sum(
                r["registered_after_snapshot"] for r in rows
            ),
        }
    for key, want in expected.items():
        o = got.get(key)
        if o is None:
            problems.append(f"{key}: no GX outcome")
        elif o["unexpected_count"] != want:
            problems.append(f"{key}: GX {o['unexpected_count']} vs query {want}")
    return problems


def print_report(info: dict[str, Any], res: dict[str, dict[str, Any]]) -> bool:
    rows = info["raw_rows"]
    print()
    print(
        f"Validation benchmark: {rows:,} raw.membership rows ({info['source_files']} files, "
        f"{len(SNAPSHOTS)} snapshots), {info['staging_rows']:,} staging.membership rows; "
        f"warehouse {info['db_bytes'] / 1024**2:,.0f} MB"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GB RAM, "
        f"Python {platform.python_version()}, {_versions()}"
    )
    load = info.get("load_before")
    if load is not None:
        busy = " (other processes were busy: timings are noisy)" if load > 0.5 else ""
        print(f"1-min load average before the benchmark started: {load:.2f}{busy}")
    print()
    header = (
        f"{'table':<9}{'rows':>12}{'GX valid.':>11}{'GX import':>11}{'query':>9}"
        f"{'GX/query':>10}{'GX peak RSS':>13}{'query peak RSS':>16}"
    )
    print(header)
    print("-" * len(header))
    totals = {"gx": 0.0, "imp": 0.0, "q": 0.0, "gx_peak": 0, "q_peak": 0}
    for table in TABLES:
        gx, q = res[f"gx-{table}"], res[f"query-{table}"]
        n = info["raw_rows"] if table == "raw" else info["staging_rows"]
        ratio = gx["run_s"] / q["run_s"]
        print(
            f"{table:<9}{n:>12,}{gx['run_s']:>10.2f}s{gx['import_s']:>10.2f}s"
            f"{q['run_s']:>8.2f}s{ratio:>9.1f}x{_mb(gx['peak_rss_kb']):>13}"
            f"{_mb(q['peak_rss_kb']):>16}"
        )
        totals["gx"] += gx["run_s"]
        totals["imp"] += gx["import_s"]
        totals["q"] += q["run_s"]
        totals["gx_peak"] = max(totals["gx_peak"], gx["peak_rss_kb"])
        totals["q_peak"] = max(totals["q_peak"], q["peak_rss_kb"])
    ratio = totals["gx"] / totals["q"]
    print("-" * len(header))
    print(
        f"{'both':<9}{'':>12}{totals['gx']:>10.2f}s{totals['imp']:>10.2f}s"
        f"{totals['q']:>8.2f}s{ratio:>9.1f}x{_mb(totals['gx_peak']):>13}"
        f"{_mb(totals['q_peak']):>16}"
    )
    print()
    print(
        "GX valid. = run_suite() wall time once GX is imported (context, datasource, "
        "batches, every metric query, failing-row samples; no Data Docs). "
        "query = connect + the one-pass query + fetch. Median of the runs:"
    )
    for table in TABLES:
        for kind in ("gx", "query"):
            r = res[f"{kind}-{table}"]
            runs = ", ".join(f"{t:.2f}" for t in r["runs_s"])
            cpu = ", ".join(f"{t:.2f}" for t in r["runs_cpu_s"])
            print(f"  {kind:<5} {table:<8} wall (s): {runs:<20} CPU (s, all threads): {cpu}")
    best_gx = sum(min(res[f"gx-{t}"]["runs_s"]) for t in TABLES)
    best_q = sum(min(res[f"query-{t}"]["runs_s"]) for t in TABLES)
    cpu_gx = sum(res[f"gx-{t}"]["cpu_s"] for t in TABLES)
    cpu_q = sum(res[f"query-{t}"]["cpu_s"] for t in TABLES)
    print(
        f"  both suites, best wall runs: GX {best_gx:.2f}s / query {best_q:.2f}s = "
        f"{best_gx / best_q:.1f}x; median CPU time: GX {cpu_gx:.2f}s / query {cpu_q:.2f}s = "
        f"{cpu_gx / cpu_q:.1f}x"
    )
    print(
        "peak RSS = the subprocess's own high-water resident set (VmHWM), Python and GX "
        "import included. RSS once imported / peak during the validation alone:"
    )
    for table in TABLES:
        for kind in ("gx", "query"):
            r = res[f"{kind}-{table}"]
            print(
                f"  {kind:<5} {table:<8} ready {_mb(r['rss_ready_kb']):>9}, "
                f"validation peak {_mb(r['phase_peak_kb']):>9}"
            )

    ok_peak = totals["gx_peak"] * 1024 < TARGET_PEAK_BYTES
    print()
    print("Targets (issue #4):")
    print(
        f"  GX <= {TARGET_RATIO:g}x query, both suites : {_met(ratio <= TARGET_RATIO)} "
        f"({ratio:.1f}x: {totals['gx']:.2f}s vs {totals['q']:.2f}s)"
    )
    for table in TABLES:
        gx, q = res[f"gx-{table}"]["run_s"], res[f"query-{table}"]["run_s"]
        print(
            f"    {TABLES[table]:<26}: {_met(gx / q <= TARGET_RATIO)} "
            f"({gx / q:.1f}x: {gx:.2f}s vs {q:.2f}s)"
        )
    print(f"  GX peak RSS < 2 GB            : {_met(ok_peak)} ({_mb(totals['gx_peak'])} at most)")

    problems = []
    for table in TABLES:
        problems += [
            f"{table}: {p}"
            for p in _check_agreement(table, res[f"gx-{table}"], res[f"query-{table}"])
        ]
    print()
    if problems:
        print("GX and the query DISAGREE:")
        for p in problems:
            print("  " + p)
    else:
        print("GX and the query agree on every unexpected count:")
    for table in TABLES:
        for o in res[f"gx-{table}"]["outcomes"]:
            part = f" {o['partition']}" if o["partition"] else ""
            status = "ok" if o["success"] else "FAILED"
            print(f"  {table}{part} {o['expectation']}: {status}: {o['observed_value']}")
    return not problems


def print_profile(table: str, prof: dict[str, Any], timed: dict[str, Any], q: dict[str, Any]):
    print()
    print(
        f"Where GX's time goes: {table} ({prof['queries']} SQL statements, "
        f"{prof['sql_s']:.2f}s executing them in DuckDB, of a {prof['total_s']:.2f}s run "
        f"under the profiler, after a warm-up run; {timed['run_s']:.2f}s timed above; the "
        f"one-pass query: {q['run_s']:.2f}s)"
    )
    by_label = sorted(prof["by_label"].items(), key=lambda kv: -(kv[1]["sql_s"]))
    quiet = [d for _, d in by_label if d["queries"] == 0 and (d["wall_s"] or 0.0) < 0.005]
    print(f"  {'metric (SQL statements it issued)':<78}{'stmts':>6}{'SQL':>9}{'metric':>9}")
    for label, d in by_label:
        if any(d is x for x in quiet):
            continue
        wall = "" if d["wall_s"] is None else f"{d['wall_s']:.2f}s"
        shown = label if len(label) <= 76 else label[:73] + "..."
        print(f"  {shown:<78}{d['queries']:>6}{d['sql_s']:>8.2f}s{wall:>9}")
    if quiet:
        print(f"  ({len(quiet)} more metrics built SQL expressions only: no statement, < 5 ms)")
    print("  per expectation (bundled metrics split evenly between the expectations they serve):")
    for name, d in sorted(prof["per_expectation"].items(), key=lambda kv: -kv[1]["sql_s"]):
        print(f"    {name:<40}{d['queries']:>7.1f} statements{d['sql_s']:>9.2f}s SQL")
    python = prof["total_s"] - prof["sql_s"]
    labels = prof["by_label"]
    reflection = sum(d["sql_s"] for k, d in labels.items() if k.startswith("table.column_types"))
    setup = labels.get("(outside metrics)", {}).get("sql_s", 0.0)
    scans = prof["sql_s"] - reflection - setup
    n_scan = prof["queries"] - sum(
        d["queries"]
        for k, d in labels.items()
        if k.startswith("table.column_types") or k == "(outside metrics)"
    )
    print("  in short:")
    for what, seconds in (
        ("GX/SQLAlchemy Python outside DuckDB (context, validator, SQL, results)", python),
        ("schema reflection: table.column_types via duckdb-engine's pg_catalog", reflection),
        ("connection test + batch discovery", setup),
        (f"metric queries over the data: {n_scan} statements (hand query: 1)", scans),
    ):
        print(f"    {what:<74}{seconds:6.2f}s")
    print("  slowest statements:")
    slow = sorted(
        (d["slowest"] for d in prof["by_label"].values() if d["slowest"]), key=lambda s: -s[0]
    )[:4]
    for seconds, sql in slow:
        print(f"    {seconds:6.2f}s  {sql[:200]}{'...' if len(sql) > 200 else ''}")


def _versions() -> str:
    from importlib.metadata import version

    out = []
    for pkg in ("great_expectations", "duckdb", "duckdb_engine", "sqlalchemy"):
        with contextlib.suppress(Exception):
            out.append(f"{pkg.replace('_', '-')} {version(pkg)}")
    return ", ".join(out)


# --------------------------------------------------------------------------------- main


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=5_000_000, help="raw.membership rows")
    ap.add_argument(
        "--workdir",
        type=Path,
        help="where the warehouse and worker logs go (kept); default: a temp dir, removed",
    )
    ap.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile GX's queries: auto = when GX is over 3x the query (default)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each validation and query per subprocess; the median is reported",
    )
    ap.add_argument("--json", type=Path, help="also write all measurements to this JSON file")
    args = ap.parse_args()
    if args.rows < 1000:
        ap.error("--rows must be at least 1000")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    load_before = os.getloadavg()[0]
    t_start = time.perf_counter()
    tmp = None
    if args.workdir is None:
        tmp = tempfile.mkdtemp(prefix="cakupan-bench-")
        workdir = Path(tmp)
    else:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "warehouse.duckdb"
    try:
        print(f"Generating {args.rows:,} raw.membership rows in {db} ...", flush=True)
        info = generate(db, args.rows)
        info["load_before"] = load_before
        print(
            f"  raw.membership {info['raw_rows']:,} rows in {info['generate_raw_s']:.1f}s, "
            f"staging.membership {info['staging_rows']:,} rows in "
            f"{info['generate_staging_s']:.1f}s (sql/staging/membership.sql)",
            flush=True,
        )
        res: dict[str, dict[str, Any]] = {}
        for table in TABLES:
            for kind in ("query", "gx"):
                print(f"Running {kind} on {TABLES[table]} (subprocess) ...", flush=True)
                res[f"{kind}-{table}"] = run_worker(kind, table, db, workdir, args.repeat)
        agree = print_report(info, res)

        profiles = {}
        for table in TABLES:
            ratio = res[f"gx-{table}"]["run_s"] / res[f"query-{table}"]["run_s"]
            if args.profile == "always" or (args.profile == "auto" and ratio > TARGET_RATIO):
                print(f"\nProfiling GX on {TABLES[table]} (subprocess) ...", flush=True)
                profiles[table] = run_worker("gx-profile", table, db, workdir, 2)
                print_profile(
                    table,
                    profiles[table]["profile"],
                    res[f"gx-{table}"],
                    res[f"query-{table}"],
                )
        total = time.perf_counter() - t_start
        print(f"\nWhole benchmark: {total:.0f}s (generation included)")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"info": info, "results": res, "profiles": profiles, "total_s": total},
                    indent=2,
                    default=str,
                ),
                encoding="utf-8",
            )
        return 0 if agree else 1
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
