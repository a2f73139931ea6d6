"""The ``cakupan`` command: run the pipeline once, in process, and say what it published.

Exit status: 0 published; 2 landing files were rejected (nothing new published); 1 any
other failure (the previous published database stays).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_REJECTED = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cakupan", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="materialize every asset once and publish")
    run.add_argument("--landing", help="landing folder (default: $CAKUPAN_LANDING_DIR)")
    run.add_argument("--output", help="output folder (default: $CAKUPAN_OUTPUT_DIR)")
    run.add_argument("-v", "--verbose", action="store_true", help="show Dagster's log")
    query = commands.add_parser("query", help="run SQL on the published coverage.duckdb")
    query.add_argument("sql", help="SQL to run (read-only)")
    query.add_argument("--output", help="output folder (default: $CAKUPAN_OUTPUT_DIR)")
    args = parser.parse_args(argv)

    if getattr(args, "landing", None):
        os.environ["CAKUPAN_LANDING_DIR"] = str(Path(args.landing).resolve())
    if args.output:
        os.environ["CAKUPAN_OUTPUT_DIR"] = str(Path(args.output).resolve())
    if args.command == "query":
        return _query(args.sql)
    return _run(verbose=args.verbose)


def _run(verbose: bool) -> int:
    from pipelines.settings import LandingDirectoryError, settings_from_env

    settings = settings_from_env()
    try:
        settings.landing  # noqa: B018 - fail early, naming the folder
    except LandingDirectoryError as exc:
        print(f"cakupan: error: {exc}", file=sys.stderr)
        return EXIT_FAILED

    import dagster as dg

    from pipelines import rejections
    from pipelines.definitions import build_definitions

    defs = build_definitions(settings)
    job = defs.resolve_job_def("cakupan")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
    level = "INFO" if verbose else "CRITICAL"
    print(f"cakupan: running on {settings.landing_dir}", flush=True)
    with instance or dg.DagsterInstance.ephemeral() as inst:
        result = job.execute_in_process(
            instance=inst,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": level}}}},
        )
    if result.success:
        _summary(settings)
        return EXIT_OK

    with defs.resources["warehouse"].get_connection() as con:
        rejected = rejections.for_run(con, result.run_id)
    if rejected:
        files = sorted({r.file for r in rejected})
        print(f"cakupan: {len(files)} landing file(s) rejected; nothing new was published "
              f"(the previous {settings.published_path.name} stays):", file=sys.stderr)
        for r in rejected:
            print(f"  {r}", file=sys.stderr)
        print(f"cakupan: rejections written to {settings.rejected_files_path}", file=sys.stderr)
        return EXIT_REJECTED
    print("cakupan: the run failed; nothing new was published:", file=sys.stderr)
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause  # the user's exception, not Dagster's wrapper
            message = error.message.strip() if error else "step failed"
            print(f"  {event.step_key}: {message}", file=sys.stderr)
    return EXIT_FAILED


def _summary(settings) -> None:
    import duckdb

    path = settings.published_path
    with duckdb.connect(str(path), read_only=True) as con:
        national = con.execute(
            """SELECT snapshot_date, regions, regions_with_potential, covered_total,
                      potential_total, coverage_pct
               FROM reporting.coverage_national ORDER BY snapshot_date"""
        ).fetchall()
    print(f"Snapshots processed: {len(national)}")
    for snapshot, regions, with_potential, covered, potential, pct in national:
        print(
            f"  {snapshot}: {regions} kab/kota ({with_potential} with a workforce round), "
            f"national coverage {_fmt(pct)}% ({covered:,} of {_fmt_int(potential)} workers)"
        )
    print(f"Published: {path}")
    latest = (
        "SELECT region_code, region_name, potential_total, covered_total, coverage_pct "
        "FROM reporting.coverage_by_city "
        "WHERE snapshot_date = (SELECT max(snapshot_date) FROM reporting.coverage_by_city) "
        "ORDER BY coverage_pct DESC NULLS LAST LIMIT 10"
    )
    print("Query it:")
    print(f'  duckdb -readonly {path} -c "{latest}"')
    print(f'  uv run cakupan query "{latest}"')


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _fmt_int(value) -> str:
    return "n/a" if value is None else f"{value:,}"


def _query(sql: str) -> int:
    import duckdb

    from pipelines.settings import settings_from_env

    path = settings_from_env().published_path
    if not path.exists():
        print(f"cakupan: error: {path} does not exist yet: run `make run` first", file=sys.stderr)
        return EXIT_FAILED
    with duckdb.connect(str(path), read_only=True) as con:
        try:
            con.sql(sql).show(max_width=200)
        except duckdb.Error as exc:
            print(f"cakupan: error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
