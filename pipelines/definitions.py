"""The Dagster definitions of cakupan: assets, job, schedule and resources.

Loaded by ``dagster dev -w workspace.yaml``, ``dg dev`` and the ``cakupan`` command.
"""

from __future__ import annotations

import dagster as dg

from assets import checks, coverage, raw, reference, reporting, staging
from pipelines.resources import Warehouse
from pipelines.settings import CakupanSettings, settings_from_env

ASSET_MODULES = (reference, raw, staging, coverage, reporting)

# Every step writes the one DuckDB warehouse, and DuckDB allows a single writer: steps run
# one after another in one process, for the job and for materializations from the UI.
cakupan_job = dg.define_asset_job(
    "cakupan",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest the landing extracts, compute coverage and publish coverage.duckdb.",
)

validate_job = dg.define_asset_job(
    "validate",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reporting"),
    executor_def=dg.in_process_executor,
    description="Ingest and validate the landing extracts without publishing.",
)

nightly = dg.ScheduleDefinition(
    name="cakupan_nightly",
    job=cakupan_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Jakarta",
    description="Full run every night at 02:00 WIB over the files then in the landing folder.",
)


def build_definitions(
    settings: CakupanSettings | None = None, loggers: dict[str, dg.LoggerDefinition] | None = None
) -> dg.Definitions:
    """The definitions for ``settings``; ``loggers``: the jobs' loggers (default: Dagster's
    console logger), as ``cakupan run`` sets them."""
    settings = settings or settings_from_env()
    return dg.Definitions(
        assets=dg.load_assets_from_modules(ASSET_MODULES),
        asset_checks=checks.quality_checks,
        jobs=[cakupan_job, validate_job],
        schedules=[nightly],
        executor=dg.in_process_executor,
        loggers=loggers,
        resources={
            "settings": settings,
            "warehouse": Warehouse(database=str(settings.warehouse_path)),
        },
    )


defs = build_definitions()
