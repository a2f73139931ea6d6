"""Coverage stage: UCJ per kab/kota, province and Indonesia, in the working warehouse."""

import dagster as dg

from assets.materialize import OWNERS, materialize_sql, sql_version
from assets.resources import Warehouse

GROUP = "coverage"
KINDS = {"duckdb", "gold"}
MACROS = ("coverage/macros.sql",)
ROLLUP_MACROS = (*MACROS, "coverage/rollups.sql")

LATEST_NATIONAL = """
    SELECT snapshot_date, regions, regions_with_potential, potential_total, covered_total,
           covered_pmi, coverage_pct, pu_coverage_pct, bpu_coverage_pct, uncovered
    FROM coverage.coverage_national ORDER BY snapshot_date
"""


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
    code_version=sql_version(*MACROS, "coverage/coverage_by_city.sql"),
    owners=OWNERS,
)
def coverage_by_city(warehouse: Warehouse):
    """Coverage, working table (published as reporting/coverage_by_city): UCJ per snapshot
    and kab/kota: potentials of the latest usable Sakernas round, covered persons by segment
    and by home region, percentages, gap to target and ranks; all 514 current kab/kota for
    every snapshot."""
    return materialize_sql(
        warehouse,
        "coverage/coverage_by_city.sql",
        "coverage.coverage_by_city",
        macros=MACROS,
        previews={
            "highest coverage, latest snapshot": """
                SELECT region_code, region_name, potential_total, covered_total, coverage_pct
                FROM coverage.coverage_by_city
                WHERE snapshot_date = (SELECT max(snapshot_date) FROM coverage.coverage_by_city)
                  AND coverage_pct IS NOT NULL
                ORDER BY coverage_pct DESC, region_code LIMIT 5""",
            "lowest coverage, latest snapshot": """
                SELECT region_code, region_name, potential_total, covered_total, coverage_pct
                FROM coverage.coverage_by_city
                WHERE snapshot_date = (SELECT max(snapshot_date) FROM coverage.coverage_by_city)
                  AND coverage_pct IS NOT NULL
                ORDER BY coverage_pct, region_code LIMIT 5""",
        },
    )


@dg.asset(
    key=["coverage", "coverage_by_province"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[coverage_by_city],
    code_version=sql_version(*ROLLUP_MACROS, "coverage/coverage_by_province.sql"),
    owners=OWNERS,
)
def coverage_by_province(warehouse: Warehouse):
    """Coverage, working table (published as reporting/coverage_by_province): UCJ per
    snapshot and province: sums of its kab/kota, percentages from the sums over the kab/kota
    with a potential (never averaged)."""
    return materialize_sql(
        warehouse,
        "coverage/coverage_by_province.sql",
        "coverage.coverage_by_province",
        macros=ROLLUP_MACROS,
    )


@dg.asset(
    key=["coverage", "coverage_national"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[coverage_by_city],
    code_version=sql_version(*ROLLUP_MACROS, "coverage/coverage_national.sql"),
    owners=OWNERS,
)
def coverage_national(warehouse: Warehouse):
    """Coverage, working table (published as reporting/coverage_national): UCJ per snapshot
    for all Indonesia: sums of all kab/kota (each covered person once)."""
    return materialize_sql(
        warehouse,
        "coverage/coverage_national.sql",
        "coverage.coverage_national",
        macros=ROLLUP_MACROS,
        previews={"national coverage": LATEST_NATIONAL},
    )
