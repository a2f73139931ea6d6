"""Region codes as people type them: every code form the landing accepts (Kemendagri
``PP.KK``, BPS 4-digit codes of either numbering, Papua codes from before the 2022 split)
and a province code (Kemendagri ``PP`` or ``PP.00``, BPS ``PP00``), resolved to today's
Kemendagri code through the shipped BPS bridges (``sql/reference/region_codes.sql``, the
table the ingest translates codes with), never by adding or stripping a dot."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from cakupan.config import REFERENCE_DIR
from cakupan.sqlfiles import read_path, run_sql, sql

# the reference tables region_codes.sql reads (data/reference/<table>.csv)
BRIDGE_TABLES = (
    "regencies",
    "provinces",
    "bps_kemendagri_kabkota_2020",
    "bps_kemendagri_provinsi_2020",
    "bps_papua_2023",
)


@dataclass(frozen=True)
class Region:
    level: str  # 'kabkota' or 'province'
    code: str  # today's Kemendagri code: PP.KK or PP


def load_reference(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """``reference.<table>`` from the shipped ``data/reference/<table>.csv``, as text."""
    con.execute("CREATE SCHEMA IF NOT EXISTS reference")
    con.execute(
        sql("reference/load_csv.sql").format(table=table),
        {"path": read_path(REFERENCE_DIR / f"{table}.csv", con)},
    )


def resolve(code: str) -> Region:
    """The kab/kota or province that ``code`` names; ValueError naming it when it names
    none (or only the whole of Indonesia)."""
    text = code.strip()
    with duckdb.connect() as con:
        for table in BRIDGE_TABLES:
            load_reference(con, table)
        run_sql(con, "reference/region_codes.sql")
        found = con.execute(sql("reference/resolve_code.sql"), {"code": text}).fetchall()
    if not found:
        raise ValueError(
            f"no kab/kota {text!r} and no province of that code: give a Kemendagri code "
            "(61.72; 61 for a province) or a BPS code (6172)"
        )
    level, region = found[0]
    return Region(level, region)
