"""Small helpers around the DuckDB warehouse: SQL files, table metadata for the UI."""

from __future__ import annotations

from functools import cache

import dagster as dg
import duckdb

from pipelines.settings import SQL_DIR


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


def table_metadata(con: duckdb.DuckDBPyConnection, table: str) -> dict:
    """Row count and column schema (with the columns' COMMENTs) for Dagster metadata."""
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name=n, type=t, description=c or None) for n, t, c in columns(con, table)
        ]
    )
    return {
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": schema,
        "dagster/table_name": dg.MetadataValue.text(table),
    }


def markdown_table(con: duckdb.DuckDBPyConnection, query: str, params=None) -> str:
    """A small query result as a Markdown table (for previews of aggregates)."""
    result = con.execute(query, params) if params else con.execute(query)
    header = [d[0] for d in result.description]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in result.fetchall():
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)


def materialize_sql(
    warehouse, sql_file: str, table: str, macros: tuple[str, ...] = (), previews=None
) -> dg.MaterializeResult:
    """Run ``sql/<sql_file>`` (which builds ``table``) and describe the table for the UI.

    ``macros``: SQL files of macros to create first; ``previews``: name -> aggregate query
    shown as a Markdown table.
    """
    with warehouse.get_connection() as con:
        for name in macros:
            run_sql(con, name)
        run_sql(con, sql_file)
        metadata = table_metadata(con, table)
        for name, query in (previews or {}).items():
            metadata[name] = dg.MetadataValue.md(markdown_table(con, query))
        return dg.MaterializeResult(metadata=metadata)
