"""``quality/validation_results``: the Great Expectations results of the latest run, one row
per expectation (and snapshot), in the warehouse, ``quality/validation_results.parquet``
and the offline page ``quality/index.html``; published with the coverage tables.

The asset checks of ``assets/checks.py`` write it, and a failed ERROR check blocks what is
downstream of its asset: an asset downstream of the checked ones would be skipped exactly
when a check failed. So it is declared as an asset the pipeline does not materialize
itself (a ``dg.AssetSpec``, with the validated assets as its upstream for the lineage), and
a hook on each suite's checks reports its materialization once they have run, failed or
not. A job selection built with ``.downstream()`` takes it in: add ``.materializable()``.
"""

import dagster as dg

from assets.materialize import OWNERS, report_side_table, table_metadata, when_step_ends
from cakupan.quality.catalogue import catalogues
from cakupan.quality.report_html import page_path
from cakupan.sqlfiles import markdown_table, table_exists

KEY = dg.AssetKey(["quality", "validation_results"])
TABLE = "quality.validation_results"
# The tables with a suite: expectations/<schema>.<table>.yml (GX runs their checks)
VALIDATED = [dg.AssetKey(t.split(".")) for t, c in catalogues().items() if c.gx_checks]

validation_results = dg.AssetSpec(
    KEY,
    deps=VALIDATED,
    group_name="quality",
    description="Data quality: the Great Expectations results of the latest run, one row per "
    "expectation (and snapshot), also in `quality/validation_results.parquet` and the "
    "offline page `quality/index.html`; published in `coverage.duckdb` with the figures. "
    "Written by the asset checks of each validated table, also when they fail (which is "
    "when it matters): each suite reports it when its checks end, so it is not "
    "materialized on its own.",
    kinds={"duckdb", "greatexpectations"},
    owners=OWNERS,
)

BY_SEVERITY = f"""
    SELECT severity, count(*) FILTER (WHERE success) AS passed,
           count(*) FILTER (WHERE NOT success) AS failed
    FROM {TABLE} GROUP BY ALL ORDER BY severity
"""


def report(context: dg.HookContext) -> None:
    """Report a materialization of ``quality/validation_results`` as the checks left it."""
    quality = context.resources.settings.get().quality_dir
    with context.resources.warehouse.get_connection() as con:
        if not table_exists(con, TABLE):  # the checks failed before they recorded anything
            return
        metadata = table_metadata(con, TABLE)
        metadata["results by severity"] = dg.MetadataValue.md(markdown_table(con, BY_SEVERITY))
        failed = con.execute(
            f"SELECT severity, count(*) FROM {TABLE} WHERE NOT success GROUP BY ALL"
        ).fetchall()
        tables = con.execute(f"SELECT list(DISTINCT table_name ORDER BY table_name) FROM {TABLE}")
        metadata["tables validated"] = dg.MetadataValue.json(tables.fetchall()[0][0] or [])
    for severity in ("ERROR", "WARN"):
        metadata[f"{severity} failures"] = dg.MetadataValue.int(dict(failed).get(severity, 0))
    metadata["data-quality page"] = dg.MetadataValue.url(page_path(quality).resolve().as_uri())
    report_side_table(context, KEY, metadata)


REPORT_VALIDATION_RESULTS = when_step_ends("validation_results", report)
