"""What every cakupan asset shares: its owners, the metadata of a warehouse table, the one
way an asset builds a table from SQL, and the one way a side table written by other steps
(a ``dg.AssetSpec``) is reported when they end. An asset's code version is
``cakupan.sqlfiles.sql_version`` of the SQL it runs."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg
import duckdb

from cakupan.ledger import RUN_TAG
from cakupan.sqlfiles import columns, markdown_table, run_sql

OWNERS = ["team:cakupan"]
# Tables that hold NIK pseudonyms: personal data (see README, Privacy).
PII = {"pii": "pseudonymized"}


def whole_run_id(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> str:
    """The id of the whole run this run belongs to: the ingest run's, for the run of the
    snapshots that follows it (its ``cakupan/run`` tag); else its own."""
    return context.run.tags.get(RUN_TAG, context.run.run_id)


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


def report_side_table(context: dg.HookContext, key: dg.AssetKey, metadata: dict) -> None:
    """Report a materialization of ``key`` (a side table the hooked step wrote), with the
    run that wrote it."""
    metadata["run"] = dg.MetadataValue.dagster_run(context.run_id)
    context.instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=key, description=f"as left by step {context.step_key}", metadata=metadata
        )
    )


def when_step_ends(name: str, report: Callable[[dg.HookContext], None]) -> set:
    """Hooks ``<name>_after_success`` and ``<name>_after_failure`` that both run ``report``
    (a side table is reported also when the step that writes it fails)."""
    keys = {"warehouse", "settings"}
    return {
        dg.success_hook(name=f"{name}_after_success", required_resource_keys=keys)(report),
        dg.failure_hook(name=f"{name}_after_failure", required_resource_keys=keys)(report),
    }
