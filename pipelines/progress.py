"""What a ``cakupan`` run tells as it goes, and the full log it keeps.

A Dagster logger (``run_loggers``) turns the run's event stream into one line per step as
it starts and ends (elapsed time, row counts of the tables it wrote, checks run) and one
line per warning or error the assets log (skipped files, invalid NIKs, unknown programs,
rejected files); it also writes every event and message, DEBUG included, to a log file.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TextIO

import dagster as dg

LOGGER_NAME = "cakupan"  # the key of the logger in the run config
FILE_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"
KEEP_LOGS = 100  # the full logs of the most recent runs kept in logs/; older ones go


class FullLog(logging.FileHandler):
    """The full log file; when it cannot be written (a full disk), says so once on standard
    error and the run goes on, instead of a traceback per record."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if not self.failed:
            self.failed = True
            error = sys.exc_info()[1]
            sys.stderr.write(f"cakupan: cannot write the full log {self.baseFilename}: {error}\n")


def log_path(logs_dir: Path, run_id: str) -> Path:
    """``<logs_dir>/<local time>_<run id>.log``: sorted by time, found by run id."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    return logs_dir / f"{stamp}_{run_id}.log"


def prune_logs(logs_dir: Path, keep: int = KEEP_LOGS) -> list[Path]:
    """Remove all but the ``keep`` newest run logs (their names sort by time); the removed."""
    old = sorted(logs_dir.glob("*_*.log"))[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return old


@contextmanager
def run_loggers(log_file: Path, stream: TextIO | None = None) -> Iterator[dict]:
    """``{LOGGER_NAME: LoggerDefinition}`` for the run's ``logger_defs``: progress lines to
    ``stream`` (default: this process's standard output) and the full log to ``log_file``.

    The progress stream is a duplicate of the standard output taken before the run, so the
    lines reach the terminal as they happen instead of through Dagster's capture of the
    run's output (which copies it to the terminal about once a second).
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    prune_logs(log_file.parent, KEEP_LOGS - 1)
    terminal, owned = (stream, False) if stream is not None else _terminal()
    full = FullLog(log_file, encoding="utf-8")
    full.setFormatter(logging.Formatter(FILE_FORMAT))
    full.addFilter(_with_details)
    handlers = [full, ProgressHandler(terminal)]

    def create(_init_context) -> logging.Logger:
        log = logging.Logger(LOGGER_NAME, logging.DEBUG)  # not registered: no propagation
        for handler in handlers:
            log.addHandler(handler)
        return log

    try:
        yield {
            LOGGER_NAME: dg.LoggerDefinition(
                create, description="cakupan: one line per step and warning, full log to a file"
            )
        }
    finally:
        full.close()
        with suppress(BrokenPipeError):
            terminal.flush()
        if owned:
            with suppress(BrokenPipeError):
                terminal.close()


def _terminal() -> tuple[TextIO, bool]:
    try:
        fd = os.dup(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (e.g. captured)
        return sys.stdout, False
    sys.stdout.flush()
    return open(fd, "w", encoding="utf-8", errors="replace", buffering=1), True  # noqa: SIM115


def _event(record: logging.LogRecord):
    meta = getattr(record, "dagster_meta", None) or {}
    return meta.get("dagster_event"), meta


def _with_details(record: logging.LogRecord) -> bool:
    """File log: add the row count of a materialization to its line."""
    event, _ = _event(record)
    if event is not None and event.is_step_materialization:
        rows = _row_count(event)
        if rows is not None:
            record.msg = f"{record.msg} ({rows:,} rows)"
    return True


def _row_count(event) -> int | None:
    value = event.step_materialization_data.materialization.metadata.get("dagster/row_count")
    return None if value is None else int(value.value)


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def step_name(step_key: str) -> str:
    """``raw__membership`` -> ``raw/membership`` (asset keys as the UI shows them)."""
    return step_key.replace("__", "/")


class ProgressHandler(logging.Handler):
    """One line per step start and end, and per warning or error logged by the run."""

    def __init__(self, stream: TextIO):
        super().__init__(logging.DEBUG)
        self.stream: TextIO | None = stream
        self.started: dict[str, float] = {}
        self.rows: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
        self.checks: dict[str, list] = defaultdict(list)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._emit(record)
        except Exception:
            self.handleError(record)

    def _emit(self, record: logging.LogRecord) -> None:
        event, meta = _event(record)
        step = meta.get("step_key")
        if event is None:
            if record.levelno >= logging.WARNING:
                level = "WARN " if record.levelno == logging.WARNING else "ERROR"
                where = f"{step_name(step)}: " if step else ""
                lines = str(meta.get("orig_message", record.msg)).strip().splitlines() or [""]
                more = " (...)" if len(lines) > 1 else ""
                self._line(record, level, where + lines[0] + more)
            return
        if event.is_step_start:
            self.started[step] = record.created
            self._line(record, "start", step_name(step))
        elif event.is_step_materialization:
            key = event.asset_key.to_user_string() if event.asset_key else step_name(step)
            if key not in (k for k, _ in self.rows[step]):  # once per partitioned asset
                self.rows[step].append((key, _row_count(event)))
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            self.checks[step].append(event.asset_check_evaluation_data)
        elif event.is_step_success:
            seconds = event.step_success_data.duration_ms / 1000
            self._line(record, "done ", f"{step_name(step)}  {seconds:.1f} s{self._what(step)}")
        elif event.is_step_failure:
            seconds = record.created - self.started.get(step, record.created)
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            reason = error.message.strip().splitlines()[0] if error else "failed"
            self._line(record, "FAIL ", f"{step_name(step)}  {seconds:.1f} s: {reason}")
        elif event.is_step_skipped:
            self._line(record, "skip ", f"{step_name(step)} (an earlier step failed)")

    def _what(self, step: str) -> str:
        """``  1,234 rows`` (one table), ``  a 12 rows, b 3 rows`` (several), checks run."""
        parts = []
        rows = self.rows.pop(step, [])
        if len(rows) == 1 and rows[0][1] is not None:
            parts.append(_rows(rows[0][1]))
        elif rows:
            parts.append(", ".join(f"{key} {_rows(n)}" for key, n in rows if n is not None))
        checks = self.checks.pop(step, [])
        if checks:
            failed = [c for c in checks if not c.passed]
            blocking = sum(c.severity == dg.AssetCheckSeverity.ERROR for c in failed)
            text = f"{len(checks)} checks"
            if failed:
                text += f", {len(failed) - blocking} WARN, {blocking} blocking failure(s)"
            else:
                text += " passed"
            parts.append(text)
        return "".join(f"  {p}" for p in parts if p)

    def _line(self, record: logging.LogRecord, mark: str, text: str) -> None:
        if self.stream is None:
            return
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        try:
            self.stream.write(f"  [{clock}] {mark} {text}\n")
            self.stream.flush()
        except BrokenPipeError:  # the reader has gone (`cakupan run | head`): the run goes on
            self.stream = None
