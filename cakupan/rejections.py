"""Why a landing file is rejected, and the record of rejections: ``ops.rejected_files`` in
the warehouse and ``$CAKUPAN_OUTPUT_DIR/rejected_files.csv`` (file, line, column, value,
reason).

Both describe the landing of the latest run that ingested: its rejections of every kind,
never an earlier run's. The CSV is removed when that run rejected nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cakupan.config import Settings
from cakupan.files import atomic_write

MAX_QUOTED = 20  # rows quoted per file and column; a last rejection says how many more


def unit(file: str) -> str:
    """What ``line`` counts in ``file``: lines of a CSV (header is line 1), rows of Parquet."""
    return "row" if file.lower().endswith(".parquet") else "line"


@dataclass(frozen=True)
class Rejection:
    """Why a landing file was rejected; ``line``/``column``/``value`` when there is one.

    ``line`` is the line of a CSV file (header is line 1) or the row of a Parquet file.
    """

    file: str
    line: int | None
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" {unit(self.file)} {self.line}"
        if self.column:
            where += f", column {self.column}"
        if self.value:
            where += f", value {self.value!r}"
        return f"{where}: {self.reason}"


class FileRejected(Exception):
    """One or more landing files rejected, with every reason found."""

    def __init__(self, rejections: list[Rejection]):
        super().__init__("; ".join(str(r) for r in rejections))
        self.rejections = rejections


def whole_file(file: str, reason: str, column: str = "") -> FileRejected:
    """A rejection of ``file`` that names no line."""
    return FileRejected([Rejection(file, None, column, "", reason)])


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
        settings.ensure_output()
        write_csv(settings.rejected_files_path, [Rejection(*row) for row in rows])
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


def write_csv(path: Path, rejections: list[Rejection]) -> None:
    """Write ``rejected_files.csv`` (file, line, column, value, reason) atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "column", "value", "reason"])
        for r in rejections:
            writer.writerow([r.file, "" if r.line is None else r.line, r.column, r.value, r.reason])
