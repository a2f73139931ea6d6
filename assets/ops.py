"""``ops/rejected_files``: the landing files the raw step rejected, with every reason (file,
line, column, value, reason), in the warehouse and in ``rejected_files.csv``.

The raw assets write it, and they fail when they reject a file: an asset downstream of
them would be skipped exactly when there is something to show. So it is declared as an
asset the pipeline does not materialize itself (a ``dg.AssetSpec``, with the raw assets as
its upstream for the lineage), and a hook on each raw asset reports its materialization
once the step has ended, failed or not. A job selection built with ``.downstream()`` takes
it in: add ``.materializable()``.
"""

import dagster as dg

from assets.materialize import OWNERS, report_side_table, table_metadata, when_step_ends
from cakupan import ledger
from cakupan.sqlfiles import table_exists

RAW = [
    dg.AssetKey(["raw", kind])
    for kind in ("workforce", "membership", "targets", "sakernas", "membership_counts")
]
KEY = dg.AssetKey(["ops", "rejected_files"])
TABLE = "ops.rejected_files"

rejected_files = dg.AssetSpec(
    KEY,
    deps=RAW,
    group_name="ops",
    description="Operations: the landing files the latest run rejected, one row per reason "
    "(file, line, column, value, reason), also in `rejected_files.csv`; empty when every "
    "file was accepted. Written by the raw assets, also when they fail (which is when it "
    "matters): each reports it when its step ends, so it is not materialized on its own.",
    kinds={"duckdb", "csv"},
    owners=OWNERS,
)

LEDGER_KEY = dg.AssetKey(["ops", "ingest_ledger"])

ingest_ledger = dg.AssetSpec(
    LEDGER_KEY,
    deps=RAW,
    group_name="ops",
    description="Operations: the ingest ledger, one row per landing file per run: size, "
    "SHA-256, modification time, snapshot dates, rows read, loaded and rejected, and what "
    "the run did with it (loaded, unchanged, replaced, rejected, removed) and why. A file "
    "with the same hash as loaded is not read again. Written by the raw assets (like "
    "ops/rejected_files), reported when each raw step ends.",
    kinds={"duckdb"},
    owners=OWNERS,
)


def report(context: dg.HookContext) -> None:
    """Report a materialization of ``ops/rejected_files`` as the raw step left it."""
    with context.resources.warehouse.get_connection() as con:
        if table_exists(con, ledger.LEDGER):
            _report_ledger(context, con)
        if not table_exists(con, TABLE):  # the step failed before it wrote anything
            return
        metadata = table_metadata(con, TABLE)
        files = con.execute(
            f"SELECT kind, list(DISTINCT file ORDER BY file) FROM {TABLE} GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    path = context.resources.settings.get().rejected_files_path
    metadata["rejected files"] = dg.MetadataValue.json(dict(files))
    if path.exists():
        metadata["rejected_files.csv"] = dg.MetadataValue.path(str(path))
    report_side_table(context, KEY, metadata)


def _report_ledger(context: dg.HookContext, con) -> None:
    """Report a materialization of ``ops/ingest_ledger``: this run's files per status."""
    metadata = table_metadata(con, ledger.LEDGER)
    metadata["this run"] = dg.MetadataValue.json(ledger.summary(con, context.run_id))
    report_side_table(context, LEDGER_KEY, metadata)


REPORT_REJECTED_FILES = when_step_ends("rejected_files", report)
