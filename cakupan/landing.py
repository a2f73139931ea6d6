"""Reading landing extracts into all-text polars frames, one file at a time.

Every column is read as text (no type inference: a NIK must not become a BIGINT, nor
``61.70`` become 61.7); typing and validation happen in ``sql/raw/parse_*.sql``. Each frame
carries ``__line``: the file's line number for CSV (header is line 1), the 1-based row
number for Parquet. A Parquet count stored as a float or decimal becomes the exact digits
of its whole number; a fraction, NaN or infinity rejects the file.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cakupan.privacy import redact

LINE = "__line"

EXTENSIONS: dict[str, tuple[str, ...]] = {
    "workforce": (".csv", ".parquet"),
    "membership": (".csv", ".csv.gz", ".parquet"),
    "targets": (".csv",),
}

COLUMNS: dict[str, tuple[str, ...]] = {
    "workforce": (
        "reference_period",
        "region_code",
        "region_name",
        "segment",
        "potential_workers",
    ),
    "membership": (
        "snapshot_date",
        "nik",
        "segment",
        "region_code",
        "status",
        "programs",
        "registered_on",
    ),
    "targets": ("year", "region_code", "target_pct"),
}

# Parquet columns that hold dates (converted to their date in Asia/Jakarta) and counts.
DATE_COLUMNS = ("snapshot_date", "registered_on")
INTEGER_COLUMNS = ("potential_workers", "year")
JAKARTA = "Asia/Jakarta"
MAX_ERRORS_PER_COLUMN = 20  # rows quoted per file and column; the count says how many more


@dataclass(frozen=True)
class Rejection:
    """Why a landing file was rejected; ``line``/``column``/``value`` when there is one."""

    file: str
    line: int | None
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}"
        if self.value:
            where += f", value {self.value!r}"
        return f"{where}: {self.reason}"


class FileRejected(Exception):
    def __init__(self, rejections: list[Rejection]):
        super().__init__("; ".join(str(r) for r in rejections))
        self.rejections = rejections


@dataclass(frozen=True)
class LandingFile:
    """One extract in the landing folder; ``name`` is relative to the landing folder."""

    path: Path
    name: str
    size: int
    sha256: str


def list_files(landing: Path, kind: str) -> tuple[list[LandingFile], list[str]]:
    """Files of one kind in byte-wise name order, and the names of skipped entries."""
    folder = landing / kind
    if not folder.is_dir():
        return [], [f"{kind}/ (folder missing)"]
    files, skipped = [], []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.encode("utf-8")):
        name = f"{kind}/{entry.name}"
        if entry.is_file() and entry.name.lower().endswith(EXTENSIONS[kind]):
            data_hash, size = _hash(entry)
            files.append(LandingFile(entry, name, size, data_hash))
        else:
            skipped.append(name)
    return files, skipped


def _hash(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def read_extract(file: LandingFile, kind: str) -> pl.DataFrame:
    """Read one file as text columns named as in ``COLUMNS[kind]`` plus ``__line``.

    Raises FileRejected when the file cannot be read, is empty (0 bytes, or only blanks) or
    lacks a column. A header without data rows gives an empty frame (the caller warns).
    """
    lower = file.name.lower()
    try:
        if lower.endswith(".parquet"):
            frame = _read_parquet(file)
        else:
            frame = _read_csv(file, gzipped=lower.endswith(".gz"))
    except FileRejected:
        raise
    except Exception as exc:  # unreadable file: say why, without any cell value
        raise _reject(file, f"cannot read file: {redact(_first_line(exc))}") from None
    missing = [c for c in COLUMNS[kind] if c not in frame.columns]
    if missing:
        raise FileRejected(
            [Rejection(file.name, 1, c, "", "required column missing") for c in missing]
        )
    return frame.select(LINE, *COLUMNS[kind])


def _reject(file: LandingFile, reason: str) -> FileRejected:
    return FileRejected([Rejection(file.name, None, "", "", reason)])


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _normalise_header(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().strip('"').strip().lower()


def _read_csv(file: LandingFile, gzipped: bool) -> pl.DataFrame:
    data = file.path.read_bytes()
    if gzipped:
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise _reject(file, f"truncated or corrupt gzip file ({_first_line(exc)})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise _reject(file, "file is empty")
    header = data.split(b"\n", 1)[0]
    separator = ";" if header.count(b";") > header.count(b",") else ","
    frame = pl.read_csv(
        io.BytesIO(data),
        separator=separator,
        infer_schema=False,
        has_header=True,
        encoding="utf8-lossy",
        row_index_name=LINE,
        row_index_offset=2,
    )
    frame = frame.rename({c: _normalise_header(c) for c in frame.columns if c != LINE})
    # A blank line (empty or only spaces) reads as a row of nulls and blanks: drop it,
    # keeping the others' line numbers.
    data_columns = [c for c in frame.columns if c != LINE]
    frame = frame.with_columns(pl.col(LINE).cast(pl.Int64))
    blank = pl.col(data_columns).str.strip_chars().fill_null("") == ""
    return frame.filter(~pl.all_horizontal(blank))


def _read_parquet(file: LandingFile) -> pl.DataFrame:
    frame = pl.read_parquet(file.path)
    frame = frame.rename({c: _normalise_header(c) for c in frame.columns})
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if name == "nik" and dtype not in (pl.String, pl.Int64):
            raise FileRejected(
                [
                    Rejection(
                        file.name,
                        None,
                        "nik",
                        "",
                        f"NIK must be string or int64 in Parquet, found {dtype}",
                    )
                ]
            )
        if name in DATE_COLUMNS and isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                column = column.dt.convert_time_zone(JAKARTA)
            column = column.dt.date()
        elif name in INTEGER_COLUMNS and (dtype.is_float() or dtype.is_decimal()):
            column = pl.Series(name, _whole_numbers(file, name, frame[name]), dtype=pl.String)
        columns.append(column.cast(pl.String).alias(name))
    return frame.select(columns).with_row_index(LINE, 1).with_columns(pl.col(LINE).cast(pl.Int64))


def _whole_numbers(file: LandingFile, name: str, values: pl.Series) -> list[str | None]:
    """The exact digits of each float or decimal (``1e20`` is ``100000000000000000000``,
    ``1500.00`` is ``1500``); FileRejected naming every row that holds no whole number."""
    texts, bad = [], []
    for line, value in enumerate(values.to_list(), start=1):
        if value is None:
            texts.append(None)
        elif isinstance(value, float) and math.isnan(value):
            bad.append((line, value, "not a number (NaN)"))
        elif isinstance(value, float) and math.isinf(value):
            bad.append((line, value, "not a finite number"))
        elif value != int(value):
            bad.append((line, value, "not a whole number"))
        else:
            texts.append(str(int(value)))
    if bad:
        rejections = [
            Rejection(file.name, line, name, redact(value), reason)
            for line, value, reason in bad[:MAX_ERRORS_PER_COLUMN]
        ]
        if len(bad) > MAX_ERRORS_PER_COLUMN:
            more = len(bad) - MAX_ERRORS_PER_COLUMN
            rejections.append(
                Rejection(
                    file.name, None, name, "", f"{more} more row(s) with errors in this column"
                )
            )
        raise FileRejected(rejections)
    return texts


def write_rejections(path: Path, rejections: list[Rejection]) -> None:
    """Write ``rejected_files.csv`` (file, line, column, value, reason)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "column", "value", "reason"])
        for r in rejections:
            writer.writerow([r.file, "" if r.line is None else r.line, r.column, r.value, r.reason])
    tmp.replace(path)
