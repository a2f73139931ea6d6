"""Region reference data shipped in ``data/reference`` (see its README for provenance)."""

import dagster as dg

from assets.materialize import OWNERS, table_metadata
from assets.resources import Warehouse
from cakupan.config import REFERENCE_DIR
from cakupan.regions import BRIDGE_TABLES, load_reference
from cakupan.sqlfiles import literal, run_sql, sql_version

GROUP = "reference"

# table -> what it holds (shown in the UI and kept as the table's COMMENT)
REFERENCE_TABLES = {
    "provinces": "The 38 Kemendagri provinces: code PP, name (idn-area-data 4.0.1, ODbL 1.0).",
    "regencies": "The 514 current Kemendagri kab/kota: code PP.KK, province_code, name "
    "(idn-area-data 4.0.1, ODbL 1.0; Kepmendagri 300.2.2-2138/2025).",
    "districts": "The 7,285 Kemendagri kecamatan: code PP.KK.DD (used to check NIK structure).",
    "bps_kemendagri_kabkota_2020": "BPS 4-digit kab/kota code beside the Kemendagri code of "
    "2020 (BPS bridging table; credit BPS).",
    "bps_kemendagri_provinsi_2020": "BPS province code beside the Kemendagri province code "
    "(BPS bridging table; credit BPS).",
    "bps_papua_2023": "The 42 Papua kab/kota: BPS code before 2023, BPS code from 2023, and "
    "today's Kemendagri code (BPS bridging service; credit BPS).",
}


def _reference_asset(table: str, description: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["reference", table],
        group_name=GROUP,
        kinds={"duckdb", "csv"},
        description=f"Reference table, shipped: {description}",
        code_version=sql_version("reference/load_csv.sql", data=(REFERENCE_DIR / f"{table}.csv",)),
        owners=OWNERS,
    )
    def _asset(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            load_reference(con, table)
            con.execute(f"COMMENT ON TABLE reference.{table} IS {literal(description)}")
            return dg.MaterializeResult(metadata=table_metadata(con, f"reference.{table}"))

    return _asset


reference_tables = [_reference_asset(t, d) for t, d in REFERENCE_TABLES.items()]


@dg.asset(
    key=["reference", "region_codes"],
    group_name=GROUP,
    kinds={"duckdb"},
    deps=[["reference", t] for t in BRIDGE_TABLES],
    code_version=sql_version("reference/region_codes.sql"),
    owners=OWNERS,
)
def region_codes(warehouse: Warehouse) -> dg.MaterializeResult:
    """Reference table, derived: every region code an extract may carry (Kemendagri PP.KK,
    BPS 4-digit of either numbering, Papua codes before the 2022 split, province and
    national totals), mapped to today's Kemendagri kab/kota code through the BPS bridges,
    never by adding a dot."""
    with warehouse.get_connection() as con:
        run_sql(con, "reference/region_codes.sql")
        clashes = con.execute(
            "SELECT list(code) FROM reference.region_codes WHERE meanings > 1"
        ).fetchall()[0][0]
        if clashes:
            raise dg.Failure(f"region codes with two meanings in the reference data: {clashes}")
        unknown = con.execute(
            """SELECT list(code) FROM reference.region_codes WHERE level = 'kabkota'
               AND region_code NOT IN (SELECT code FROM reference.regencies)"""
        ).fetchall()[0][0]
        if unknown:
            raise dg.Failure(f"bridge codes mapped to no current kab/kota: {unknown}")
        counts = dict(
            con.execute(
                "SELECT numbering, count(*) FROM reference.region_codes GROUP BY ALL ORDER BY 1"
            ).fetchall()
        )
        return dg.MaterializeResult(
            metadata={
                **table_metadata(con, "reference.region_codes"),
                "codes by numbering": dg.MetadataValue.json(counts),
            }
        )
