"""Publishing: the reporting tables written to a new DuckDB file that replaces
``coverage.duckdb`` whole, so readers never see a half-written database and a failed run
leaves the previous one in place."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines.warehouse import columns, literal


def publish(
    con: duckdb.DuckDBPyConnection, target: Path, tables: dict[str, str], run_id: str
) -> None:
    """Copy ``tables`` (published ``schema.table`` -> warehouse ``schema.table``), with
    their COMMENTs, into a temporary file, checkpoint and close it, then rename it over
    ``target``."""
    tmp = target.with_name(f".{target.name}.{run_id}.tmp")
    _remove(tmp)
    con.execute("ATTACH ? AS published", [str(tmp)])
    try:
        for dest, source in tables.items():
            schema = dest.split(".")[0]
            con.execute(f"CREATE SCHEMA IF NOT EXISTS published.{schema}")
            con.execute(f"CREATE TABLE published.{dest} AS SELECT * FROM {source}")
            _copy_comments(con, source, f"published.{dest}")
        con.execute("CHECKPOINT published")
    except BaseException:
        con.execute("DETACH published")
        _remove(tmp)
        raise
    con.execute("DETACH published")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    _remove(Path(f"{target}.wal"))  # a stale WAL would belong to the old file
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _copy_comments(con: duckdb.DuckDBPyConnection, source: str, dest: str) -> None:
    schema, name = source.split(".")
    (comment,) = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchall()[0]
    if comment:
        con.execute(f"COMMENT ON TABLE {dest} IS {literal(comment)}")
    for column, _, text in columns(con, source):
        if text:
            con.execute(f'COMMENT ON COLUMN {dest}."{column}" IS {literal(text)}')


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
