"""The cakupan command: run the pipeline once, in process, and say what it published.

Exit status: 0 done (run: published; validate: nothing would block publishing); 2 landing
files were rejected (nothing new published); 1 any other failure: a blocking data-quality
check, no extracts to run on, a usage error, ... (the previous published database stays).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_REJECTED = 0, 1, 2
QUERY_MAX_ROWS = 40  # rows `cakupan query` shows by default (all with --csv)
REGIONS_SHOWN = 3  # top and bottom regions in the summary (in rank_national's order)
RANKED_TABLE = "reporting.coverage_by_city"
CHANGES_SHOWN = 5  # regions whose coverage changed most since the previous run

DESCRIPTION = """\
cakupan: employment social-security coverage (UCJ) per Indonesian kab/kota.
Runs the pipeline once, in process, and says what it published."""
EPILOG = """\
exit status:
  0  done: published (validate: nothing would block publishing; query: rows shown)
  1  failure: a blocking data-quality check, no workforce or membership file, a missing
     folder, another run holding the output folder, a usage error, ...; the previous
     coverage.duckdb stays
  2  landing files were rejected: nothing new was published (validate: a run would
     publish nothing); see rejected_files.csv

environment:
  CAKUPAN_LANDING_DIR    folder of extracts (default: {landing}, the embedded sample)
  CAKUPAN_OUTPUT_DIR     where cakupan writes (default: {output})
  CAKUPAN_PSEUDONYM_KEY  secret for NIK pseudonyms (default: a key file in ~/.config/cakupan)
  CAKUPAN_SETTLE_SECONDS  seconds a landing file must be left unchanged before it is read
                          (default 60; 0: as it is); run and validate wait at most 5 times
                          as long for it, then leave it for the next run
  see README.md for CAKUPAN_STORAGE_VERSION, CAKUPAN_LOCK_TIMEOUT and DAGSTER_HOME
"""


COMMAND_EXITS = {  # each command's own exit statuses, for its --help
    "run": """\
exit status:
  0  published (or nothing changed since the last run)
  1  failure: a blocking data-quality check, no workforce or membership file, a missing
     folder, another run holding the output folder, a usage error, ...; the previous
     coverage.duckdb stays
  2  landing files were rejected: nothing new was published; see rejected_files.csv
""",
    "validate": """\
exit status:
  0  nothing would block publishing (nothing is published)
  1  a blocking data-quality check fails, no workforce or membership file, a missing
     folder, a usage error, ...
  2  landing files would be rejected: a run would publish nothing; see
     validate/rejected_files.csv
""",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 1: status 2 means files were rejected."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_FAILED, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    from cakupan.config import DEFAULT_OUTPUT_DIR, PROJECT_ROOT, SAMPLE_LANDING_DIR

    def shown(path: Path) -> str:
        return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else path

    landing_default = f"$CAKUPAN_LANDING_DIR, else {shown(SAMPLE_LANDING_DIR)}"
    output_default = f"$CAKUPAN_OUTPUT_DIR, else {shown(DEFAULT_OUTPUT_DIR)}"
    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="cakupan",
        description=DESCRIPTION,
        epilog=EPILOG.format(landing=shown(SAMPLE_LANDING_DIR), output=shown(DEFAULT_OUTPUT_DIR)),
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"cakupan {_version()}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for name, text in (
        ("run", "materialize every asset once and publish coverage.duckdb"),
        ("validate", "check and validate a landing folder without publishing"),
    ):
        command = commands.add_parser(
            name, help=text, description=text, epilog=COMMAND_EXITS[name], formatter_class=raw
        )
        command.add_argument(
            "--landing", metavar="DIR", help=f"landing folder (default: {landing_default})"
        )
        command.add_argument(
            "--output", metavar="DIR", help=f"output folder (default: {output_default})"
        )
        command.add_argument("-v", "--verbose", action="store_true", help="show Dagster's log")
        if name == "run":
            command.add_argument(
                "--force",
                action="store_true",
                help="run and read every landing file again, even when nothing changed",
            )
    text = "run read-only SQL on the published coverage.duckdb"
    query = commands.add_parser("query", help=text, description=text)
    query.add_argument("sql", help="SQL to run (read-only)")
    query.add_argument("--output", metavar="DIR", help=f"output folder (default: {output_default})")
    shape = query.add_mutually_exclusive_group()
    shape.add_argument(
        "--csv", action="store_true", help="write every row as CSV (with a header) to stdout"
    )
    shape.add_argument(
        "--max-rows",
        type=_positive,
        default=QUERY_MAX_ROWS,
        metavar="N",
        help=f"rows shown in the table (default: {QUERY_MAX_ROWS}); every column is shown",
    )
    _add_brief_parser(commands)  # reports: `cakupan brief` (block below)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cakupan")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """The ``cakupan`` command; returns the exit status (see ``--help``)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help and --version (0), usage errors (1)
        return exc.code if isinstance(exc.code, int) else EXIT_FAILED
    if args.command is None:  # bare `cakupan`: what it can do
        parser.print_help()
        return EXIT_OK

    from cakupan.config import SettingError, Settings

    try:
        settings = Settings.from_env(getattr(args, "landing", None), args.output)
    except SettingError as exc:
        _err(f"cakupan: error: {exc}")
        return EXIT_FAILED
    if args.command == "brief":
        return _brief(settings, args)
    if args.command == "query":
        return _query(settings, args.sql, csv_output=args.csv, max_rows=args.max_rows)
    if args.command == "validate":
        return _validate(settings, verbose=args.verbose)
    return _run(settings, verbose=args.verbose, force=args.force)


# -- output that survives a closed pipe (`cakupan ... | head`) -------------------------------


def _out(*lines: str) -> None:
    """Print to stdout; once the reader has gone (a closed pipe), print nothing more."""
    try:
        for line in lines:
            print(line, flush=True)
    except BrokenPipeError:
        _stdout_to_devnull()


def _err(*lines: str) -> None:
    try:  # stdout's lines first
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass
    for line in lines:
        print(line, file=sys.stderr, flush=True)


def _stdout_to_devnull() -> None:
    """What the Python documentation advises on a broken pipe (signal module, "Note on
    SIGPIPE"): later output and the flush at exit go nowhere, without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


# -- run and validate ------------------------------------------------------------------------


def _run(settings, verbose: bool, force: bool = False) -> int:
    from cakupan import ledger, private, runlock

    if not _preflight(settings) or not _output_ready(settings, room=False):
        return EXIT_FAILED
    run_id = str(uuid.uuid4())
    try:  # one run at a time on this output folder, the report after it included
        settings.ensure_private()
        with runlock.hold(settings.lock_path, run_id, on_wait=_waiting):
            # an output folder of the previous layout (its lock too) moves into private/
            private.move_old_layout(settings, run_id, on_wait=_waiting)
            _settle(settings)  # files still being written: waited for, or left for later
            # decided from the ingest ledger before Dagster or GX is imported
            unchanged = None if force else ledger.nothing_changed(settings)
            if unchanged:
                _out(f"cakupan: {unchanged}")
                return EXIT_OK
            if not _output_ready(settings, room=True):  # room for a run (not for a no-op)
                return EXIT_FAILED
            before = Figures.read(settings.published_path)  # before this run replaces it
            tags = {ledger.FORCE_TAG: "true"} if force else None
            result = _execute("cakupan", settings, verbose, run_id, tags=tags)
            if not result.success:
                return _explain_failure(result, settings)
            _print_checks(settings.published_path, failures_only=True)
            _summary(settings, before)
            return EXIT_OK
    except (runlock.RunLockError, private.OldLayoutConflict) as exc:
        _err(f"cakupan: error: {exc}")
        return EXIT_FAILED
    except Exception as exc:  # the lock file, logs, Dagster instance: a full disk, read-only
        if not _output_failed(exc, settings):
            raise
        return EXIT_FAILED


# -- a full disk, an output folder that is not writable --------------------------------------


def _output_ready(settings, room: bool) -> bool:
    """Whether the output folder takes new files and (``room``) has room for a run
    (``Settings.check_output``); else say which folder and why."""
    from cakupan.files import OutputFolderError

    try:
        settings.check_output(room)
    except OutputFolderError as exc:
        _err(f"cakupan: error: {exc}", _KEPT.format(name=settings.published_path.name))
        return False
    return True


_KEPT = "cakupan: nothing was published (the previous {name}, if any, stays as it was)"


def _output_failed(exc: BaseException, settings) -> bool:
    """Say so when ``exc`` is a full disk or a folder that is not writable (True)."""
    from cakupan.files import output_folder_error

    error = output_folder_error(exc, settings.output, "the run's files")
    if error is None:
        return False
    _err(f"cakupan: error: {error}", _KEPT.format(name=settings.published_path.name))
    return True


def _waiting(message: str) -> None:
    _out(f"cakupan: {message}")


def _settle(settings) -> None:
    """Wait for the landing files still being written (``cakupan.settling``), saying which
    on stderr, at most ``settling.wait_bound``; warn of each one still being written then:
    the run leaves it for the next (its previous version's rows, if any, stay)."""
    from cakupan import preflight, settling

    settle, landing = settings.settle, settings.landing
    bound = settling.wait_bound(settle)

    def waiting(name: str, age: float) -> None:
        _err(
            f"cakupan: waiting for {name} to settle: modified {age:.0f} s ago, less than "
            f"CAKUPAN_SETTLE_SECONDS={settle:g} (a copy may still be writing it); "
            f"waiting at most {bound:g} s"
        )

    late = settling.wait(landing, lambda: preflight.scan(landing).names, settle, waiting)
    for name, age in sorted(late.items()):
        _err(
            f"cakupan: warning: {name} is still being written after {bound:g} s (modified "
            f"{age:.0f} s ago): left for the next run; the rows of its version loaded "
            "before, if any, stay"
        )


def _validate(configured, verbose: bool) -> int:
    """Run the ``validate`` job in a scratch output folder, recorded in a Dagster instance
    of its own that ends with it (in memory): the runs' history, the assets'
    materializations and their freshness stay the real runs'. The full log is kept in
    ``$CAKUPAN_OUTPUT_DIR/private/logs/``, the rejections, if any, in
    ``$CAKUPAN_OUTPUT_DIR/validate/rejected_files.csv``."""
    from cakupan import private, runlock
    from cakupan.config import PseudonymKeyConflict

    if not _preflight(configured):
        return EXIT_FAILED
    try:  # the key of the real runs (moved out of the output folder first, if there)
        configured.pseudonym_key()
        # its log and run history go to private/: an output folder of the previous layout
        # is moved first (then no run of the previous layout can hold it)
        private.move_old_layout(configured, on_wait=_waiting)
    except (PseudonymKeyConflict, private.OldLayoutConflict, runlock.RunLockError) as exc:
        _err(f"cakupan: error: {exc}")
        return EXIT_FAILED
    _settle(configured)
    kept = validate_rejections_path(configured)
    import dagster as dg  # once the landing folder was found usable: it takes seconds

    with (
        tempfile.TemporaryDirectory(prefix="cakupan-validate-") as scratch,
        dg.DagsterInstance.ephemeral() as instance,
    ):
        settings = configured.with_output(scratch)
        result = _execute("validate", settings, verbose, kept=configured, instance=instance)
        kept.unlink(missing_ok=True)  # the previous validation's
        if result.success:
            _print_checks(settings.warehouse_path, False, run_ids=_run_ids(result))
            _out("Validation passed: nothing blocks publishing (nothing was published).")
            return EXIT_OK
        return _explain_failure(result, settings, kept_rejections=kept)


def validate_rejections_path(settings) -> Path:
    """Where ``cakupan validate`` keeps its rejections: never over a run's own file."""
    return settings.output / "validate" / settings.rejected_files_path.name


def _preflight(settings) -> bool:
    """Whether the landing folder can be read and holds workforce and membership files;
    else say why (naming the folders looked in). Warns when there are no targets."""
    from cakupan import preflight
    from cakupan.config import LandingDirectoryError

    try:
        landing = settings.check_landing()
        warnings = preflight.check(landing, option=settings.landing_option)
    except (LandingDirectoryError, preflight.NoExtractsError) as exc:
        _err(f"cakupan: error: {exc}")
        return False
    for warning in warnings:
        _out(f"cakupan: warning: {warning}")
    return True


def _execute(
    job_name: str,
    settings,
    verbose: bool,
    run_id=None,
    kept=None,
    tags=None,
    instance=None,
):
    """Run a job in process, as its ingest run and its snapshots run
    (``pipelines/runs.py``), and return their results.

    One line per step and warning is printed as the run goes (all of Dagster's log with
    ``verbose``); the full log is kept in the logs folder of ``kept`` (default:
    ``settings``; ``$CAKUPAN_OUTPUT_DIR/private/logs/``) and the run in ``instance``, by
    default the persistent Dagster instance (``_instance``), so the UI's run history shows
    it.
    """
    from contextlib import nullcontext

    import dagster as dg

    from cakupan import private
    from pipelines import progress, runs
    from pipelines.definitions import build_definitions

    run_id = run_id or str(uuid.uuid4())
    kept = kept or settings
    log_file = progress.log_path(kept.logs_dir.resolve(), run_id)
    loggers = {progress.LOGGER_NAME: {}}
    if verbose:
        loggers["console"] = {"config": {"log_level": "INFO"}}
    _out(f"cakupan: running job {job_name!r} on {settings.landing_dir}")
    kept.ensure_private()
    try:
        with (
            progress.run_loggers(log_file) as run_loggers,
            nullcontext(instance) if instance is not None else _instance(kept) as instance,
        ):
            defs = build_definitions(
                settings, loggers={"console": dg.colored_console_logger, **run_loggers}
            )
            result = runs.execute(
                defs.resolve_job_def(job_name),
                instance,
                settings.warehouse_path,
                run_id=run_id,
                tags=tags,
                run_config={"loggers": loggers},
                on_plan=lambda plan: _out(f"cakupan: {plan.describe()}"),
            )
    finally:  # the log, the instance's files: 0600 once written (whatever the umask)
        private.secure(kept.private_dir)
    names = ("ingest", "snapshots")
    done = " and ".join(f"{i} ({n})" for i, n in zip(result.run_ids, names, strict=False))
    _out(f"cakupan: run {done}; full log: {log_file}")
    return result


def _instance(settings):
    """The persistent Dagster instance of ``$DAGSTER_HOME``, else of
    ``$CAKUPAN_OUTPUT_DIR/private/dagster_home`` (the one ``make dev`` uses), created like
    ``make dev`` creates it."""
    import dagster as dg

    from cakupan.config import PROJECT_ROOT

    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copy(PROJECT_ROOT / "pipelines" / "dagster_home_template" / "dagster.yaml", config)
    return dg.DagsterInstance.from_config(str(home.resolve()))


def _run_ids(result) -> list[str]:
    """The ids of a whole run's Dagster runs (``runs.Runs``), or of a single run."""
    return list(getattr(result, "run_ids", [result.run_id]))


def _print_checks(
    database: Path, failures_only: bool, title: str = "Data quality", run_ids=None
) -> None:
    """The run's data-quality checks, every failure or all of them, from their one record
    (``quality.validation_results``) in ``database``: the published file after a run that
    published, the warehouse otherwise (only the rows of ``run_ids`` then: the tables the
    run did not reach keep an earlier run's results). Nothing when it cannot be read."""
    import duckdb

    from cakupan.sqlfiles import sql

    try:
        with duckdb.connect(str(database), read_only=True) as con:
            rows = con.execute(sql("quality/checks_of_runs.sql"), {"runs": run_ids}).fetchall()
    except duckdb.Error:  # no record to read (a run that failed early, a full disk)
        return
    if not rows:
        return
    failed = [r for r in rows if not r[3]]
    blocking = [r for r in failed if r[2] == "ERROR"]
    lines = [
        f"{title}: {len(rows)} checks, {len(failed) - len(blocking)} warning(s), "
        f"{len(blocking)} blocking failure(s)"
    ]
    for table, name, severity, success, snapshot, observed in rows:
        if failures_only and success:
            continue
        mark = "ok  " if success else ("FAIL" if severity == "ERROR" else "WARN")
        text = "; ".join(str(observed or "").splitlines())
        lines.append(f"  {mark} {table} {name}: {f'{snapshot}: ' if snapshot else ''}{text}")
    _out(*lines)


def _explain_failure(result, settings, kept_rejections: Path | None = None) -> int:
    """Say why a run failed, the rejected files first, then the checks that ran.

    ``kept_rejections``: for ``validate`` (whose ``settings`` is a scratch folder), where to
    keep the rejections it found.
    """
    from assets.resources import CakupanSettings, Warehouse
    from cakupan import rejections

    try:
        with Warehouse(settings=CakupanSettings.of(settings)).get_connection() as con:
            rejected = rejections.for_run(con, result.run_id)
    except Exception:  # e.g. a full disk: the failed steps say why below
        rejected = []
    validating = kept_rejections is not None
    if rejected:
        files = sorted({r.file for r in rejected})
        if validating:
            kept_rejections.parent.mkdir(parents=True, exist_ok=True)
            rejections.write_csv(kept_rejections, rejected)
            head = "a run on this landing folder would publish nothing"
        else:
            head = f"nothing new was published (the previous {settings.published_path.name} stays)"
        _err(
            f"cakupan: {len(files)} landing file(s) rejected; {head}:",
            *(f"  {r}" for r in rejected),
            f"cakupan: rejections written to {kept_rejections or settings.rejected_files_path}",
        )
        _print_checks(
            settings.warehouse_path,
            failures_only=not validating,
            title="Data quality (files read)",
            run_ids=_run_ids(result),
        )
        return EXIT_REJECTED
    blocking = [
        e
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity.value == "ERROR"
    ]
    if validating:
        head = "validation failed: a run on this landing folder would publish nothing"
    else:
        head = "the run failed; nothing new was published"
    lines = [f"cakupan: {head}:"]
    for e in blocking:
        lines.append(f"  blocking check {e.asset_key.to_user_string()} {e.check_name} failed")
    for event in result.all_events:
        if event.is_step_failure:
            error = _user_error(event.step_failure_data.error)
            message = error.message.strip() if error else "step failed"
            lines.append(f"  {event.step_key}: {message}")
    _err(*lines)
    _print_checks(settings.warehouse_path, not validating, run_ids=_run_ids(result))
    return EXIT_FAILED


def _user_error(error):
    """The error to show of a failed step: the user's exception, not Dagster's wrapper (an
    OutputFolderError rather than the OSError or DuckDB error it explains)."""
    while error is not None and error.cause is not None:
        if error.cls_name == "OutputFolderError":
            return error
        error = error.cause
    return error


# -- the summary of a published run ----------------------------------------------------------


@dataclass
class Figures:
    """The few published figures the summary compares between two runs."""

    national: dict[date, tuple]  # snapshot -> (regions, with potential, covered, potential, %)
    latest: date | None
    cities: dict[str, tuple] = field(default_factory=dict)  # code -> (name, %, covered, pot.)
    ranked: list[tuple] = field(default_factory=list)  # (code, name, %, covered, potential)
    sample: bool = False  # ops.run_status.sample: the landing folder is a sample

    @classmethod
    def read(cls, path: Path) -> Figures | None:
        """The figures of the published database ``path``; None when there is none (or it
        cannot be read, e.g. written by an older version)."""
        import duckdb

        from cakupan.sqlfiles import sql

        if not path.exists():
            return None
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                national = con.execute(sql("reporting/summary_national.sql")).fetchall()
                latest = national[-1][0] if national else None
                cities = con.execute(sql("reporting/summary_cities.sql"), [latest]).fetchall()
                order = sql("coverage/ranked_cities.sql").format(table=RANKED_TABLE)
                query = sql("reporting/summary_ranked.sql").format(ranked=order)
                ranked = con.execute(query).fetchall()
                try:  # a file published before ops.run_status had the column: not a sample
                    sample = con.execute(sql("reporting/summary_sample.sql")).fetchone()
                except duckdb.Error:
                    sample = (False,)
        except duckdb.Error:
            return None
        return cls(
            national={row[0]: row[1:] for row in national},
            latest=latest,
            cities={row[0]: row[1:] for row in cities},
            ranked=ranked,
            sample=bool(sample[0]),
        )


SAMPLE_LINE = (
    "SAMPLE DATA: these figures come from a sample landing folder (cakupan-sample.json), "
    "not real extracts"
)


def _summary(settings, before: Figures | None) -> None:
    from cakupan.sqlfiles import sql

    path = settings.published_path
    now = Figures.read(path)
    lines = [f"Published: {path}"]
    if now is not None and now.sample:
        lines.insert(0, SAMPLE_LINE)
    if now is None or now.latest is None:
        _out(*lines, "  (no snapshot)")
        return
    new = sorted(set(now.national) - set(before.national if before else ()))
    marks = {s: " (new)" if before and s in new else "" for s in now.national}
    lines.append("  snapshots: " + ", ".join(f"{s}{marks[s]}" for s in now.national))
    regions, with_potential, covered, potential, pct = now.national[now.latest]
    lines.append(
        f"Latest snapshot {now.latest}: national coverage {_pct(pct)} ({_int(covered)} of "
        f"{_int(potential)} workers; {with_potential} of {regions} kab/kota with a potential)"
    )
    top = now.ranked[:REGIONS_SHOWN]
    bottom = [r for r in now.ranked[::-1][:REGIONS_SHOWN] if r not in top]  # the lowest first
    for label, rows in (("highest", top), ("lowest ", bottom)):
        for code, name, pct_, covered_, potential_ in rows:
            lines.append(
                f"  {label} {code} {name}: {_pct(pct_)} ({_int(covered_)} of {_int(potential_)})"
            )
    lines += _changes(before, now)
    latest = " ".join(  # on one line, without its comments
        word
        for line in sql("reporting/summary_example.sql").splitlines()
        if not line.startswith("--")
        for word in line.split()
    )
    lines.append("Query it:")
    lines.append(
        f'  {"uv run cakupan" if shutil.which("uv") else _this_command()} query "{latest}"'
    )
    if shutil.which("duckdb"):  # a DuckDB 1.1+ CLI opens the file too
        lines.append(f'  duckdb -readonly {path} -c "{latest}"')
    for name, what in (("reports/index.html", "Briefs"), ("exports", "Exports")):
        if (path.parent / name).exists():  # written after the publish by the report assets
            lines.append(f"{what}: {path.parent / name}")
    _out(*lines)


def _changes(before: Figures | None, now: Figures) -> list[str]:
    """What changed since the previous published run: national coverage of the latest
    snapshot, the regions whose coverage changed most."""
    if before is None or before.latest is None:
        return ["Since the previous run: nothing to compare (no earlier coverage.duckdb)"]
    pct_was, pct_now = before.national[before.latest][4], now.national[now.latest][4]
    covered_was, covered_now = before.national[before.latest][2], now.national[now.latest][2]
    when = "" if before.latest == now.latest else f" ({before.latest} -> {now.latest})"
    lines = [f"Since the previous run{when}:"]
    if (pct_was, covered_was) == (pct_now, covered_now):
        lines.append(f"  national coverage unchanged: {_pct(pct_now)}")
    else:
        lines.append(
            f"  national coverage {_pct(pct_was)} -> {_pct(pct_now)} "
            f"({_delta(pct_was, pct_now)}; covered {_int(covered_was)} -> {_int(covered_now)})"
        )
    moved = []
    for code, (name, pct, *_) in now.cities.items():
        was = before.cities.get(code, (None, None))[1]
        if pct is not None and was is not None and round(abs(pct - was), 2) >= 0.01:
            moved.append((-abs(pct - was), code, name, was, pct))
    for _, code, name, was, pct in sorted(moved)[:CHANGES_SHOWN]:
        lines.append(f"  {code} {name}: {_pct(was)} -> {_pct(pct)} ({_delta(was, pct)})")
    if not moved:
        lines.append("  no kab/kota's coverage changed")
    elif len(moved) > CHANGES_SHOWN:
        lines.append(f"  ... {len(moved) - CHANGES_SHOWN} more kab/kota changed")
    return lines


def _this_command() -> str:
    """How to call this command again (uv may not be on PATH: make bootstraps its own)."""
    argv0 = Path(sys.argv[0])
    return str(argv0) if argv0.name == "cakupan" and argv0.exists() else "cakupan"


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def _delta(was: float | None, now: float | None) -> str:
    if was is None or now is None:
        return "n/a"
    return f"{now - was:+.2f} pt"


def _int(value) -> str:
    return "n/a" if value is None else f"{value:,}"


# -- query -----------------------------------------------------------------------------------


def _query(settings, sql: str, csv_output: bool, max_rows: int) -> int:
    import duckdb

    path = settings.published_path
    if not path.exists():
        _err(f"cakupan: error: {path} does not exist yet: run `make run` first")
        return EXIT_FAILED
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            try:
                if csv_output:
                    _write_csv(con.execute(sql))
                elif (relation := con.sql(sql)) is not None:  # None: a statement without rows
                    relation.show(max_width=1_000_000, max_rows=max_rows, max_col_width=80)
            except duckdb.Error as exc:
                _err(f"cakupan: error: {exc}")
                return EXIT_FAILED
    except BrokenPipeError:  # the reader took what it wanted (`cakupan query ... | head`)
        _stdout_to_devnull()
    return EXIT_OK


def _write_csv(cursor) -> None:
    """Every row of an executed statement, as CSV with a header (NULL as an empty field)."""
    if cursor.description is None:
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([column[0] for column in cursor.description])
    while rows := cursor.fetchmany(10_000):
        writer.writerows(rows)
    sys.stdout.flush()


# --- reports: `cakupan brief` --------------------------------------------------------------


def _add_brief_parser(commands) -> None:
    text = "write the page of one kab/kota or province from the published coverage.duckdb"
    brief = commands.add_parser("brief", help=text, description=text)
    brief.add_argument(
        "region_code",
        metavar="CODE",
        help="kab/kota (Kemendagri 61.72 or BPS 6172, as the landing files accept) or "
        "province (61)",
    )
    brief.add_argument("--lang", choices=("id", "en"), default="id", help="language (id)")
    brief.add_argument("--snapshot", help="snapshot date YYYY-MM-DD (default: the latest)")
    brief.add_argument(
        "--file",
        metavar="FILE",
        help="file to write (default: $CAKUPAN_OUTPUT_DIR/briefs/<code>.html)",
    )
    brief.add_argument(
        "--output", metavar="DIR", help="output folder (default: $CAKUPAN_OUTPUT_DIR)"
    )


def _brief(settings, args) -> int:
    """Write one kab/kota's or province's page (any snapshot, Indonesian or English) and
    print its path. The code may be any form the landing accepts (BPS codes through the
    bridges)."""
    from cakupan.regions import resolve
    from cakupan.reports.data import PublishedDatabaseError
    from cakupan.reports.pages import brief_path, write_brief

    try:
        region = resolve(args.region_code)
    except ValueError as exc:
        print(f"cakupan: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    dest = Path(args.file) if args.file else None
    dest = dest or brief_path(settings.output / "briefs", region.code, args.lang, args.snapshot)
    try:
        path = write_brief(
            settings.published_path,
            settings.output / "reports",
            region.code,
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
