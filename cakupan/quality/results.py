"""Where validation results go: ``quality.validation_results`` in the warehouse (published
with the coverage tables), ``$CAKUPAN_OUTPUT_DIR/quality/validation_results.parquet`` and
the offline page ``quality/index.html`` (:mod:`cakupan.quality.report_html`), the last
two written by every run, published or blocked."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from cakupan.config import Settings
from cakupan.files import atomic_path
from cakupan.quality.outcomes import ExpectationOutcome
from cakupan.quality.report_html import write_page
from cakupan.sqlfiles import run_sql, sql


def record(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    table: str,
    outcomes: Iterable[ExpectationOutcome],
    days: Iterable[str] | None = None,
    whole_run_id: str | None = None,
    checks: Iterable[str] | None = None,
) -> None:
    """Replace ``table``'s results with this run's (only those of the snapshots ``days``
    when given: a snapshot not validated again keeps the results of the run that validated
    it; only those of the checks ``checks`` when given: a check recorded on its own, such as
    the snapshot age or a check of the published file), rewrite the Parquet and the offline
    page. Every check of a run is recorded here once: every output counts from this table."""
    run_sql(con, "quality/validation_results.sql")
    con.execute(
        sql("quality/delete_results.sql"),
        {
            "table": table,
            "days": None if days is None else sorted(days),
            "checks": None if checks is None else sorted(checks),
        },
    )
    rows = [
        [
            run_id,
            o.partition,
            table,
            o.expectation,
            o.severity,
            o.success,
            o.observed_value,
            o.unexpected_count,
        ]
        for o in outcomes
    ]
    if rows:
        con.executemany(
            "INSERT INTO quality.validation_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
    settings.quality_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(settings.quality_dir / "validation_results.parquet") as tmp:
        con.execute(
            "COPY (SELECT * FROM quality.validation_results "
            "ORDER BY table_name, expectation, snapshot_date) TO ? (FORMAT parquet)",
            [str(tmp)],
        )
    write_page(con, settings.quality_dir, whole_run_id or run_id)
