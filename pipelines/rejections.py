"""The record of rejected landing files: ``ops.rejected_files`` in the warehouse and
``$CAKUPAN_OUTPUT_DIR/rejected_files.csv`` (file, line, column, value, reason)."""

from __future__ import annotations

import duckdb

from pipelines.landing import Rejection, write_rejections
from pipelines.settings import CakupanSettings

DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.rejected_files (
    run_id VARCHAR, kind VARCHAR, file VARCHAR, line BIGINT, "column" VARCHAR,
    value VARCHAR, reason VARCHAR
);
"""


def record(
    con: duckdb.DuckDBPyConnection,
    settings: CakupanSettings,
    run_id: str,
    kind: str,
    rejections: list[Rejection],
) -> None:
    """Replace the rejections of one kind of extract and rewrite rejected_files.csv."""
    con.execute(DDL)
    con.execute("DELETE FROM ops.rejected_files WHERE kind = ?", [kind])
    if rejections:
        con.executemany(
            "INSERT INTO ops.rejected_files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [[run_id, kind, r.file, r.line, r.column, r.value, r.reason] for r in rejections],
        )
    rows = con.execute(
        """SELECT file, line, "column", value, reason FROM ops.rejected_files
           ORDER BY file, line NULLS FIRST, "column" """
    ).fetchall()
    write_rejections(settings.rejected_files_path, [Rejection(*row) for row in rows])


def for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Rejection]:
    """The rejections a run recorded."""
    con.execute(DDL)
    rows = con.execute(
        """SELECT file, line, "column", value, reason FROM ops.rejected_files
           WHERE run_id = ? ORDER BY file, line NULLS FIRST, "column" """,
        [run_id],
    ).fetchall()
    return [Rejection(*row) for row in rows]
