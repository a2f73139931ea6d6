"""The run that publishes, as tables of the published database: ``ops.run_status`` (one
row: run id, start and publish time, status, data-quality counts, snapshots, whether the
landing folder is a sample) and
``ops.rejected_files`` (the run's rejections). Written into the warehouse by the publish
step, just before it copies the tables, so reports need only ``coverage.duckdb``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from cakupan import rejections
from cakupan.sample import read_label
from cakupan.sqlfiles import run_sql

# published table -> warehouse table, to add to what the publish step copies
STATUS_TABLES = {"ops.run_status": "ops.run_status", "ops.rejected_files": "ops.rejected_files"}


def record_run_status(
    con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime | None, landing: Path | str
) -> None:
    """(Re)build ``ops.run_status`` in the warehouse for ``run_id`` (after its checks ran);
    ``landing`` is the run's landing folder (is it a sample? :mod:`cakupan.sample`)."""
    run_sql(con, "quality/validation_results.sql")  # exists even if no check ran
    rejections.for_run(con, run_id)  # ops.rejected_files exists even if nothing was ingested
    con.execute("SET VARIABLE cakupan_run_id = ?", [run_id])
    con.execute("SET VARIABLE cakupan_run_started_at = CAST(? AS TIMESTAMPTZ)", [started_at])
    label = read_label(landing)
    con.execute("SET VARIABLE cakupan_sample = CAST(? AS BOOLEAN)", [label.sample])
    con.execute("SET VARIABLE cakupan_landing_label = CAST(? AS VARCHAR)", [label.label])
    run_sql(con, "reporting/run_status.sql")
