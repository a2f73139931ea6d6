"""BPS Sakernas tables of workers by main employment status, and the mapping to PU/BPU.

A table comes in long form (``status``, ``workers`` columns) or wide form (one column per
status category, headed by its code or its label); :func:`to_long` turns either into long
rows whose ``status`` is the category's code when it is one (``sql/raw/parse_sakernas.sql``
rejects any other). The mapping (:func:`load_mapping`) says which potential each category
feeds: ``PU``, ``BPU``, ``EXCLUDED`` or ``SUBTRACT_PU``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from cakupan.config import STATUS_MAPPING, setting
from cakupan.rejections import Rejection
from cakupan.sheets import CELL, LINE, header

# BPS status pekerjaan utama (Sakernas), and ASN/TNI/Polri (insured elsewhere)
CATEGORIES = {
    "1": "Berusaha sendiri",
    "2": "Berusaha dibantu buruh tidak tetap/buruh tidak dibayar",
    "3": "Berusaha dibantu buruh tetap/buruh dibayar",
    "4": "Buruh/karyawan/pegawai",
    "5": "Pekerja bebas di pertanian",
    "6": "Pekerja bebas di nonpertanian",
    "7": "Pekerja keluarga/tak dibayar",
    "ASN": "ASN/TNI/Polri",
}
_BY_NAME = {header(k): k for k in CATEGORIES} | {header(v): k for k, v in CATEGORIES.items()}
EXPECTED = "expected a code 1-7 or ASN, or its BPS label such as 'Buruh/karyawan/pegawai'"
SEGMENTS = ("PU", "BPU", "EXCLUDED", "SUBTRACT_PU")
TOTALS = ("jumlah", "total")  # a wide table's total column, ignored
KEYS = ("reference_period", "region_code", "region_name")


def category(text: str | None) -> str | None:
    """The code of a status category written as its code or label (any case, spacing)."""
    return None if text is None else _BY_NAME.get(header(text))


def to_long(file, frame: pl.DataFrame) -> pl.DataFrame:
    """Long rows (``status`` = the category's code when it is one) of a long or wide table.

    Wide form: a total column is dropped; a category cell that is ``-`` or empty counts as
    0; a row whose category cells are all empty is a missing region (dropped)."""
    if "status" in frame.columns:
        frame = frame.rename({"jumlah": "workers"} if "jumlah" in frame.columns else {})
        code = pl.col("status").map_elements(category, return_dtype=pl.String)
        return frame.with_columns(pl.coalesce(code, pl.col("status")).alias("status"))
    data = [c for c in frame.columns if c != LINE and not c.startswith(CELL)]
    wide = [c for c in data if c not in KEYS and c not in TOTALS]
    unknown = [c for c in wide if category(c) is None]
    if unknown:
        from cakupan.rejections import FileRejected

        raise FileRejected(
            [
                Rejection(file.name, None, c, c, f"not a status category ({EXPECTED})")
                for c in unknown
            ]
        )
    if not wide:
        return frame  # neither form: the caller names the missing columns
    blank = pl.col(wide).str.strip_chars().fill_null("") == ""
    frame = frame.filter(~pl.all_horizontal(blank))
    keys = [c for c in (LINE, *KEYS) if c in frame.columns]
    keys += [CELL + c for c in KEYS if CELL + c in frame.columns]
    parts = []
    for order, column in enumerate(wide):
        value = pl.col(column).str.strip_chars()
        parts.append(
            frame.select(
                *keys,
                pl.lit(category(column)).alias("status"),
                pl.when(value.fill_null("").is_in(["", "-"]))
                .then(pl.lit("0"))
                .otherwise(pl.col(column))
                .alias("workers"),
                (pl.col(CELL + column) if CELL + column in frame.columns else pl.lit(None))
                .cast(pl.String)
                .alias(CELL + "workers"),
                pl.lit(order).alias("__order"),
            )
        )
    return pl.concat(parts).sort(LINE, "__order").drop("__order")


def mapping_path() -> Path:
    """The status mapping in use: ``$CAKUPAN_STATUS_MAPPING``, else the shipped one."""
    return Path(setting(STATUS_MAPPING))


def load_mapping(path: Path) -> tuple[list[tuple[str, str]], list[Rejection]]:
    """(category code, segment) for every category, and why the file is wrong if it is.

    Every category (1-7 and ASN) must be mapped once."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return [], [Rejection(name, None, "", "", f"cannot read status mapping: {exc}")]
    rows = list(csv.reader(io.StringIO(text)))
    heads = [header(h) for h in rows[0]] if rows else []
    if heads[:2] != ["category", "segment"]:
        reason = "status mapping header must be category,segment"
        return [], [Rejection(name, 1, "", ",".join(rows[0]) if rows else "", reason)]
    mapping, errors, seen = [], [], {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        raw = row[0].strip() if row else ""
        segment = row[1].strip().upper() if len(row) > 1 else ""
        code = category(raw)
        if code is None:
            errors.append(Rejection(name, line, "category", raw, f"unknown category ({EXPECTED})"))
        elif code in seen:
            errors.append(
                Rejection(name, line, "category", raw, f"mapped twice (first on line {seen[code]})")
            )
        else:
            seen[code] = line
        if segment not in SEGMENTS:
            reason = f"unknown segment (expected {', '.join(SEGMENTS)})"
            errors.append(Rejection(name, line, "segment", row[1] if len(row) > 1 else "", reason))
        if code is not None and segment in SEGMENTS:
            mapping.append((code, segment))
    missing = [c for c in CATEGORIES if c not in seen]
    if missing and not errors:
        errors.append(
            Rejection(name, None, "category", "", f"categories not mapped: {', '.join(missing)}")
        )
    return mapping, errors
