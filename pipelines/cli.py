"""The ``cakupan`` command: run the pipeline once, in process, and say what it published.

Exit status: 0 published (or, for ``validate``, nothing blocking found); 2 landing files
were rejected (nothing new published); 1 any other failure, a blocking data-quality check
included (the previous published database stays).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_REJECTED = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cakupan", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "materialize every asset once and publish coverage.duckdb"),
        ("validate", "check and validate a landing folder without publishing"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("--landing", help="landing folder (default: $CAKUPAN_LANDING_DIR)")
        command.add_argument("--output", help="output folder (default: $CAKUPAN_OUTPUT_DIR)")
        command.add_argument("-v", "--verbose", action="store_true", help="show Dagster's log")
    query = commands.add_parser("query", help="run SQL on the published coverage.duckdb")
    query.add_argument("sql", help="SQL to run (read-only)")
    query.add_argument("--output", help="output folder (default: $CAKUPAN_OUTPUT_DIR)")
    _add_brief_parser(commands)  # reports: `cakupan brief` (block below)
    args = parser.parse_args(argv)

    from cakupan.config import Settings

    settings = Settings.from_env(getattr(args, "landing", None), args.output)
    if args.command == "brief":
        return _brief(settings, args)
    if args.command == "query":
        return _query(settings, args.sql)
    if args.command == "validate":
        return _validate(settings, verbose=args.verbose)
    return _run(settings, verbose=args.verbose)


def _run(settings, verbose: bool) -> int:
    from cakupan import runlock

    if not _landing_ok(settings):
        return EXIT_FAILED
    run_id = str(uuid.uuid4())
    try:  # one run at a time on this output folder, the report after it included
        with runlock.hold(settings.output, run_id, on_wait=_waiting):
            result, status = _execute("cakupan", settings, verbose, run_id)
            if result is None:
                return status
            _print_checks(result, failures_only=True)
            if result.success:
                _summary(settings)
                return EXIT_OK
            return _explain_failure(result, settings)
    except runlock.RunLockError as exc:
        print(f"cakupan: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _waiting(message: str) -> None:
    print(f"cakupan: {message}", flush=True)


def _validate(configured, verbose: bool) -> int:
    from cakupan.config import PseudonymKeyConflict

    try:  # the key of the real runs (moved out of the output folder first, if there)
        configured.pseudonym_key()
    except PseudonymKeyConflict as exc:
        print(f"cakupan: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    with tempfile.TemporaryDirectory(prefix="cakupan-validate-") as scratch:
        settings = configured.with_output(scratch)
        result, status = _execute("validate", settings, verbose, log_dir=configured.output)
        if result is None:
            return status
        _print_checks(result, failures_only=False)
        if result.success:
            print("Validation passed: nothing blocks publishing (nothing was published).")
            return EXIT_OK
        return _explain_failure(result, settings)


def _execute(job_name: str, settings, verbose: bool, run_id=None, log_dir: Path | None = None):
    """Run a job in process; (result, None), or (None, exit status) when it cannot start.

    One line per step and warning is printed as the run goes (all of Dagster's log with
    ``verbose``); the full log is kept in ``$CAKUPAN_OUTPUT_DIR/logs/`` and the run in the
    persistent Dagster instance (``_instance``), so the UI's run history shows it.
    """
    if not _landing_ok(settings):
        return None, EXIT_FAILED

    import dagster as dg

    from pipelines import progress
    from pipelines.definitions import build_definitions

    run_id = run_id or str(uuid.uuid4())
    log_dir = log_dir or settings.output
    log_file = progress.log_path(log_dir.resolve() / "logs", run_id)
    loggers = {progress.LOGGER_NAME: {}}
    if verbose:
        loggers["console"] = {"config": {"log_level": "INFO"}}
    print(f"cakupan: running job {job_name!r} on {settings.landing_dir}", flush=True)
    with progress.run_loggers(log_file) as run_loggers, _instance(log_dir) as instance:
        defs = build_definitions(
            settings, loggers={"console": dg.colored_console_logger, **run_loggers}
        )
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_id=run_id,
            run_config={"loggers": loggers},
        )
    print(f"cakupan: run {run_id}; full log: {log_file}", flush=True)
    return result, None


def _landing_ok(settings) -> bool:
    """Whether the landing folder can be read (else say so, naming the folder)."""
    from cakupan.config import LandingDirectoryError

    try:
        settings.check_landing()
    except LandingDirectoryError as exc:
        print(f"cakupan: error: {exc}", file=sys.stderr)
        return False
    return True


def _instance(output: Path):
    """The persistent Dagster instance of ``$DAGSTER_HOME``, else of
    ``$CAKUPAN_OUTPUT_DIR/dagster_home`` (the one ``make dev`` uses), created like
    ``make dev`` creates it."""
    import dagster as dg

    from cakupan.config import PROJECT_ROOT

    home = Path(os.environ.get("DAGSTER_HOME") or output / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copy(PROJECT_ROOT / "pipelines" / "dagster_home_template" / "dagster.yaml", config)
    return dg.DagsterInstance.from_config(str(home.resolve()))


def _print_checks(result, failures_only: bool) -> None:
    """Data-quality checks of the run: every failure, or all of them."""
    evaluations = sorted(
        result.get_asset_check_evaluations(),
        key=lambda e: (e.asset_key.to_user_string(), e.check_name),
    )
    if not evaluations:
        return
    failed = [e for e in evaluations if not e.passed]
    blocking = [e for e in failed if e.severity.value == "ERROR"]
    print(
        f"Data quality: {len(evaluations)} checks, {len(failed) - len(blocking)} warning(s), "
        f"{len(blocking)} blocking failure(s)"
    )
    for e in evaluations:
        if failures_only and e.passed:
            continue
        mark = "ok  " if e.passed else ("WARN" if e.severity.value == "WARN" else "FAIL")
        observed = e.metadata.get("observed value")
        text = "; ".join(str(observed.value).splitlines()) if observed else ""
        print(f"  {mark} {e.asset_key.to_user_string()} {e.check_name}: {text}")


def _explain_failure(result, settings) -> int:
    from assets.resources import CakupanSettings, Warehouse
    from cakupan import rejections

    with Warehouse(settings=CakupanSettings.of(settings)).get_connection() as con:
        rejected = rejections.for_run(con, result.run_id)
    if rejected:
        files = sorted({r.file for r in rejected})
        print(
            f"cakupan: {len(files)} landing file(s) rejected; nothing new was published "
            f"(the previous {settings.published_path.name} stays):",
            file=sys.stderr,
        )
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
    import shutil

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
    print(f'  {"uv run cakupan" if shutil.which("uv") else _this_command()} query "{latest}"')
    if shutil.which("duckdb"):  # a DuckDB 1.1+ CLI opens the file too
        print(f'  duckdb -readonly {path} -c "{latest}"')


def _this_command() -> str:
    """How to call this command again (uv may not be on PATH: make bootstraps its own)."""
    argv0 = Path(sys.argv[0])
    return str(argv0) if argv0.name == "cakupan" and argv0.exists() else "cakupan"


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _fmt_int(value) -> str:
    return "n/a" if value is None else f"{value:,}"


def _query(settings, sql: str) -> int:
    import duckdb

    path = settings.published_path
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


# --- reports: `cakupan brief` --------------------------------------------------------------


def _add_brief_parser(commands) -> None:
    text = "write the page of one kab/kota from the published coverage.duckdb"
    brief = commands.add_parser("brief", help=text, description=text)
    brief.add_argument("region_code", help="Kemendagri kab/kota code, e.g. 61.72")
    brief.add_argument("--lang", choices=("id", "en"), default="id", help="language (id)")
    brief.add_argument("--snapshot", help="snapshot date YYYY-MM-DD (default: the latest)")
    brief.add_argument(
        "-o", "--out", help="file to write (default: $CAKUPAN_OUTPUT_DIR/briefs/<code>.html)"
    )
    brief.add_argument("--output", help="output folder (default: $CAKUPAN_OUTPUT_DIR)")


def _brief(settings, args) -> int:
    """Write one kab/kota's page (any snapshot, Indonesian or English) and print its path."""
    from cakupan.reports.data import PublishedDatabaseError
    from cakupan.reports.pages import brief_path, write_brief

    dest = Path(args.out) if args.out else None
    dest = dest or brief_path(
        settings.output / "briefs", args.region_code, args.lang, args.snapshot
    )
    try:
        path = write_brief(
            settings.published_path,
            settings.output / "reports",
            args.region_code,
            dest,
            lang=args.lang,
            snapshot=args.snapshot,
        )
    except (PublishedDatabaseError, ValueError) as exc:
        print(f"cakupan: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(path.resolve())
    return EXIT_OK


# --- end of reports ------------------------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())
