"""Membership snapshots as Dagster partitions: ``SNAPSHOTS``, dynamic, one key per snapshot
date (``YYYY-MM-DD``), and the one way a partitioned asset builds its snapshots.

The partitioned assets (``staging/membership``, ``coverage/*``) take a run's partition
keys (one, or a range in a single run: ``dg.BackfillPolicy.single_run()``) and rebuild
only those whose inputs changed since they were built (``cakupan.snapshots``), or all of
them in a run tagged ``cakupan/force: true``. Keys are added (and removed) by whoever
starts the run, from ``cakupan.snapshots.found`` and ``gone``.
"""

from __future__ import annotations

import warnings

import dagster as dg

from assets.materialize import table_metadata
from cakupan import ledger, snapshots
from cakupan.sqlfiles import markdown_table

SNAPSHOTS = dg.DynamicPartitionsDefinition(name="snapshots")
# BackfillPolicy is beta in Dagster 1.13: a range of snapshots runs as one step
warnings.filterwarnings("ignore", "Parameter `backfill_policy`", dg.BetaWarning)
# what the partitioned assets share
PARTITIONED = {
    "partitions_def": SNAPSHOTS,
    "backfill_policy": dg.BackfillPolicy.single_run(),
}


def run_keys(context: dg.AssetExecutionContext) -> list[str]:
    """The snapshot keys of the run (one key, or every key of its range)."""
    return list(context.partition_keys)


def build_snapshots(
    context: dg.AssetExecutionContext, warehouse, table: str, previews: dict | None = None
) -> dg.MaterializeResult:
    """Rebuild the run's snapshots of ``table`` whose inputs changed (all of them when the
    run is tagged ``cakupan/force: true``), delete the snapshots no longer in the sources,
    and describe the table: which snapshots were rebuilt, current or removed."""
    force = context.run.tags.get(ledger.FORCE_TAG) == "true"
    keys = run_keys(context)
    with warehouse.get_connection() as con:
        built = snapshots.build(con, table, keys, context.run.run_id, force=force)
        metadata = table_metadata(con, table)
        for name, query in (previews or {}).items():
            metadata[name] = dg.MetadataValue.md(markdown_table(con, query))
    metadata["snapshots rebuilt"] = dg.MetadataValue.json(built.rebuilt)
    metadata["snapshots current"] = dg.MetadataValue.json(built.current)
    if built.removed:
        metadata["snapshots removed"] = dg.MetadataValue.json(built.removed)
    if built.not_found:
        metadata["snapshots not in the sources"] = dg.MetadataValue.json(built.not_found)
    context.log.info(
        f"{table}: {len(built.rebuilt)} snapshot(s) rebuilt {built.rebuilt}, "
        f"{len(built.current)} current"
        + (f", {len(built.removed)} removed {built.removed}" if built.removed else "")
    )
    return dg.MaterializeResult(metadata=metadata)
