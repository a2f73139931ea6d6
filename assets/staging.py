"""Staging stage: one value per key, after the replacement and counting rules."""

import dagster as dg

from assets.materialize import OWNERS, PII, materialize_sql
from assets.partitions import PARTITIONED, build_snapshots
from assets.resources import Warehouse
from cakupan import snapshots
from cakupan.sqlfiles import sql, sql_version

GROUP = "staging"
KINDS = {"duckdb", "silver"}
MACROS = ("staging/macros.sql",)  # latest_rows: the row that counts, of each key


@dg.asset(
    key=["staging", "workforce"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[["raw", "workforce"], ["staging", "sakernas_potentials"]],
    code_version=sql_version(*MACROS, "staging/workforce.sql"),
    owners=OWNERS,
)
def workforce(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Staging, one value per key: potential workers per Sakernas round, kab/kota and
    segment. A later file (byte-wise name order) replaces an earlier file's value for the
    same round, region and segment."""
    with warehouse.get_connection() as con:
        replaced = con.execute(sql("staging/workforce_replaced.sql")).fetchall()
    for earlier, later, values in replaced:
        context.log.info(f"workforce: {later} replaces {values} value(s) of {earlier}")
    result = materialize_sql(
        warehouse,
        "staging/workforce.sql",
        "staging.workforce",
        macros=MACROS,
        previews={"rounds": sql("staging/preview_workforce.sql")},
    )
    with warehouse.get_connection() as con:  # workforce/ values that win over Sakernas ones
        overrides = con.execute(sql("staging/workforce_overrides.sql")).fetchall()
    for direct, derived, values in overrides:
        context.log.warning(
            f"workforce: {direct} gives {values} value(s) also derived from {derived}; "
            "the workforce/ value is used"
        )
    return result


@dg.asset(
    key=["staging", "membership"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[["raw", "membership"]],
    code_version=sql_version(*snapshots.TABLES[snapshots.MEMBERSHIP].files),
    owners=OWNERS,
    tags=PII,
    **PARTITIONED,
)
def membership(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Staging, one value per key: one row per snapshot, person (pseudonym) and segment:
    covered (AKTIF with JKK and JKM) or not, and the region the person counts in (counting
    rules 1-4). Partitioned by snapshot: a snapshot is rebuilt when its membership files
    change."""
    return build_snapshots(
        context,
        warehouse,
        "staging.membership",
        previews={"persons by snapshot and segment": sql("staging/preview_membership.sql")},
    )


@dg.asset(
    key=["staging", "targets"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[["raw", "targets"]],
    code_version=sql_version(*MACROS, "staging/targets.sql"),
    owners=OWNERS,
)
def targets(warehouse: Warehouse):
    """Staging, one value per key: UCJ target per year and kab/kota; a later file, or line,
    replaces an earlier one."""
    return materialize_sql(warehouse, "staging/targets.sql", "staging.targets", MACROS)
