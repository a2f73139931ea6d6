"""Reports stage: what a city office and an analyst open the morning after the run, made
from the published ``coverage.duckdb`` alone, after it is published: the briefs
(``$CAKUPAN_OUTPUT_DIR/reports/``) and the spreadsheet exports (``.../exports/``).

In their own ``reports`` group, which the ``validate`` job (which publishes nothing) leaves
out too."""

import dagster as dg
import duckdb

from assets.materialize import OWNERS
from assets.reporting import PUBLISHED_TABLES
from assets.resources import CakupanSettings, Warehouse, output_failures
from cakupan.reports.exports import WORKBOOK, write_exports
from cakupan.reports.pages import write_reports
from cakupan.sqlfiles import markdown_table

GROUP = "reports"
# the published tables (assets/reporting.py): reports run after coverage.duckdb is replaced
PUBLISHED = [dg.AssetKey(["reporting", t]) for t in PUBLISHED_TABLES]
PREVIEW_ROWS = 25


@dg.asset(
    key=["reports", "briefs"],
    deps=PUBLISHED,
    group_name=GROUP,
    kinds={"duckdb", "html"},
    owners=OWNERS,
)
def briefs(
    context: dg.AssetExecutionContext, settings: CakupanSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """One page per kab/kota (`reports/kota/61.72.html`), per province
    (`reports/provinsi/61.html`) and for the nation (`reports/index.html`), in Indonesian,
    for the latest snapshot of `coverage.duckdb`: self-contained HTML with SVG charts, no
    script, printable on A4. The folder is rebuilt beside the old one and swapped in."""
    del warehouse  # required only for the run lock: one run at a time writes the output
    config = settings.get()
    with output_failures(config.output / "reports", "the briefs"):
        written = write_reports(config.published_path, config.output / "reports")
    latest = written.snapshot.isoformat()
    with duckdb.connect(str(config.published_path), read_only=True) as con:
        preview = markdown_table(
            con,
            "SELECT rank_national, region_code, region_name, province_name, coverage_pct, "
            "target_pct, covered_total, potential_total, workers_to_target "
            "FROM reporting.coverage_by_city WHERE snapshot_date = ? "
            f"ORDER BY rank_national NULLS LAST, region_code LIMIT {PREVIEW_ROWS}",
            [written.snapshot],
        )
    context.log.info(
        f"wrote {written.cities} kab/kota and {written.provinces} province pages in "
        f"{written.folder} (snapshot {latest})"
    )
    return dg.MaterializeResult(
        metadata={
            "national page": dg.MetadataValue.url(written.national_page.resolve().as_uri()),
            "reports folder": dg.MetadataValue.path(str(written.folder)),
            "example city page": dg.MetadataValue.path(str(written.folder / "kota" / "61.72.html")),
            "snapshot": dg.MetadataValue.text(latest),
            "published by run": dg.MetadataValue.text(written.run_id),
            "city pages": dg.MetadataValue.int(written.cities),
            "province pages": dg.MetadataValue.int(written.provinces),
            f"top {PREVIEW_ROWS} kab/kota ({latest})": dg.MetadataValue.md(preview),
        }
    )


@dg.asset(
    key=["reports", "exports"],
    deps=PUBLISHED,
    group_name=GROUP,
    kinds={"duckdb", "parquet", "excel"},
    owners=OWNERS,
)
def exports(
    context: dg.AssetExecutionContext, settings: CakupanSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Every `reporting.*` table and `quality.validation_results`, all snapshots, in
    `exports/`: `<table>.parquet`, `<table>.csv` (international), `id/<table>.csv`
    (Indonesian Excel: `;`, decimal comma, BOM) and one workbook `cakupan.xlsx`."""
    del warehouse  # required only for the run lock
    config = settings.get()
    folder = config.output / "exports"
    with output_failures(folder, "the exports"):
        files = write_exports(config.published_path, folder)
    sizes = "\n".join(
        f"| `{f.as_posix()}` | {(folder / f).stat().st_size:,} |" for f in sorted(files)
    )
    context.log.info(f"wrote {len(files)} export files in {folder}")
    return dg.MaterializeResult(
        metadata={
            "exports folder": dg.MetadataValue.path(str(folder)),
            "workbook": dg.MetadataValue.path(str(folder / WORKBOOK)),
            "files": dg.MetadataValue.md("| file | bytes |\n|---|---|\n" + sizes),
        }
    )
