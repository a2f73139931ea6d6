"""The code location of cakupan: the assets of ``assets/`` (loaded from the package), the
jobs, the schedule and sensor (``pipelines/automation.py``), and the resources they need.

Declared once, in ``pyproject.toml`` (``[tool.dg.project]``), which ``dg dev`` and
``dg check defs`` read; ``workspace.yaml`` names the same module and location for
``dagster dev -w workspace.yaml`` and ``dagster definitions validate``
(``tests/test_definitions.py`` keeps the two in step).
"""

from __future__ import annotations

import warnings

import dagster as dg

import assets
from assets.freshness import FRESHNESS_CHECK_KEYS, with_freshness_policy
from assets.quality import REPORT_VALIDATION_RESULTS
from assets.resources import CakupanSettings, Warehouse
from cakupan.config import Settings
from pipelines.automation import NO_RETRY_AFTER_REJECTION, build_automation

cakupan_job = dg.define_asset_job(
    "cakupan",
    selection=dg.AssetSelection.all(),
    description="Ingest the landing extracts, compute coverage and publish coverage.duckdb.",
    hooks=NO_RETRY_AFTER_REJECTION,  # a run that rejected files is never retried
)

validate_job = dg.define_asset_job(
    "validate",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reporting", "reports"),
    description="Ingest and validate the landing extracts without publishing.",
)


def resources(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resources, from ``settings`` (``cakupan run``, tests) or else from the
    environment, read when each run starts or a sensor or the schedule is evaluated (the
    values never show in the UI)."""
    config = CakupanSettings.from_env() if settings is None else CakupanSettings.of(settings)
    return {"settings": config, "warehouse": Warehouse(settings=config)}


def _with_hooks(checks: dg.AssetChecksDefinition, hooks) -> dg.AssetChecksDefinition:
    """``checks`` with ``hooks``. The checks loaded from ``assets/`` are the Great
    Expectations suites (the published tables' checks run in the reporting step): each
    writes quality.validation_results, and its hook reports it (``assets/quality.py``).

    Set here because the loader drops the hooks of asset checks; and kept an
    AssetChecksDefinition (``with_hooks`` returns an AssetsDefinition, which Dagster would
    convert again with a BetaWarning on its own ``execution_type`` parameter)."""
    hooked = checks.with_hooks(hooks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.AssetChecksDefinition(**hooked.get_attributes_dict())


def build_definitions(
    settings: Settings | None = None, loggers: dict[str, dg.LoggerDefinition] | None = None
) -> dg.Definitions:
    """The definitions; ``settings`` fixes the folders (default: the environment),
    ``loggers`` the jobs' loggers (default: Dagster's console logger)."""
    nightly, landing_sensor, snapshots_sensor = build_automation(cakupan_job)
    return dg.Definitions(
        # include_specs: the side tables, declared as AssetSpecs (assets/ops.py, quality.py)
        # the coverage assets show as overdue after 26 h without a materialization
        assets=dg.map_asset_specs(
            with_freshness_policy, dg.load_assets_from_package_module(assets, include_specs=True)
        ),
        asset_checks=[
            checks
            if set(checks.check_keys) <= FRESHNESS_CHECK_KEYS  # not a suite: no hooks
            else _with_hooks(checks, REPORT_VALIDATION_RESULTS)
            for checks in dg.load_asset_checks_from_package_module(assets)
        ],
        jobs=[cakupan_job, validate_job],
        schedules=[nightly],
        sensors=[landing_sensor, snapshots_sensor],
        # Every step writes the one DuckDB warehouse, which allows a single writer: steps
        # run one after another in one process, for the jobs and for UI materializations.
        executor=dg.in_process_executor,
        loggers=loggers,
        resources=resources(settings),
    )


defs = build_definitions()
