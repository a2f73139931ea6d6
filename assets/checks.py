"""Table checks as Dagster asset checks, from the catalogues of ``expectations/``
(``cakupan.quality.catalogue``), each recorded once in ``quality.validation_results``:

- the checks of a warehouse table run as its Great Expectations suite, on the asset of the
  table, one check per expectation (``quality_checks``). On a table partitioned by
  snapshot (``cakupan.snapshots.TABLES``) the suite validates each snapshot on its own, and
  in a run that materialized the table only the snapshots the run rebuilt
  (``ops.snapshot_builds``): the others keep their results. A run of the checks alone
  validates every snapshot;
- the checks of a published table run on the new ``coverage.duckdb`` itself (read-only)
  before it replaces the previous one (``published_checks``, ``assets/reporting.py``).

ERROR checks are blocking: a failure stops everything downstream, the publish step
included, so the last good ``coverage.duckdb`` stays. WARN checks are shown, not blocking.
"""

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import duckdb

from assets.materialize import whole_run_id
from assets.resources import CakupanSettings, Warehouse, temp_dir
from cakupan import snapshots
from cakupan.markdown import markdown_table
from cakupan.privacy import SENSITIVE_COLUMNS, redact
from cakupan.quality import run_suite
from cakupan.quality.catalogue import Catalogue, Check, catalogues, resolve
from cakupan.quality.outcomes import ExpectationOutcome
from cakupan.quality.report_html import page_path
from cakupan.quality.results import record
from cakupan.sqlfiles import markdown_table as query_table

SAMPLE = 5


def spec(check: Check) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        check.name,
        asset=dg.AssetKey(check.table.split(".")),
        blocking=check.severity == "ERROR",  # WARN checks never block
        description=f"[{check.severity}] {check.description}",
    )


def suite_checks(catalogue: Catalogue) -> dg.AssetChecksDefinition:
    """The asset checks of one table's suite."""
    table = catalogue.table
    asset = dg.AssetKey(table.split("."))
    checks = {c.name: c for c in catalogue.gx_checks}

    @dg.multi_asset_check(
        name=f"validate_{table.replace('.', '__')}",
        description=f"Great Expectations suite of expectations/{catalogue.path.name}: "
        f"{catalogue.description}",
        specs=[spec(c) for c in checks.values()],
    )
    def _checks(
        context: dg.AssetCheckExecutionContext, settings: CakupanSettings, warehouse: Warehouse
    ):
        config = settings.get()
        docs = config.quality_dir / "data_docs" if config.data_docs else None
        spill = temp_dir(config) / "gx"  # GX's own DuckDB: its own spill files
        spill.mkdir(mode=0o700, exist_ok=True)
        partition_column, days = catalogue.partition_column, None
        with warehouse.get_connection() as con:  # closed before GX opens the file
            if table in snapshots.TABLES:  # partitioned: validated per snapshot
                partition_column = partition_column or "snapshot_date"
                latest = context.instance.get_latest_materialization_event(asset)
                if latest is not None and latest.run_id == context.run.run_id:
                    days = snapshots.built_by(con, table, context.run.run_id)  # rebuilt
                # else a run of the checks alone: every snapshot
            suite = catalogue.suite(con)
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
                checks=checks,  # not the checks recorded on their own (snapshot age)
            )
        by_name = defaultdict(list)
        for outcome in outcomes:
            by_name[outcome.expectation].append(outcome)
        for name, check in checks.items():
            yield _result(check, by_name.get(name, []), page_path(config.quality_dir))

    return _checks


def _result(check: Check, outcomes, docs) -> dg.AssetCheckResult:
    failed = [o for o in outcomes if not o.success]
    lines = [
        f"{o.partition or 'whole table'}: {'ok' if o.success else 'FAILED'}: {o.observed_value}"
        for o in outcomes
    ] or ["no rows to validate"]
    metadata = {
        "expectation": dg.MetadataValue.text(check.gx_type),
        "severity": dg.MetadataValue.text(check.severity),
        "observed value": dg.MetadataValue.text(redact("\n".join(lines))),
        "unexpected count": dg.MetadataValue.int(sum(o.unexpected_count or 0 for o in outcomes)),
        "data docs": dg.MetadataValue.url(docs.resolve().as_uri()),
    }
    sample = [
        {k: v for k, v in row.items() if k.lower() not in SENSITIVE_COLUMNS}  # as the runner
        for o in failed
        for row in o.sample
    ][:SAMPLE]
    if sample:
        metadata["failing rows (sample)"] = dg.MetadataValue.md(_markdown(sample))
    return _check_result(check, not failed, metadata)


def _check_result(check: Check, passed: bool, metadata: dict) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(check.table.split(".")),
        check_name=check.name,
        passed=passed,
        severity=dg.AssetCheckSeverity[check.severity],
        metadata=metadata,
    )


def _markdown(rows: list[dict]) -> str:
    header = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[None if row.get(k) is None else redact(row[k]) for k in header] for row in rows]
    return markdown_table(header, cells)


quality_checks = [suite_checks(c) for c in catalogues().values() if c.gx_checks]

PUBLISHED = [c for c in catalogues().values() if c.published]


def published_specs() -> list[dg.AssetCheckSpec]:
    """The checks of the published tables, on their assets (``reporting/<table>``)."""
    return [spec(check) for catalogue in PUBLISHED for check in catalogue.checks]


def expected_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Published table (its name without the schema) -> rows per snapshot, counted in the
    warehouse ``con`` (the reference tables) as its catalogue says."""
    return {
        check.table.split(".")[1]: resolve(check.params["expected"], con)
        for catalogue in PUBLISHED
        for check in catalogue.checks
        if check.name == "rows_per_snapshot"
    }


def published_checks(path: Path, expected: Mapping[str, int]) -> list[dg.AssetCheckResult]:
    """Run every check of the published tables on the DuckDB file ``path`` (read-only);
    ``expected``: the rows per snapshot of each table (:func:`expected_rows`)."""
    results = []
    with duckdb.connect(str(path), read_only=True) as con:
        for catalogue in PUBLISHED:
            for check in catalogue.checks:
                query = check.query(catalogue.table)
                if check.name == "rows_per_snapshot":
                    wanted = expected[catalogue.table.split(".")[1]]
                    results.append(_rows_per_snapshot(con, check, query, wanted))
                else:
                    results.append(_failing_rows(con, check, query))
    return results


def outcomes(checks: list[dg.AssetCheckResult]) -> dict[str, list[ExpectationOutcome]]:
    """The checks as the run's record of its checks takes them: published table -> outcomes
    (``cakupan.quality.results.record``)."""
    by_table: dict[str, list[ExpectationOutcome]] = {}
    for c in checks:
        table = ".".join(c.asset_key.path)
        by_table.setdefault(table, []).append(
            ExpectationOutcome(
                expectation=c.check_name,
                expectation_type=f"cakupan.published.{c.check_name}",
                severity=c.severity.value,  # as its catalogue declares it
                success=c.passed,
                observed_value=c.metadata["observed value"].value,
                unexpected_count=c.metadata["unexpected count"].value,
            )
        )
    return by_table


def _rows_per_snapshot(con, check: Check, query: str, expected: int) -> dg.AssetCheckResult:
    counts = con.execute(query).fetchall()
    wrong = [(snapshot, n) for snapshot, n in counts if n != expected]
    metadata = {
        "snapshots": dg.MetadataValue.int(len(counts)),
        "expected rows per snapshot": dg.MetadataValue.int(expected),
        "snapshots with other counts": dg.MetadataValue.int(len(wrong)),
    }
    if wrong:
        lines = ["| snapshot_date | rows |", "|---|---:|"]
        lines += [f"| {snapshot} | {n} |" for snapshot, n in wrong[:SAMPLE]]
        metadata["wrong snapshots (sample)"] = dg.MetadataValue.md("\n".join(lines))
    observed = (
        f"{len(wrong)} of {len(counts)} snapshots without {expected} rows"
        if wrong
        else f"{expected} rows in each of {len(counts)} snapshots"
    )
    return _published_result(check, metadata, observed, len(wrong))


def _failing_rows(con, check: Check, query: str) -> dg.AssetCheckResult:
    label = check.meta["unit"]
    failing = con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
    metadata = {label: dg.MetadataValue.int(failing)}
    if failing:
        sample = query_table(con, f"SELECT * FROM ({query}) LIMIT {SAMPLE}")
        metadata[f"{label} (sample)"] = dg.MetadataValue.md(sample)
    return _published_result(check, metadata, f"{failing} {label}", failing)


def _published_result(check: Check, metadata: dict, observed: str, unexpected: int):
    metadata = {
        "observed value": dg.MetadataValue.text(observed),
        "unexpected count": dg.MetadataValue.int(unexpected),
        **metadata,
    }
    return _check_result(check, unexpected == 0, metadata)
