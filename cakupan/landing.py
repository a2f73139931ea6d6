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
import importlib
import io
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cakupan import sheets
from cakupan.extracts import Extract
from cakupan.privacy import redact
from cakupan.rejections import MAX_QUOTED, FileRejected, Rejection, whole_file

LINE = "__line"
JAKARTA = "Asia/Jakarta"


@dataclass(frozen=True)
class LandingFile:
    """One extract in the landing folder; ``name`` is relative to the landing folder."""

    path: Path
    name: str
    size: int
    sha256: str


def list_files(landing: Path, extract: Extract) -> tuple[list[LandingFile], list[str]]:
    """Files of one kind in byte-wise name order, and the names of skipped entries."""
    folder = landing / extract.name
    if not folder.is_dir():
        return [], [f"{extract.name}/ (folder missing)"]
    files, skipped = [], []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.encode("utf-8")):
        name = f"{extract.name}/{entry.name}"
        if entry.is_file() and entry.name.lower().endswith(extract.extensions):
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


def read_extract(file: LandingFile, extract: Extract) -> pl.DataFrame:
    """Read one file as text columns named as in ``extract.columns`` plus ``__line``.

    Raises FileRejected when the file cannot be read, is empty (0 bytes, or only blanks) or
    lacks a column. A header without data rows gives an empty frame (the caller warns).
    """
    lower = file.name.lower()
    try:
        if lower.endswith(sheets.EXCEL + sheets.OLD_EXCEL) or extract.aliases:
            frame = sheets.read(file, extract)  # Excel, and the kinds with loose headers
            if extract.reshape:
                module, function = extract.reshape.split(":")
                frame = getattr(importlib.import_module(module), function)(file, frame)
        elif lower.endswith(".parquet"):
            frame = _read_parquet(file, extract)
        else:
            frame = _read_csv(file, gzipped=lower.endswith(".gz"))
    except FileRejected:
        raise
    except Exception as exc:  # unreadable file: say why, without any cell value
        ragged = ragged_lines(file)  # too many fields on a line stops the reader
        if ragged:
            raise FileRejected(ragged) from None
        raise whole_file(file.name, f"cannot read file: {redact(_first_line(exc))}") from None
    missing = [c for c in extract.columns if c not in frame.columns]
    if missing:
        raise FileRejected(
            [Rejection(file.name, 1, c, "", "required column missing") for c in missing]
        )
    cells = [c for c in frame.columns if c.startswith(sheets.CELL)]  # Excel cell names
    return frame.select(LINE, *extract.columns, *cells)


def ragged_lines(file: LandingFile) -> list[Rejection]:
    """Lines of a CSV file whose number of fields differs from the header's (the first
    ``MAX_QUOTED``, then how many more), read again with the csv module: called only for a
    file already found to have problems, so a good file is read once."""
    lower = file.name.lower()
    if not lower.endswith((".csv", ".csv.gz")):
        return []
    try:
        data = file.path.read_bytes()
        data = gzip.decompress(data) if lower.endswith(".gz") else data
    except (OSError, EOFError, zlib.error):
        return []
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    header = text.split("\n", 1)[0]
    separator = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows = [(reader.line_num, len(row)) for row in reader if row and any(f.strip() for f in row)]
    if not rows:
        return []
    expected = rows[0][1]
    wrong = [(line, n) for line, n in rows[1:] if n != expected]
    rejections = [
        Rejection(file.name, line, "", "", f"wrong number of fields ({n}, expected {expected})")
        for line, n in wrong[:MAX_QUOTED]
    ]
    if len(wrong) > MAX_QUOTED:
        more = f"{len(wrong) - MAX_QUOTED} more line(s) with a wrong number of fields"
        rejections.append(Rejection(file.name, None, "", "", more))
    return rejections


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
            reason = f"truncated or corrupt gzip file ({_first_line(exc)})"
            raise whole_file(file.name, reason) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise whole_file(file.name, "file is empty")
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


def _read_parquet(file: LandingFile, extract: Extract) -> pl.DataFrame:
    frame = pl.read_parquet(file.path)
    frame = frame.rename({c: _normalise_header(c) for c in frame.columns})
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if name in extract.identifiers and dtype not in (pl.String, pl.Int64):
            raise whole_file(
                file.name, f"{name} must be string or int64 in Parquet, found {dtype}", name
            )
        if name in extract.dates and isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                column = column.dt.convert_time_zone(JAKARTA)
            column = column.dt.date()
        elif name in extract.counts and (dtype.is_float() or dtype.is_decimal()):
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
            for line, value, reason in bad[:MAX_QUOTED]
        ]
        if len(bad) > MAX_QUOTED:
            more = len(bad) - MAX_QUOTED
            rejections.append(
                Rejection(
                    file.name, None, name, "", f"{more} more row(s) with errors in this column"
                )
            )
        raise FileRejected(rejections)
    return texts
