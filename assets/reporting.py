"""Reporting stage: the published database ``coverage.duckdb`` that reports and analysts
read. Its tables are written together to a new file, checked there, and only then does the
file replace the previous one: a failed check keeps the last good ``coverage.duckdb``."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from assets import checks as table_checks
from assets import quality
from assets.materialize import OWNERS, table_metadata, whole_run_id
from assets.resources import CakupanSettings, Warehouse
from cakupan import snapshots
from cakupan.publish import (
    STATUS_TABLES,
    add,
    record_run_status,
    remove_stale_temporaries,
    replace,
    write,
)
from cakupan.quality.results import record
from cakupan.sqlfiles import run_sql

GROUP = "reporting"

PUBLISHED_TABLES = {
    "coverage_by_city": "UCJ per snapshot and kab/kota, all 514 current kab/kota.",
    "coverage_by_province": "UCJ per snapshot and province.",
    "coverage_national": "UCJ per snapshot for all Indonesia.",
}


def run_started_at(context: dg.AssetExecutionContext) -> datetime | None:
    """When the whole run started (from the instance's run record), for ops.run_status."""
    run = context.instance.get_run_record_by_id(whole_run_id(context))
    start = run.start_time if run else None
    return datetime.fromtimestamp(start, UTC) if start else None


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["reporting", table],
            deps=[["coverage", table], quality.KEY],
            group_name=GROUP,
            kinds={"duckdb", "published"},
            description=f"Published: {text} Table `reporting.{table}` of `coverage.duckdb`, "
            f"the file reports and analysts read: coverage/{table} as it was when every "
            "check passed.",
            owners=OWNERS,
        )
        for table, text in PUBLISHED_TABLES.items()
    ],
    check_specs=table_checks.published_specs(),
    can_subset=False,
)
def published_coverage(
    context: dg.AssetExecutionContext, settings: CakupanSettings, warehouse: Warehouse
):
    """Publish the coverage tables and the validation results to
    `$CAKUPAN_OUTPUT_DIR/coverage.duckdb` (storage format `$CAKUPAN_STORAGE_VERSION`):
    written to a temporary file, checkpointed and closed, checked (read-only), then renamed
    over the previous one."""
    config = settings.get()
    run_id = whole_run_id(context)
    target = config.published_path
    tables = {f"reporting.{t}": f"coverage.{t}" for t in PUBLISHED_TABLES}
    results = {"quality.validation_results": "quality.validation_results"}
    with warehouse.get_connection() as con:
        run_sql(con, "quality/validation_results.sql")  # exists even if no check ran
        # a snapshot no longer in the landing folder leaves the published file, even when
        # no run of its partition cleaned it up (its partition deleted, say)
        gone = snapshots.drop_gone(con, [*snapshots.TABLES, quality.TABLE])
        if gone:
            context.log.info(f"snapshots no longer in the landing folder, removed: {gone}")
        for path in remove_stale_temporaries(target):
            context.log.warning(f"removed {path}, left by an interrupted run")
        tmp = target.with_name(f".{target.name}.{context.run.run_id}.tmp")
        write(con, tmp, tables, config.storage_version)
        try:
            checks = table_checks.published_checks(tmp, table_checks.expected_rows(con))
        except BaseException:
            _remove(tmp)
            raise
        for table, outcomes in table_checks.outcomes(checks).items():  # the one record
            names = [o.expectation for o in outcomes]
            record(con, config, context.run.run_id, table, outcomes, None, run_id, names)
        failed = [f"{c.asset_key.to_user_string()} {c.check_name}" for c in checks if not c.passed]
        if failed:
            _remove(tmp)
            yield from checks
            raise dg.Failure(
                description=f"the new coverage.duckdb failed {len(failed)} check(s), so "
                f"{target} was not replaced: " + "; ".join(failed),
                metadata={"failed checks": dg.MetadataValue.json(failed)},
            )
        # reports: every check of the run, its status and rejected files, with the figures
        record_run_status(con, run_id, run_started_at(context), config.landing_dir)
        add(con, tmp, {**results, **STATUS_TABLES})
        replace(tmp, target)
        for dest, source in tables.items():
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(dest.split(".")),
                metadata={
                    **table_metadata(con, source),
                    "dagster/table_name": dg.MetadataValue.text(dest),
                    "published database": dg.MetadataValue.path(str(target)),
                },
            )
    yield from checks
    context.log.info(f"published {target}")


def _remove(tmp: Path) -> None:
    for path in (tmp, Path(f"{tmp}.wal")):
        path.unlink(missing_ok=True)
