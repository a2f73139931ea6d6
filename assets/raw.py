"""Raw stage: every landing extract read, checked and loaded, all files of a kind or none.

One asset per kind of extract (``raw/workforce``, ``raw/membership``, ``raw/targets``),
each made from its specification in ``cakupan.extracts``.
"""

import dagster as dg

from assets.materialize import OWNERS, PII, table_metadata
from assets.ops import REPORT_REJECTED_FILES
from assets.resources import CakupanSettings, Warehouse
from cakupan import ledger, preflight, rejections
from cakupan.config import LandingDirectoryError
from cakupan.extracts import MEMBERSHIP, TARGETS, WORKFORCE, Extract
from cakupan.ingest import ingest
from cakupan.landing import jakarta_today
from cakupan.rejections import FileRejected
from cakupan.sqlfiles import sql_version

GROUP = "raw"
KINDS = {"polars", "duckdb", "bronze"}


def forced(context) -> bool:
    """Whether the run reads every file again (``cakupan run --force``)."""
    return context.run.tags.get(ledger.FORCE_TAG) == "true"


def raw_version(extract: Extract) -> str:
    """Code version: a hash of every SQL file the kind's ingest runs."""
    return sql_version(*extract.sql_files)


def raw_asset(extract: Extract, deps=()) -> dg.AssetsDefinition:
    """The ``raw/<kind>`` asset of one extract specification."""

    @dg.asset(
        key=["raw", extract.name],
        group_name=GROUP,
        kinds=KINDS,
        deps=[*(dg.AssetKey(["reference", table]) for table in extract.references), *deps],
        description=extract.description,
        code_version=raw_version(extract),
        owners=OWNERS,
        tags=PII if extract.pseudonymized else None,
        hooks=REPORT_REJECTED_FILES,
    )
    def _asset(
        context: dg.AssetExecutionContext, settings: CakupanSettings, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        return ingest_extract(context, settings.get(), warehouse, extract)

    return _asset


def ingest_extract(context, config, warehouse: Warehouse, extract: Extract) -> dg.MaterializeResult:
    """Load every file of ``extract``'s folder into ``raw.<kind>``, or fail naming every
    rejection (recorded in ``ops.rejected_files`` and ``rejected_files.csv``). Files
    unchanged since the ingest ledger's record are not read again (``cakupan.ledger``)."""
    try:
        config.check_landing()
        # the same check as `cakupan run`'s, for runs started from the UI or the schedule:
        # no potentials or no membership at all fails here, naming the folders looked in
        required = tuple(k for k in preflight.REQUIRED if k == extract.name)
        for warning in preflight.check(config.landing, required, config.landing_option):
            if extract.name in preflight.OPTIONAL:
                context.log.warning(warning)
    except (LandingDirectoryError, preflight.NoExtractsError) as exc:
        raise dg.Failure(str(exc)) from None
    run_id = context.run.run_id
    record = context.instance.get_run_record_by_id(run_id)  # dates checked against its day
    today = jakarta_today(record.create_timestamp if record else None)
    with warehouse.get_connection() as con:
        rejections.start(con, config, run_id)  # no earlier run's rejections
        try:
            report = ingest(
                con,
                config,
                extract.name,
                context.log,
                run_id=run_id,
                force=forced(context),
                today=today,
            )
        except FileRejected as rejected:
            rejections.record(con, config, run_id, extract.name, rejected.rejections)
            files = sorted({r.file for r in rejected.rejections})
            raise dg.Failure(
                description=f"{len(files)} {extract.name} file(s) rejected; nothing was "
                "loaded:\n" + "\n".join(map(str, rejected.rejections)),
                metadata={
                    "rejected files": dg.MetadataValue.json(files),
                    "rejections": dg.MetadataValue.path(str(config.rejected_files_path)),
                },
            ) from None
        rejections.record(con, config, run_id, extract.name, [])
        metadata = {
            **table_metadata(con, extract.table),
            "files": dg.MetadataValue.md(report.markdown()),
            "landing folder": dg.MetadataValue.path(str(config.landing / extract.name)),
        }
        if report.removed:
            metadata["removed files"] = dg.MetadataValue.json(report.removed)
        if report.skipped:
            metadata["skipped entries"] = dg.MetadataValue.json(report.skipped)
        if report.unsettled:
            metadata["still being written"] = dg.MetadataValue.json(report.unsettled)
        for label, total in report.totals().items():
            metadata[label] = dg.MetadataValue.int(total)
        return dg.MaterializeResult(metadata=metadata)


workforce = raw_asset(WORKFORCE)
membership = raw_asset(MEMBERSHIP)
targets = raw_asset(TARGETS)
