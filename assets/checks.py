"""Data-quality checks: every Great Expectations suite in ``expectations/`` runs as Dagster
asset checks on the asset of its table, one check per expectation.

On a table partitioned by snapshot (``cakupan.snapshots.TABLES``) a suite validates each
snapshot on its own, and in a run that materialized the table only the snapshots the run
rebuilt (``ops.snapshot_builds``): the others keep their results. A run of the checks
alone validates every snapshot.

ERROR checks are blocking: a failure stops everything downstream, the publish step
included, so the last good ``coverage.duckdb`` stays. WARN checks are shown, not blocking.
"""

from collections import defaultdict
from pathlib import Path

import dagster as dg

from assets.materialize import whole_run_id
from assets.resources import CakupanSettings, Warehouse, temp_dir
from cakupan import snapshots
from cakupan.config import EXPECTATIONS_DIR
from cakupan.markdown import markdown_table
from cakupan.privacy import SENSITIVE_COLUMNS, redact
from cakupan.quality import load_suite, run_suite
from cakupan.quality.report_html import page_path
from cakupan.quality.results import record


def suite_checks(path: Path) -> dg.AssetChecksDefinition:
    """The asset checks of one suite file (``expectations/<schema>.<table>.json``)."""
    suite = load_suite(path)
    table = suite["meta"]["table"]
    asset = dg.AssetKey(table.split("."))
    expectations = {e["meta"]["name"]: e for e in suite["expectations"]}

    @dg.multi_asset_check(
        name=f"validate_{table.replace('.', '__')}",
        description=f"Great Expectations suite expectations/{path.name}: "
        f"{suite['meta'].get('description', '')}",
        specs=[
            dg.AssetCheckSpec(
                name=name,
                asset=asset,
                blocking=e["meta"]["severity"] == "ERROR",  # WARN checks never block
                description=f"[{e['meta']['severity']}] {e['meta']['description']}",
            )
            for name, e in expectations.items()
        ],
    )
    def _checks(
        context: dg.AssetCheckExecutionContext, settings: CakupanSettings, warehouse: Warehouse
    ):
        config = settings.get()
        docs = config.quality_dir / "data_docs" if config.data_docs else None
        spill = temp_dir(config) / "gx"  # GX's own DuckDB: its own spill files
        spill.mkdir(mode=0o700, exist_ok=True)
        partition_column, days = suite["meta"].get("partition_column"), None
        if table in snapshots.TABLES:  # partitioned: validated per snapshot
            partition_column = partition_column or "snapshot_date"
            latest = context.instance.get_latest_materialization_event(asset)
            if latest is not None and latest.run_id == context.run.run_id:
                with warehouse.get_connection() as con:  # the snapshots this run rebuilt
                    days = snapshots.built_by(con, table, context.run.run_id)
            # else a run of the checks alone: every snapshot
        outcomes = []
        if days is None or days:  # nothing rebuilt: nothing to validate (GX not imported)
            outcomes = run_suite(
                config.warehouse_path,
                suite,
                table,
                data_docs_dir=docs,
                run_name=context.run.run_id,
                partition_column=partition_column,
                days=days,
                memory_limit=config.memory_limit,
                temp_dir=spill,
            )
        with warehouse.get_connection() as con:  # after GX closed its read-only connection
            record(
                con,
                config,
                context.run.run_id,
                table,
                outcomes,
                days,
                whole_run_id(context),
                checks=expectations,  # not the checks recorded on their own (snapshot age)
            )
        by_name = defaultdict(list)
        for outcome in outcomes:
            by_name[outcome.expectation].append(outcome)
        for name, e in expectations.items():
            yield _result(asset, name, e, by_name.get(name, []), page_path(config.quality_dir))

    return _checks


def _result(asset, name, expectation, outcomes, docs) -> dg.AssetCheckResult:
    severity = expectation["meta"]["severity"]
    failed = [o for o in outcomes if not o.success]
    lines = [
        f"{o.partition or 'whole table'}: {'ok' if o.success else 'FAILED'}: {o.observed_value}"
        for o in outcomes
    ] or ["no rows to validate"]
    metadata = {
        "expectation": dg.MetadataValue.text(expectation["type"]),
        "severity": dg.MetadataValue.text(severity),
        "observed value": dg.MetadataValue.text(redact("\n".join(lines))),
        "unexpected count": dg.MetadataValue.int(sum(o.unexpected_count or 0 for o in outcomes)),
        "data docs": dg.MetadataValue.url(docs.resolve().as_uri()),
    }
    sample = [
        {k: v for k, v in row.items() if k.lower() not in SENSITIVE_COLUMNS}  # as the runner
        for o in failed
        for row in o.sample
    ][:5]
    if sample:
        metadata["failing rows (sample)"] = dg.MetadataValue.md(_markdown(sample))
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )


def _markdown(rows: list[dict]) -> str:
    header = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[None if row.get(k) is None else redact(row[k]) for k in header] for row in rows]
    return markdown_table(header, cells)


quality_checks = [suite_checks(p) for p in sorted(EXPECTATIONS_DIR.glob("*.json"))]
