"""Generate a national-style landing folder of N membership rows (issue #10), in DuckDB SQL.

Deterministic: every value is DuckDB's ``hash()`` of the row, the person and the seed, so a
given ``--rows``, ``--seed``, format and DuckDB version always give the same content. No
Python row loops: 50 million rows take a few minutes on 2 cores.

The landing folder (``--out``)::

    membership/members_2025-06-30.parquet   the N-row snapshot (or .csv.gz with --format csv.gz)
    workforce/workforce_2024-08.csv         PU and BPU potentials of all 514 kab/kota
    targets/targets_2025.csv                a UCJ target per kab/kota (unless --no-targets)

Membership columns are the contract's (all text): snapshot_date, nik, segment, region_code,
status, programs, registered_on. The traps of docs/counting_rules.md, in these proportions:

* NIKs shaped like real ones: a real kecamatan code (districts.csv), the birth date DDMMYY
  (women: day + 40), a 4-digit serial; one NIK per person (a bijection of the person number).
* 0.2% invalid NIKs (15 or 17 digits, letters, blank) on rows that look covered: below the
  1% that rejects a file. 0.1% valid NIKs with surrounding spaces.
* 1% exact duplicate rows (the next row repeats the row before it).
* 3% of the persons have a second row: 45% of them in another segment (PU+BPU, PU+JAKON,
  PU+PMI, BPU+JAKON, JAKON+PU, PMI+PU), 25% covered in another region (registered later,
  earlier, or the same day: the region rule), 15% a later NONAKTIF row elsewhere, 15% a later
  AKTIF row without JKM elsewhere (neither may move the person).
* 25% NONAKTIF rows; 5% of the AKTIF rows lack JKM (``JKK,JHT``, ``JKK``, ``JHT``, blank).
* 10% of the rows write programs in another case, order or spacing (``jkk, jkm``,
  `` JKK , JKM ``, ``JHT ,JKM ,JKK``); 5% write the status as ``aktif``/``Aktif``.
* 15% of the rows carry a 4-digit BPS region code, taken from the BPS bridges
  (bps_kemendagri_kabkota_2020.csv, bps_papua_2023.csv: both Papua numberings), never by
  stripping a dot. 2% blank registered_on.
* Segments PU/BPU/JAKON/PMI 58/24/15/3; regions weighted by their workforce; the first
  rows go round-robin over the 514 kab/kota, so every region is present from 1,028 rows on.

Run: ``uv run --no-sync python benchmarks/make_extract.py --rows 1000000 --out DIR
[--seed 10] [--format parquet|csv.gz] [--no-targets] [--snapshot 2025-06-30]``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from cakupan.sqlfiles import read_path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"

SNAPSHOT = date(2025, 6, 30)
ROUND = "2024-08"
TARGET_YEAR = 2025
FORMATS = ("parquet", "csv.gz")
DEFAULT_SEED = 10
MEMBERSHIP_COLUMNS = (
    "snapshot_date",
    "nik",
    "segment",
    "region_code",
    "status",
    "programs",
    "registered_on",
)

SLOTS = 65536  # regions are drawn through a table of this many slots, weighted by workforce
FIRST_BIRTH = date(1962, 1, 1)
LAST_BIRTH = date(2007, 6, 30)
SERIALS = 9999  # NIK serial 0001-9999

# Every region code of the BPS bridges that means exactly one of today's kab/kota, and that
# kab/kota's dotted Kemendagri code. The 2020 bridge writes Kemendagri codes without their
# dot (1109 is 11.09); Papua, split in 2022, goes through bps_papua_2023.csv (both the BPS
# numbering used until 2023 and the one after). Used by the generator (which BPS codes to
# write), the floor query, the reference check and the peer script of bench_scale.py.
BPS_CODES_SQL = """
WITH bridged AS (
    SELECT b.kode_bps AS code,
           coalesce(p.kode_kemendagri,
                    substr(b.kode_dagri, 1, 2) || '.' || substr(b.kode_dagri, 3, 2)) AS region_code
    FROM read_csv('{ref[bps_kemendagri_kabkota_2020]}', all_varchar = true) AS b
    LEFT JOIN read_csv('{ref[bps_papua_2023]}', all_varchar = true) AS p
        ON p.kode_bps_2022 = b.kode_bps
    UNION ALL
    SELECT kode_bps_2023, kode_kemendagri
    FROM read_csv('{ref[bps_papua_2023]}', all_varchar = true)
)
SELECT code, any_value(region_code) AS region_code
FROM bridged
WHERE region_code IN (SELECT code FROM read_csv('{ref[regencies]}', all_varchar = true))
GROUP BY code
HAVING count(DISTINCT region_code) = 1
"""


def region_codes_sql(reference: Path = REFERENCE) -> str:
    """SQL of (code, region_code): every dotted kab/kota code and every unambiguous BPS code."""
    ref = reference_paths(reference)
    bps = BPS_CODES_SQL.format(ref=ref)
    return (
        f"SELECT code, code AS region_code FROM read_csv('{ref['regencies']}', "
        f"all_varchar = true) UNION ALL SELECT * FROM ({bps})"
    )


# Regions: index, code, name, potentials (log-uniform total by island, as
# scripts/make_sample.py: Java bigger, Papua smaller; 45-72% PU) and their BPS codes.
REGIONS_SQL = """
-- hm(value, tag, m): a hash of the value, the seed and a tag, in [0, m)
CREATE OR REPLACE TEMP MACRO hm(v, tag, m) AS CAST(hash(v, {seed}, tag) % m AS BIGINT);

CREATE OR REPLACE TEMP TABLE gen_regions AS
WITH r AS (
    SELECT code, province_code, name,
           CASE WHEN province_code LIKE '3%' THEN 80000 WHEN province_code LIKE '9%' THEN 30000
                ELSE 30000 END AS low,
           CASE WHEN province_code LIKE '3%' THEN 1500000 WHEN province_code LIKE '9%' THEN 250000
                ELSE 800000 END AS high,
           hm(code, 'total', 1000003) / 1000003.0 AS u_total,
           hm(code, 'share', 1000003) / 1000003.0 AS u_share
    FROM read_csv('{ref[regencies]}', all_varchar = true)
),
t AS (
    SELECT *, CAST(round(exp(ln(low) + u_total * (ln(high) - ln(low)))) AS BIGINT) AS total
    FROM r
),
bps AS (
    SELECT region_code, list(code ORDER BY code) AS bps_codes FROM ({bps}) GROUP BY region_code
)
SELECT
    CAST(row_number() OVER (ORDER BY t.code) AS INTEGER) AS idx,  -- 1-based, for list indexing
    t.code, t.province_code, t.name,
    CAST(round(t.total * (0.45 + 0.27 * t.u_share)) AS BIGINT) AS potential_pu,
    t.total - CAST(round(t.total * (0.45 + 0.27 * t.u_share)) AS BIGINT) AS potential_bpu,
    coalesce(b.bps_codes, []) AS bps_codes
FROM t LEFT JOIN bps AS b ON b.region_code = t.code
ORDER BY t.code;

-- Slot s (0-based) -> region index, each region getting slots in proportion to its workforce.
CREATE OR REPLACE TEMP TABLE gen_slots AS
WITH c AS (
    SELECT idx,
           sum(potential_pu + potential_bpu) OVER (ORDER BY idx) - potential_pu - potential_bpu
               AS lo,
           sum(potential_pu + potential_bpu) OVER (ORDER BY idx) AS hi,
           sum(potential_pu + potential_bpu) OVER () AS total
    FROM gen_regions
),
b AS (  -- slot s is the region's when lo <= (s + 0.5) total / slots < hi
    SELECT idx,
           CAST(ceil((lo * {slots} * 2 - total) / (2.0 * total)) AS BIGINT) AS first_slot,
           CAST(ceil((hi * {slots} * 2 - total) / (2.0 * total)) AS BIGINT) AS end_slot
    FROM c
)
SELECT unnest(range(first_slot, end_slot)) AS s, idx FROM b;

SET VARIABLE gen_slot_region = (SELECT list(idx ORDER BY s) FROM gen_slots);
SET VARIABLE gen_codes = (SELECT list(code ORDER BY idx) FROM gen_regions);
SET VARIABLE gen_bps = (SELECT list(bps_codes ORDER BY idx) FROM gen_regions);
SET VARIABLE gen_districts = (
    SELECT list(replace(code, '.', '') ORDER BY code)
    FROM read_csv('{ref[districts]}', all_varchar = true)
);
"""

# One output row per range() index i. The content of a row is a function of its "logical
# row" j only: an exact duplicate (1%) is an odd i whose j is i - 1. Logical row j belongs
# to person p = floor(0.97 j): 3% of the persons own two consecutive logical rows (slot 0
# and slot 1). Person-level values hash p, row-level formatting hashes j.
ROWS_SQL = """
WITH o AS (
    SELECT i, CASE WHEN i % 2 = 1 AND hm(i // 2, 'dup', 1000) < 20 THEN i - 1 ELSE i END
        AS j
    FROM range({rows}) AS t(i)
),
l AS (
    SELECT j, (j * 97) // 100 AS p,
           j > 0 AND ((j - 1) * 97) // 100 = (j * 97) // 100 AS second
    FROM o
),
per AS (
    SELECT
        j, p, second,
        hm(p, 'segment', 100) AS h_seg,
        CAST(CASE WHEN p < {n_regions} THEN p + 1
             ELSE getvariable('gen_slot_region')[hm(p, 'region', {slots}) + 1] END
             AS INTEGER) AS region0,
        CAST(getvariable('gen_slot_region')[hm(p, 'elsewhere', {slots}) + 1] AS INTEGER)
            AS region_other,
        CASE WHEN hm(p, 'blank', 100) < 2 THEN NULL
             ELSE DATE '2005-01-01' + CAST(hm(p, 'registered', 7300) AS INTEGER) END
            AS registered0,
        hm(p, 'status', 100) < 25 AS nonaktif0,
        hm(p, 'no_jkm', 100) < 5 AS no_jkm0,
        hm(p, 'programs', 100) AS h_prog0,
        hm(p, 'kind', 100) AS kind1,
        hm(p, 'misc', 100) AS h_misc,
        hm(p, 'programs1', 100) AS h_prog1,
        CAST(1 + hm(p, 'days', 2000) AS INTEGER) AS days1,
        -- NIK: an affine bijection of p onto (district, birth day, sex, serial)
        (CAST(p AS HUGEINT) * {nik_a} + {nik_b}) % {nik_space} AS x,
        hm(j, 'nik', 10000) AS h_nik,
        hm(j, 'code', 100) AS h_code,
        hm(j, 'bps', 1000003) AS h_bps,
        hm(j, 'format', 100) AS h_fmt
    FROM l
),
seg AS (
    SELECT *,
        CASE WHEN h_seg < 58 THEN 'PU' WHEN h_seg < 82 THEN 'BPU' WHEN h_seg < 97 THEN 'JAKON'
             ELSE 'PMI' END AS segment0
    FROM per
),
r AS (  -- the row of the person's slot
    SELECT *,
        CASE WHEN NOT second THEN segment0
             WHEN kind1 >= 45 THEN segment0
             WHEN segment0 = 'PU' THEN ['BPU', 'JAKON', 'PMI'][h_misc % 3 + 1]
             WHEN segment0 = 'BPU' THEN 'JAKON'
             ELSE 'PU' END AS segment,
        CASE WHEN NOT second THEN region0
             WHEN kind1 < 45 AND h_misc < 50 THEN region0
             ELSE region_other END AS region,
        CASE WHEN NOT second THEN CASE WHEN nonaktif0 THEN 'NONAKTIF' ELSE 'AKTIF' END
             WHEN kind1 >= 70 AND kind1 < 85 THEN 'NONAKTIF'
             ELSE 'AKTIF' END AS status,
        CASE WHEN NOT second THEN NOT nonaktif0 AND no_jkm0
             ELSE kind1 >= 85 END AS lacks_jkm,
        CASE WHEN NOT second THEN registered0
             WHEN kind1 < 45 THEN DATE '2005-01-01' + CAST(hm(p, 'registered1', 7300) AS INTEGER)
             WHEN kind1 < 70 AND registered0 IS NOT NULL AND h_misc < 10 THEN registered0  -- tie
             WHEN kind1 < 70 AND registered0 IS NOT NULL AND h_misc >= 55
                THEN registered0 - days1                                              -- earlier
             ELSE least(coalesce(registered0, DATE '2005-01-01') + days1, DATE '{snapshot}')
        END AS registered_on,
        CASE WHEN NOT second THEN h_prog0 ELSE h_prog1 END AS h_prog,
        x % {n_districts} AS district,
        DATE '{first_birth}' + CAST((x // {n_districts}) % {n_birth_days} AS INTEGER) AS birth,
        (x // ({n_districts} * {n_birth_days})) % 2 = 1 AS female,
        x // ({n_districts} * {n_birth_days} * 2) + 1 AS serial
    FROM seg
),
f AS (
    SELECT *,
        getvariable('gen_districts')[CAST(district AS INTEGER) + 1]
            || lpad(CAST(day(birth) + CASE WHEN female THEN 40 ELSE 0 END AS VARCHAR), 2, '0')
            || strftime(birth, '%m%y') || lpad(CAST(serial AS VARCHAR), 4, '0') AS nik16,
        CASE
            WHEN lacks_jkm THEN ['JKK,JHT', 'JKK', 'JHT', ''][h_prog % 4 + 1]
            WHEN segment = 'PU' THEN CASE WHEN h_prog < 50 THEN 'JKK,JKM,JHT,JP,JKP'
                WHEN h_prog < 75 THEN 'JKK,JKM,JHT,JP' WHEN h_prog < 90 THEN 'JKK,JKM,JHT'
                ELSE 'JKK,JKM' END
            WHEN segment = 'BPU' THEN CASE WHEN h_prog < 60 THEN 'JKK,JKM' ELSE 'JKK,JKM,JHT' END
            WHEN segment = 'JAKON' THEN 'JKK,JKM'
            ELSE CASE WHEN h_prog < 70 THEN 'JKK,JKM' ELSE 'JKK,JKM,JHT' END
        END AS programs0,
        getvariable('gen_bps')[region] AS bps_codes
    FROM r
)
SELECT
    '{snapshot}' AS snapshot_date,
    CASE
        WHEN h_nik < 20 THEN [substr(nik16, 1, 15), nik16 || CAST(h_nik % 10 AS VARCHAR),
                              substr(nik16, 1, 8) || 'XX' || substr(nik16, 11), NULL][h_nik % 4 + 1]
        WHEN h_nik < 30 THEN [' ' || nik16, nik16 || ' ', '  ' || nik16 || '  '][h_nik % 3 + 1]
        ELSE nik16
    END AS nik,
    segment,
    CASE WHEN h_code < 15 AND len(bps_codes) > 0 THEN bps_codes[h_bps % len(bps_codes) + 1]
         ELSE getvariable('gen_codes')[region] END AS region_code,
    CASE
        WHEN h_nik < 20 THEN 'AKTIF'  -- invalid NIKs look covered: counting them would show
        WHEN h_fmt >= 10 AND h_fmt < 15
            THEN CASE WHEN h_fmt % 2 = 0 THEN lower(status)
                      ELSE upper(status[1]) || lower(status[2:]) END
        ELSE status
    END AS status,
    CASE
        WHEN h_nik < 20 THEN 'JKK,JKM,JHT'
        WHEN h_fmt < 10 THEN [
            lower(replace(programs0, ',', ', ')),
            ' ' || replace(programs0, ',', ' , ') || ' ',
            array_to_string(list_reverse(string_split(programs0, ',')), ' ,')
        ][h_fmt % 3 + 1]
        ELSE programs0
    END AS programs,
    strftime(registered_on, '%Y-%m-%d') AS registered_on
FROM f
"""

WORKFORCE_SQL = """
COPY (
    SELECT '{round}' AS reference_period, code AS region_code, name AS region_name,
           segment, potential_workers
    FROM gen_regions
    CROSS JOIN LATERAL (VALUES ('PU', potential_pu), ('BPU', potential_bpu))
        AS s(segment, potential_workers)
    ORDER BY code, segment DESC
) TO '{path}' (FORMAT csv, HEADER true)
"""

TARGETS_SQL = """
COPY (
    SELECT {year} AS year, code AS region_code,
           printf('%.2f', 20 + hm(code, 'target', 3501) / 100.0) AS target_pct
    FROM gen_regions ORDER BY code
) TO '{path}' (FORMAT csv, HEADER true)
"""


def _sql_str(p: Path | str) -> str:
    return str(p).replace("'", "''")


def read_str(p: Path | str) -> str:
    """``p`` for a DuckDB reader's string literal: exactly that file, never a pattern."""
    return _sql_str(read_path(p))


def reference_paths(reference: Path = REFERENCE) -> dict[str, str]:
    """The reference CSV files the queries read (``{ref[regencies]}``), by name."""
    names = ("bps_kemendagri_kabkota_2020", "bps_papua_2023", "regencies", "districts")
    return {n: read_str(reference / f"{n}.csv") for n in names}


def nik_parameters(seed: int, n_districts: int) -> dict[str, int]:
    """The affine bijection p -> (a p + b) mod S over S = districts x birth days x 2 x serials."""
    n_birth_days = (LAST_BIRTH - FIRST_BIRTH).days + 1
    space = n_districts * n_birth_days * 2 * SERIALS
    a = 0x9E3779B97F4A % space + 1000 * seed + 1  # spreads consecutive persons apart
    while math.gcd(a, space) != 1:
        a += 1
    b = (seed * 7_919_113) % space
    return {"nik_a": a, "nik_b": b, "nik_space": space, "n_birth_days": n_birth_days}


def membership_name(fmt: str, snapshot: date = SNAPSHOT) -> str:
    return f"members_{snapshot.isoformat()}.{fmt}"


def generate(
    out: Path,
    rows: int,
    seed: int = DEFAULT_SEED,
    fmt: str = "parquet",
    targets: bool = True,
    threads: int | None = None,
    snapshot: date = SNAPSHOT,
) -> dict[str, Any]:
    """Write the landing folder ``out`` (deleted and recreated); returns what was written.

    ``snapshot`` is the membership file's snapshot date (and its name's); the rows depend on
    it only through the registration dates, which never pass it."""
    import duckdb

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    if rows < 1:
        raise ValueError("rows must be positive")
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    for folder in ("membership", "workforce") + (("targets",) if targets else ()):
        (out / folder).mkdir(parents=True)

    t0 = time.perf_counter()
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = true")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        ref = reference_paths(REFERENCE)
        n_districts = con.execute(
            f"SELECT count(*) FROM read_csv('{ref['districts']}', all_varchar = true)"
        ).fetchone()[0]
        con.execute(
            REGIONS_SQL.format(
                ref=ref, bps=BPS_CODES_SQL.format(ref=ref), slots=SLOTS, seed=int(seed)
            )
        )
        n_regions = con.execute("SELECT count(*) FROM gen_regions").fetchone()[0]
        rows_sql = ROWS_SQL.format(
            n_regions=n_regions,
            slots=SLOTS,
            snapshot=snapshot.isoformat(),
            first_birth=FIRST_BIRTH.isoformat(),
            n_districts=n_districts,
            seed=int(seed),
            rows=int(rows),
            **nik_parameters(seed, n_districts),
        )
        membership = out / "membership" / membership_name(fmt, snapshot)
        options = (
            "FORMAT parquet, COMPRESSION zstd"
            if fmt == "parquet"
            else "FORMAT csv, HEADER true, COMPRESSION gzip"
        )
        con.execute(f"COPY ({rows_sql}) TO '{_sql_str(membership)}' ({options})")
        t_membership = time.perf_counter() - t0
        con.execute(
            WORKFORCE_SQL.format(
                round=ROUND, path=_sql_str(out / "workforce" / f"workforce_{ROUND}.csv")
            )
        )
        if targets:
            con.execute(
                TARGETS_SQL.format(
                    year=TARGET_YEAR,
                    path=_sql_str(out / "targets" / f"targets_{TARGET_YEAR}.csv"),
                    seed=int(seed),
                )
            )
        potential = con.execute(
            "SELECT sum(potential_pu), sum(potential_bpu) FROM gen_regions"
        ).fetchone()
    finally:
        con.close()
    return {
        "landing": str(out),
        "membership_file": str(membership),
        "rows": rows,
        "seed": seed,
        "format": fmt,
        "snapshot": snapshot.isoformat(),
        "regions": n_regions,
        "membership_bytes": membership.stat().st_size,
        "potential_pu": int(potential[0]),
        "potential_bpu": int(potential[1]),
        "membership_s": t_membership,
        "total_s": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, required=True, help="membership rows")
    ap.add_argument("--out", type=Path, required=True, help="landing folder (recreated)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--format", choices=FORMATS, default="parquet")
    ap.add_argument("--no-targets", action="store_true", help="write no targets/ folder")
    ap.add_argument(
        "--snapshot",
        type=date.fromisoformat,
        default=SNAPSHOT,
        help=f"snapshot date, YYYY-MM-DD (default {SNAPSHOT.isoformat()})",
    )
    args = ap.parse_args(argv)
    info = generate(
        args.out,
        args.rows,
        args.seed,
        args.format,
        targets=not args.no_targets,
        snapshot=args.snapshot,
    )
    print(
        f"{info['rows']:,} rows ({info['format']}, seed {info['seed']}, {info['regions']} kab/kota)"
        f" -> {info['membership_file']} ({info['membership_bytes'] / 1e6:,.1f} MB)"
        f" in {info['total_s']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
