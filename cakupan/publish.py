"""Publishing: the reporting tables written to a new DuckDB file that replaces
``coverage.duckdb`` whole, so readers never see a half-written database and a failed run
leaves the previous one in place.

The file is written in an older storage format (``CAKUPAN_STORAGE_VERSION``, default
``v1.1.0``) so that the DuckDB 1.x clients analysts have (DBeaver, R, Node, CLIs) open it.

A full disk or an output folder that is not writable fails with
:class:`cakupan.files.OutputFolderError` naming the folder; the previous file stays.

The run that publishes is published with the figures (:func:`record_run_status`), so that
reports need only ``coverage.duckdb``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from cakupan import files, rejections
from cakupan.config import DEFAULT_STORAGE_VERSION
from cakupan.sample import read_label
from cakupan.sqlfiles import columns, literal, run_sql

# The run that publishes, as tables of the published database: ``ops.run_status`` (one
# row: run id, start and publish time, status, data-quality counts, snapshots, whether the
# landing folder is a sample) and ``ops.rejected_files`` (the run's rejections).
# published table -> warehouse table, to add to what the publish step copies
STATUS_TABLES = {"ops.run_status": "ops.run_status", "ops.rejected_files": "ops.rejected_files"}


def publish(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    tables: dict[str, str],
    run_id: str,
    storage_version: str = DEFAULT_STORAGE_VERSION,
) -> list[Path]:
    """Copy ``tables`` (published ``schema.table`` -> warehouse ``schema.table``), with
    their constraints and COMMENTs, into a temporary file written with ``storage_version``,
    checkpoint and close it, then rename it over ``target``.

    Returns the temporary files of earlier, interrupted runs that it removed.
    """
    stale = remove_stale_temporaries(target)
    tmp = target.with_name(f".{target.name}.{run_id}.tmp")
    write(con, tmp, tables, storage_version)
    replace(tmp, target)
    return stale


def record_run_status(
    con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime | None, landing: Path | str
) -> None:
    """(Re)build ``ops.run_status`` (and ``ops.rejected_files``) in the warehouse for
    ``run_id`` (after its checks ran), just before the publish step copies them
    (:data:`STATUS_TABLES`); ``landing`` is the run's landing folder (is it a sample?
    :mod:`cakupan.sample`)."""
    run_sql(con, "quality/validation_results.sql")  # exists even if no check ran
    rejections.for_run(con, run_id)  # ops.rejected_files exists even if nothing was ingested
    con.execute("SET VARIABLE cakupan_run_id = ?", [run_id])
    con.execute("SET VARIABLE cakupan_run_started_at = CAST(? AS TIMESTAMPTZ)", [started_at])
    label = read_label(landing)
    con.execute("SET VARIABLE cakupan_sample = CAST(? AS BOOLEAN)", [label.sample])
    con.execute("SET VARIABLE cakupan_landing_label = CAST(? AS VARCHAR)", [label.label])
    run_sql(con, "reporting/run_status.sql")


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files (and their WALs) that killed runs left beside ``target``.
    Runs never overlap (one run at a time), so none of them is being written."""
    stale = sorted(
        p
        for pattern in (f".{target.name}.*.tmp", f".{target.name}.*.tmp.wal")
        for p in target.parent.glob(pattern)
    )
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def write(
    con: duckdb.DuckDBPyConnection, tmp: Path, tables: dict[str, str], storage_version: str
) -> None:
    """Write ``tables`` to the new DuckDB file ``tmp``, checkpointed and closed; on failure
    nothing is left behind (:class:`cakupan.files.OutputFolderError` when the disk is full
    or the folder is not writable)."""
    with files.writing(tmp, f"the new published database ({tmp.name})"):
        _remove(tmp)
        try:
            con.execute(
                f"ATTACH {literal(str(tmp))} AS published "
                f"(STORAGE_VERSION {literal(storage_version)})"
            )
        except duckdb.InvalidInputException as exc:
            _remove(tmp)
            raise ValueError(f"CAKUPAN_STORAGE_VERSION={storage_version!r}: {exc}") from exc
        except BaseException:
            _remove(tmp)
            raise
        _fill(con, tmp, tables)


def add(con: duckdb.DuckDBPyConnection, tmp: Path, tables: dict[str, str]) -> None:
    """Add ``tables`` to the new DuckDB file ``tmp`` made by :func:`write` (in its storage
    format), checkpointed and closed; on failure ``tmp`` is removed."""
    with files.writing(tmp, f"the new published database ({tmp.name})"):
        try:
            con.execute(f"ATTACH {literal(str(tmp))} AS published")
        except BaseException:
            _remove(tmp)
            raise
        _fill(con, tmp, tables)


def _fill(con: duckdb.DuckDBPyConnection, tmp: Path, tables: dict[str, str]) -> None:
    """Copy ``tables`` into the attached ``published`` (the file ``tmp``), checkpoint and
    detach it; on failure detach it and remove ``tmp``."""
    try:
        for dest, source in tables.items():
            con.execute(f"CREATE SCHEMA IF NOT EXISTS published.{dest.split('.')[0]}")
            _copy_table(con, source, f"published.{dest}")
        con.execute("CHECKPOINT published")
    except BaseException:
        try:  # on a full disk, DETACH fails too (its checkpoint), after detaching
            con.execute("DETACH DATABASE IF EXISTS published")
        except duckdb.Error:
            pass
        _remove(tmp)
        raise
    con.execute("DETACH published")


def replace(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` over ``target``, durably (fsync). The target's WAL goes first: a
    reader opening the new file while the old file's WAL is still there would replay it
    onto the new file."""
    with files.writing(target, f"the new published database ({target.name})"):
        try:
            Path(f"{target}.wal").unlink(missing_ok=True)
            files.replace(tmp, target)
        except BaseException:
            _remove(tmp)
            raise


def _copy_table(con: duckdb.DuckDBPyConnection, source: str, dest: str) -> None:
    """Create ``dest`` from the DDL of ``source`` (PRIMARY KEY, NOT NULL and other
    constraints kept, which CREATE TABLE AS drops), then copy the rows and COMMENTs."""
    schema, name = source.split(".")
    ddl, comment = con.execute(
        "SELECT sql, comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchall()[0]
    head = f"CREATE TABLE {source}("
    if not ddl.startswith(head):
        raise ValueError(f"unexpected DDL of {source}: {ddl[:100]}")
    con.execute(f"CREATE TABLE {dest}({ddl.removeprefix(head)}")
    con.execute(f"INSERT INTO {dest} SELECT * FROM {source}")
    if comment:
        con.execute(f"COMMENT ON TABLE {dest} IS {literal(comment)}")
    for column, _, text in columns(con, source):
        if text:
            con.execute(f'COMMENT ON COLUMN {dest}."{column}" IS {literal(text)}')


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
