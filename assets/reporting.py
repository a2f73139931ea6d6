"""Reporting stage: the published database ``coverage.duckdb`` that reports and analysts
read. Its tables are written together and the file is replaced whole."""

import dagster as dg

from assets.materialize import table_metadata
from assets.reports import run_started_at
from assets.resources import CakupanSettings, Warehouse
from cakupan.publish import publish
from cakupan.reports.status import STATUS_TABLES, record_run_status
from cakupan.sqlfiles import run_sql

GROUP = "reporting"

PUBLISHED_TABLES = {
    "coverage_by_city": "UCJ per snapshot and kab/kota, all 514 current kab/kota.",
    "coverage_by_province": "UCJ per snapshot and province.",
    "coverage_national": "UCJ per snapshot for all Indonesia.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["reporting", table],
            deps=[["coverage", table]],
            group_name=GROUP,
            kinds={"duckdb"},
            description=f"{text} Published in `coverage.duckdb` as `reporting.{table}`.",
        )
        for table, text in PUBLISHED_TABLES.items()
    ],
    can_subset=False,
)
def published_coverage(
    context: dg.AssetExecutionContext, settings: CakupanSettings, warehouse: Warehouse
):
    """Publish the coverage tables to `$CAKUPAN_OUTPUT_DIR/coverage.duckdb` (storage format
    `$CAKUPAN_STORAGE_VERSION`): written to a temporary file, checkpointed and closed, then
    renamed over the previous one."""
    config = settings.get()
    tables = {f"reporting.{t}": f"coverage.{t}" for t in PUBLISHED_TABLES}
    results = {"quality.validation_results": "quality.validation_results"}
    with warehouse.get_connection() as con:
        run_sql(con, "quality/validation_results.sql")  # exists even if no check ran
        # reports: the run's status and rejected files, published with the figures
        record_run_status(con, context.run.run_id, run_started_at(context))
        stale = publish(
            con,
            config.published_path,
            {**tables, **results, **STATUS_TABLES},
            context.run.run_id,
            config.storage_version,
        )
        for path in stale:
            context.log.warning(f"removed {path}, left by an interrupted run")
        for dest, source in tables.items():
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(dest.split(".")),
                metadata={
                    **table_metadata(con, source),
                    "dagster/table_name": dg.MetadataValue.text(dest),
                    "published database": dg.MetadataValue.path(str(config.published_path)),
                },
            )
    context.log.info(f"published {config.published_path}")
