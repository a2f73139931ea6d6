"""Raw stage: every landing extract read, checked and loaded, all files of a kind or none."""

import dagster as dg

from assets.materialize import OWNERS, PII, sql_version, table_metadata
from assets.ops import REPORT_REJECTED_FILES
from assets.resources import CakupanSettings, Warehouse
from cakupan import rejections
from cakupan.config import LandingDirectoryError
from cakupan.ingest import ingest
from cakupan.landing import FileRejected

GROUP = "raw"
KINDS = {"polars", "duckdb", "bronze"}
REGION_CODES = dg.AssetKey(["reference", "region_codes"])


def raw_version(kind: str) -> str:
    return sql_version("raw/macros.sql", f"raw/{kind}.sql", f"raw/parse_{kind}.sql")


def _ingest(
    context: dg.AssetExecutionContext,
    settings: CakupanSettings,
    warehouse: Warehouse,
    kind: str,
) -> dg.MaterializeResult:
    config = settings.get()
    try:
        config.check_landing()
    except LandingDirectoryError as exc:
        raise dg.Failure(str(exc)) from None
    with warehouse.get_connection() as con:
        rejections.start(con, config, context.run.run_id)  # no earlier run's rejections
        try:
            report = ingest(con, config, kind, context.log)
        except FileRejected as rejected:
            rejections.record(con, config, context.run.run_id, kind, rejected.rejections)
            raise dg.Failure(
                description=f"{len({r.file for r in rejected.rejections})} {kind} file(s) "
                f"rejected; nothing was loaded:\n" + "\n".join(map(str, rejected.rejections)),
                metadata={
                    "rejected files": dg.MetadataValue.json(
                        sorted({r.file for r in rejected.rejections})
                    ),
                    "rejections": dg.MetadataValue.path(str(config.rejected_files_path)),
                },
            ) from None
        rejections.record(con, config, context.run.run_id, kind, [])
        metadata = {
            **table_metadata(con, f"raw.{kind}"),
            "files": dg.MetadataValue.md(report.markdown()),
            "landing folder": dg.MetadataValue.path(str(config.landing / kind)),
        }
        if report.skipped:
            metadata["skipped entries"] = dg.MetadataValue.json(report.skipped)
        if kind == "membership":
            metadata["invalid NIK rows"] = dg.MetadataValue.int(
                sum(f.invalid_nik for f in report.files)
            )
        return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=["raw", "workforce"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[REGION_CODES],
    code_version=raw_version("workforce"),
    owners=OWNERS,
    hooks=REPORT_REJECTED_FILES,
)
def workforce(
    context: dg.AssetExecutionContext, settings: CakupanSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Workforce estimates (BPS Sakernas): potential PU and BPU workers per kab/kota and
    round, from every `.csv`/`.parquet` in `workforce/`; region codes translated to today's
    Kemendagri codes; province and national totals skipped."""
    return _ingest(context, settings, warehouse, "workforce")


@dg.asset(
    key=["raw", "membership"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[REGION_CODES, dg.AssetKey(["reference", "districts"])],
    code_version=raw_version("membership"),
    owners=OWNERS,
    tags=PII,
    hooks=REPORT_REJECTED_FILES,
)
def membership(
    context: dg.AssetExecutionContext, settings: CakupanSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """BPJS Ketenagakerjaan membership rows from every `.csv`, `.csv.gz` and `.parquet` in
    `membership/`. The NIK is replaced by a keyed HMAC pseudonym as it is read, with flags
    for its validity and structure; it is never stored."""
    return _ingest(context, settings, warehouse, "membership")


@dg.asset(
    key=["raw", "targets"],
    group_name=GROUP,
    kinds=KINDS,
    deps=[REGION_CODES],
    code_version=raw_version("targets"),
    owners=OWNERS,
    hooks=REPORT_REJECTED_FILES,
)
def targets(
    context: dg.AssetExecutionContext, settings: CakupanSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    """UCJ coverage targets per year and kab/kota from every `.csv` in `targets/`."""
    return _ingest(context, settings, warehouse, "targets")
