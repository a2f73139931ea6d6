"""Sakernas status tables and membership counts: the extracts people actually have.

``raw/sakernas`` checks the status mapping (a wrong mapping is rejected like a landing
file) and reads ``sakernas/``; ``staging/sakernas_potentials`` turns it into PU and BPU
potentials, which ``staging/workforce`` joins. ``raw/membership_counts`` reads
``membership_counts/`` (after ``raw/membership``: counts for a region with participant
rows are rejected), ``staging/membership_counts`` keeps the latest count per key.
"""

import dagster as dg
import polars as pl

from assets.materialize import OWNERS, materialize_sql
from assets.ops import REPORT_REJECTED_FILES
from assets.raw import GROUP as RAW
from assets.raw import KINDS, forced, ingest_extract, raw_asset
from assets.resources import CakupanSettings, Warehouse
from assets.staging import MACROS
from cakupan import rejections, sakernas
from cakupan.config import LandingDirectoryError
from cakupan.extracts import MEMBERSHIP_COUNTS, SAKERNAS
from cakupan.ingest import ingest
from cakupan.rejections import FileRejected
from cakupan.sqlfiles import run_sql, sql_version


@dg.asset(
    key=["raw", "sakernas"],
    group_name=RAW,
    kinds=KINDS,
    deps=[dg.AssetKey(["reference", t]) for t in SAKERNAS.references],
    description=SAKERNAS.description,
    code_version=sql_version(
        "raw/status_mapping.sql", "raw/macros.sql", SAKERNAS.table_sql, SAKERNAS.parse_sql
    ),
    owners=OWNERS,
    hooks=REPORT_REJECTED_FILES,
)
def raw_sakernas(
    context: dg.AssetExecutionContext, settings: CakupanSettings, warehouse: Warehouse
) -> dg.MaterializeResult:
    config = settings.get()
    path = sakernas.mapping_path()
    mapping, wrong = sakernas.load_mapping(path)
    if not wrong:
        with warehouse.get_connection() as con:
            frame = pl.DataFrame(mapping, schema=["category", "segment"], orient="row")
            con.register("mapping_rows", frame.with_columns(source_file=pl.lit(str(path))))
            run_sql(con, "raw/status_mapping.sql")
            con.unregister("mapping_rows")
        context.log.info(f"sakernas: status mapping {path}")
        return ingest_extract(context, config, warehouse, SAKERNAS)
    try:  # the mapping is wrong: still check every landing file, then reject them all
        config.check_landing()
    except LandingDirectoryError as exc:
        raise dg.Failure(str(exc)) from None
    with warehouse.get_connection() as con:
        rejections.start(con, config, context.run.run_id)
        try:  # every file checked, none loaded: the ledger says why
            run_id, force = context.run.run_id, forced(context)
            ingest(con, config, SAKERNAS.name, context.log, run_id, force, elsewhere=wrong)
        except FileRejected as rejected:
            wrong = rejected.rejections
        rejections.record(con, config, context.run.run_id, SAKERNAS.name, wrong)
    raise dg.Failure(
        description=f"status mapping {path} rejected; nothing was loaded:\n"
        + "\n".join(map(str, wrong)),
        metadata={"rejections": dg.MetadataValue.path(str(config.rejected_files_path))},
    )


# after raw/membership: counts for a region that has participant rows are rejected
raw_membership_counts = raw_asset(MEMBERSHIP_COUNTS, deps=[dg.AssetKey(["raw", "membership"])])


@dg.asset(
    key=["staging", "sakernas_potentials"],
    group_name="staging",
    kinds={"duckdb", "silver"},
    deps=[["raw", "sakernas"]],
    code_version=sql_version(*MACROS, "staging/sakernas_potentials.sql"),
    owners=OWNERS,
)
def sakernas_potentials(warehouse: Warehouse):
    """PU and BPU potentials per Sakernas round and kab/kota, derived from the status tables
    through the status mapping (ASN/TNI/Polri subtracted from PU, never below 0)."""
    return materialize_sql(
        warehouse, "staging/sakernas_potentials.sql", "staging.sakernas_potentials", MACROS
    )


@dg.asset(
    key=["staging", "membership_counts"],
    group_name="staging",
    kinds={"duckdb", "silver"},
    deps=[["raw", "membership_counts"]],
    code_version=sql_version(*MACROS, "staging/membership_counts.sql"),
    owners=OWNERS,
)
def membership_counts(warehouse: Warehouse):
    """Covered persons given as counts per snapshot, kab/kota and segment; a later file, or
    line, replaces an earlier one."""
    return materialize_sql(
        warehouse, "staging/membership_counts.sql", "staging.membership_counts", MACROS
    )
