"""Dagster resources of cakupan: its settings and its working DuckDB warehouse.

Both are configured by the code location (``pipelines/definitions.py``): from
``dg.EnvVar`` of each ``CAKUPAN_`` variable (``cakupan.config.VARIABLES``), read when a run
starts or a sensor or the schedule is evaluated, or with explicit values by ``cakupan run``
and the tests.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from cakupan import files, private, runlock
from cakupan.config import Settings, field_variables


class CakupanSettings(dg.ConfigurableResource):
    """The settings (:class:`cakupan.config.Settings`): the text of each variable of a
    field, read by the one table ``cakupan.config.VARIABLES`` (defaults, checks, errors
    naming the variable). The pseudonymization key is not one: config is shown in the UI
    and the key must never be."""

    values: dict[str, str]  # variable name -> its text; dg.EnvVar of it in the code location

    @classmethod
    def from_env(cls) -> CakupanSettings:
        """dg.EnvVar of each variable (unset ones are set empty first: read as their
        default), so that values are read when used and never show in the UI."""
        return cls(values={name: dg.EnvVar(name) for name in field_variables(os.environ)})

    @classmethod
    def of(cls, settings: Settings) -> CakupanSettings:
        return cls(values=settings.variables())

    def get(self) -> Settings:
        """The plain settings the core library takes (SettingError naming a bad variable)."""
        return Settings.of_variables(self.values)


class Warehouse(dg.ConfigurableResource):
    """The pipeline's working DuckDB database, ``$CAKUPAN_OUTPUT_DIR/private/warehouse.duckdb``.

    A run that uses it holds the run lock of the output folder from its first step to its
    last (``cakupan.runlock``): one run at a time, whether started by ``cakupan run``, the
    schedule, the UI or ``dagster job execute``. Under the lock, an output folder of the
    previous layout is moved into ``private/`` first, and the modes of what ``private/``
    holds are set when the run starts and ends (``cakupan.private``). Connections are
    always closed, also when the block raises.

    DuckDB keeps to ``memory_limit`` (``CAKUPAN_MEMORY_LIMIT``, default 4GB) and spills the
    rest to ``$CAKUPAN_OUTPUT_DIR/private/duckdb_spill`` (0700), emptied when a run starts
    (under the run lock, so never under another run). Ingest pseudonymizes each NIK in the
    query that reads it, before any operator that can spill, so the folder holds
    pseudonyms, never a NIK (docs/scaling.md).
    """

    settings: CakupanSettings

    @property
    def path(self) -> str:
        return str(self.settings.get().warehouse_path)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Warehouse]:
        log, run_id = context.log, context.run.run_id if context.run else None
        settings = self.settings.get()
        on_wait = log.warning if log else None
        with ExitStack() as stack:
            with output_failures(settings.output, "the run lock (.cakupan.lock)"):
                settings.ensure_private()
                held = stack.enter_context(runlock.hold(settings.lock_path, run_id, on_wait))
            stack.callback(private.secure, settings.private_dir)  # when the run ends
            with output_failures(settings.output, "the private folder (private)"):
                try:
                    moved = private.move_old_layout(settings, run_id, on_wait)
                except private.OldLayoutConflict as exc:
                    raise dg.Failure(description=str(exc)) from exc
                if moved and log:
                    log.warning(f"moved {', '.join(moved)} into {settings.private_dir}")
                private.secure(settings.private_dir)
            with output_failures(settings.temp_dir, "DuckDB's spill folder (duckdb_spill)"):
                temp_dir(settings, empty=True)  # spill files of a killed run
            if context.instance is not None:
                abandoned = _fail_abandoned_run(context.instance, held.previous)
                if abandoned and log:
                    log.warning(f"run {abandoned} had been killed: marked failed")
            with super().yield_for_execution(context) as resource:
                yield resource

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection; a full disk or a folder that is not writable, in the
        block too, fails the step with a dg.Failure naming the folder (output_failures)."""
        with output_failures(self.path, "the warehouse (warehouse.duckdb)"):
            settings = self.settings.get()
            settings.ensure_output()
            con = _connect(self.path, settings.memory_limit, temp_dir(settings), settings.sql_log)
            try:
                yield con
            finally:
                con.close()


@contextmanager
def output_failures(path, what: str) -> Iterator[None]:
    """Turn a write that failed on a full disk or a folder that is not writable into a
    dg.Failure naming the folder and what was being written (cakupan.files)."""
    try:
        yield
    except dg.Failure:
        raise
    except Exception as exc:
        error = files.output_folder_error(exc, path, what)
        if error is None:
            raise
        raise dg.Failure(
            description=str(error),
            metadata={
                "folder": dg.MetadataValue.path(str(error.folder)),
                "writing": dg.MetadataValue.text(error.what),
            },
        ) from error


def temp_dir(settings: Settings, empty: bool = False) -> Path:
    """DuckDB's spill folder ``<output>/private/duckdb_spill`` (0700); emptied first when
    ``empty``."""
    path = settings.temp_dir
    if empty:
        shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)  # also a folder an older version or a user made
    return path


def _connect(
    path: str, memory_limit: str, spill: Path, sql_log: str = "", attempts: int = 10
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-write with the memory limit and the spill folder; retry
    briefly while another connection in this process (GX's, closing) still holds the file.
    With ``sql_log``, DuckDB appends every statement to the CSV files of that folder
    (``duckdb_log_entries.csv``: the text when it starts, and each commit)."""
    config = {
        "custom_user_agent": "cakupan",
        "memory_limit": memory_limit,
        "temp_directory": str(spill),
    }
    for attempt in range(attempts):
        try:
            con = duckdb.connect(path, config=config)
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * 2**attempt)
        else:
            if sql_log:
                _log_statements(con, Path(sql_log))
            return con
    raise AssertionError("unreachable")


def _log_statements(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """DuckDB's own log at DEBUG (each statement's text, each commit, a few read-ahead
    notes) into CSV files in ``folder``, appended to. Operator entries are left out: one
    per pipeline would flood it."""
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(
        "CALL enable_logging(level = 'debug', storage = 'file', storage_path = $folder)",
        {"folder": str(folder)},
    )
    con.execute("SET disabled_log_types = 'PhysicalOperator'")


def _fail_abandoned_run(instance: dg.DagsterInstance, holder: runlock.Holder | None):
    """Mark ``holder``'s run failed when its process died mid-run (it left the lock file
    naming it) and the run still shows in progress: a run queue with one run at a time
    would otherwise wait for it forever. Returns the run id marked, if any."""
    if holder is None or not holder.run_id or runlock.is_alive(holder.pid):
        return None
    run = instance.get_run_by_id(holder.run_id)
    in_progress = {dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING}
    in_progress |= {dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING}
    if run is None or run.status not in in_progress:
        return None
    instance.report_run_failed(
        run, f"the process of this run (pid {holder.pid}) ended without finishing it"
    )
    return run.run_id
