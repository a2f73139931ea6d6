"""Coverage stage: UCJ per kab/kota, province and Indonesia, in the working warehouse."""

import dagster as dg

from assets.materialize import OWNERS
from assets.partitions import PARTITIONED, build_snapshots
from assets.resources import Warehouse
from cakupan import snapshots
from cakupan.sqlfiles import sql, sql_version

GROUP = "coverage"
KINDS = {"duckdb", "gold"}
RANKED = sql("coverage/ranked_cities.sql").format(table="coverage.coverage_by_city")
HIGHEST, LOWEST = (
    sql("coverage/preview_ranked.sql").format(ranked=RANKED, order=o) for o in ("", "DESC")
)


@dg.asset(
    key=["coverage", "coverage_by_city"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[
        ["staging", "membership"],
        ["staging", "membership_counts"],
        ["staging", "workforce"],
        ["staging", "targets"],
        ["reference", "regencies"],
        ["reference", "provinces"],
    ],
    code_version=sql_version(*snapshots.TABLES[snapshots.CITY].files),
    owners=OWNERS,
    **PARTITIONED,
)
def coverage_by_city(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Coverage, working table (published as reporting/coverage_by_city): UCJ per snapshot
    and kab/kota: potentials of the latest usable Sakernas round, covered persons by segment
    and by home region, percentages, gap to target and ranks; all 514 current kab/kota for
    every snapshot. Partitioned by snapshot: a snapshot is rebuilt when its membership, its
    counts, the workforce round it takes, its year's targets or the reference change."""
    return build_snapshots(
        context,
        warehouse,
        "coverage.coverage_by_city",
        previews={
            "highest coverage, latest snapshot": HIGHEST,
            "lowest coverage, latest snapshot": LOWEST,
        },
    )


@dg.asset(
    key=["coverage", "coverage_by_province"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[coverage_by_city],
    code_version=sql_version(*snapshots.TABLES[snapshots.PROVINCE].files),
    owners=OWNERS,
    **PARTITIONED,
)
def coverage_by_province(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Coverage, working table (published as reporting/coverage_by_province): UCJ per
    snapshot and province: sums of its kab/kota, percentages from the sums over the kab/kota
    with a potential (never averaged)."""
    return build_snapshots(context, warehouse, "coverage.coverage_by_province")


@dg.asset(
    key=["coverage", "coverage_national"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[coverage_by_city],
    code_version=sql_version(*snapshots.TABLES[snapshots.NATIONAL].files),
    owners=OWNERS,
    **PARTITIONED,
)
def coverage_national(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Coverage, working table (published as reporting/coverage_national): UCJ per snapshot
    for all Indonesia: sums of all kab/kota (each covered person once)."""
    return build_snapshots(
        context,
        warehouse,
        "coverage.coverage_national",
        previews={"national coverage": sql("coverage/preview_national.sql")},
    )
