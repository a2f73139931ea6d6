"""The record of rejected landing files: ``ops.rejected_files`` in the warehouse and
``$CAKUPAN_OUTPUT_DIR/rejected_files.csv`` (file, line, column, value, reason).

Both describe the landing of the latest run that ingested: its rejections of every kind,
never an earlier run's. The CSV is removed when that run rejected nothing.
"""

from __future__ import annotations

import duckdb

from cakupan.config import Settings
from cakupan.landing import Rejection, write_rejections

DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.rejected_files (
    run_id VARCHAR, kind VARCHAR, file VARCHAR, line BIGINT, "column" VARCHAR,
    value VARCHAR, reason VARCHAR
);
"""


def start(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str) -> None:
    """Forget every earlier run's rejections, before a run ingests anything (idempotent)."""
    record(con, settings, run_id, None, [])


def record(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    kind: str | None,
    rejections: list[Rejection],
) -> None:
    """Replace the rejections of one kind of extract and rewrite rejected_files.csv.

    Rows of earlier runs go too: the record only ever holds the current run's.
    """
    con.execute(DDL)
    con.execute(
        "DELETE FROM ops.rejected_files WHERE run_id IS DISTINCT FROM ? OR kind = ?",
        [run_id, kind],
    )
    if rejections:
        con.executemany(
            "INSERT INTO ops.rejected_files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [[run_id, kind, r.file, r.line, r.column, r.value, r.reason] for r in rejections],
        )
    rows = con.execute(
        """SELECT file, line, "column", value, reason FROM ops.rejected_files
           ORDER BY file, line NULLS FIRST, "column" """
    ).fetchall()
    if rows:
        write_rejections(settings.rejected_files_path, [Rejection(*row) for row in rows])
    else:
        settings.rejected_files_path.unlink(missing_ok=True)


def for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Rejection]:
    """The rejections a run recorded."""
    con.execute(DDL)
    rows = con.execute(
        """SELECT file, line, "column", value, reason FROM ops.rejected_files
           WHERE run_id = ? ORDER BY file, line NULLS FIRST, "column" """,
        [run_id],
    ).fetchall()
    return [Rejection(*row) for row in rows]
