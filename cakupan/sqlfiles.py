"""The SQL files of ``sql/`` and small helpers around DuckDB (no Dagster)."""

from __future__ import annotations

from functools import cache

import duckdb

from cakupan import markdown
from cakupan.config import SQL_DIR


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>``."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> None:
    """Run ``sql/<name>`` (several statements when it takes no parameters)."""
    con.execute(sql(name), params) if params else con.execute(sql(name))


def literal(text: str) -> str:
    """A SQL string literal (for statements that take no parameters, like COMMENT ON)."""
    return "'" + text.replace("'", "''") + "'"


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str | None]]:
    """(name, type, comment) of each column of ``schema.table`` (or ``temp.table``)."""
    schema, name = table.split(".")
    database = "temp" if schema == "temp" else None
    return con.execute(
        """
        SELECT column_name, data_type, comment FROM duckdb_columns()
        WHERE database_name = coalesce(?, current_database())
          AND (? IS NOT NULL OR schema_name = ?) AND table_name = ?
        ORDER BY column_index
        """,
        [database, database, schema, name],
    ).fetchall()


def markdown_table(con: duckdb.DuckDBPyConnection, query: str, params=None) -> str:
    """A small query result as a Markdown table (for previews of aggregates)."""
    result = con.execute(query, params) if params else con.execute(query)
    return markdown.markdown_table([d[0] for d in result.description], result.fetchall())


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``schema.table`` exists in the database of ``con``."""
    schema, name = table.split(".")
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchall()[0][0]
    return found > 0
