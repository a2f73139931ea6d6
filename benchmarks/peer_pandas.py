"""The peer of bench_scale.py: what a user would write without cakupan, in pandas (issue #10).

Reads the membership snapshot with ``pd.read_parquet`` or ``pd.read_csv``, keeps the covered
rows (valid NIK, AKTIF, programs with JKK and JKM), maps BPS region codes through the
bridges, drops duplicates and counts covered persons per region and segment with
``groupby``; also nationally per segment, exactly, and covered_total (PU, BPU or JAKON).
The region rule is approximated as a quick script would (a person covered in one segment in
two regions counts in both). With ``--gx``, the frame is first validated with Great
Expectations on pandas (NIK format, segment and status values, region codes present).

Run: ``python benchmarks/peer_pandas.py FILE --out RESULT.json [--gx]`` (bench_scale.py runs
it under ``prlimit --as``, so that running out of memory is a result).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
COLUMNS = ["nik", "segment", "region_code", "status", "programs", "registered_on"]


def region_map() -> dict[str, str]:
    """Region code as written -> today's dotted Kemendagri kab/kota code."""
    regencies = pd.read_csv(REFERENCE / "regencies.csv", dtype=str)
    codes = dict(zip(regencies["code"], regencies["code"], strict=True))
    bridge = pd.read_csv(REFERENCE / "bps_kemendagri_kabkota_2020.csv", dtype=str)
    papua = pd.read_csv(REFERENCE / "bps_papua_2023.csv", dtype=str)
    papua_old = dict(zip(papua["kode_bps_2022"], papua["kode_kemendagri"], strict=True))
    for bps, dagri in zip(bridge["kode_bps"], bridge["kode_dagri"], strict=True):
        codes.setdefault(bps, papua_old.get(bps, f"{dagri[:2]}.{dagri[2:]}"))
    for bps, dagri in zip(papua["kode_bps_2023"], papua["kode_kemendagri"], strict=True):
        codes.setdefault(bps, dagri)
    return codes


def validate_with_gx(df: pd.DataFrame, times: dict[str, float]) -> dict:
    t = time.perf_counter()
    import great_expectations as gx

    times["gx_import_s"] = time.perf_counter() - t
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("peer")
        .add_dataframe_asset("membership")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": df})
    )
    suite = gx.ExpectationSuite(
        name="membership",
        expectations=[
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column="nik", regex=r"^\s*\d{16}\s*$", mostly=0.99
            ),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="segment", value_set=["PU", "BPU", "JAKON", "PMI"]
            ),
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column="status", regex=r"(?i)^\s*(non)?aktif\s*$"
            ),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="region_code"),
        ],
    )
    result = batch.validate(suite)
    return {
        "success": bool(result.success),
        "failed": [r.expectation_config.type for r in result.results if not r.success],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--gx", action="store_true", help="validate with Great Expectations first")
    args = ap.parse_args()

    times = {}
    t = time.perf_counter()
    if args.file.name.endswith(".parquet"):
        df = pd.read_parquet(args.file, columns=COLUMNS)
    else:
        df = pd.read_csv(args.file, usecols=COLUMNS, dtype=str, keep_default_na=False)
    times["read_s"] = time.perf_counter() - t
    rows = len(df)

    gx_result = None
    if args.gx:
        t = time.perf_counter()
        gx_result = validate_with_gx(df, times)
        times["gx_s"] = time.perf_counter() - t  # import included

    t = time.perf_counter()
    df["nik"] = df["nik"].str.strip()
    df = df[df["nik"].str.fullmatch(r"\d{16}", na=False)]
    programs = df["programs"].fillna("").str.upper().str.replace(" ", "", regex=False)
    programs = "," + programs + ","
    covered = (
        (df["status"].str.strip().str.upper() == "AKTIF")
        & programs.str.contains(",JKK,", regex=False)
        & programs.str.contains(",JKM,", regex=False)
    )
    df = df[covered].copy()
    df["segment"] = df["segment"].str.strip().str.upper()
    df["region_code"] = df["region_code"].str.strip().map(region_map())
    df = df.drop_duplicates(subset=["nik", "segment", "region_code"])
    by_region = df.groupby(["region_code", "segment"])["nik"].nunique()
    national = df.drop_duplicates(subset=["nik", "segment"]).groupby("segment").size()
    covered_total = df.loc[df["segment"] != "PMI", "nik"].nunique()
    times["compute_s"] = time.perf_counter() - t

    result = {
        "rows": rows,
        "national": {seg: int(national.get(seg, 0)) for seg in ("PU", "BPU", "JAKON", "PMI")},
        "covered_total": int(covered_total),
        "region_rows": int(len(by_region)),
        "gx": gx_result,
        **times,
    }
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
