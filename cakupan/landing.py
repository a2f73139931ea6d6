"""Reading landing extracts, one file at a time, every column as text.

A file is read as rows of ``__line`` and the extract's columns, all VARCHAR (no type
inference: a NIK must not become a BIGINT, nor ``61.70`` become 61.7); typing and checks
happen in ``sql/raw/parse_<kind>.sql``. Three readers give these rows:

- :func:`relation`: DuckDB reads the file itself (``read_csv`` strict, every column VARCHAR;
  ``read_parquet``), and ingest's query streams the rows into the warehouse: nothing is
  loaded whole, nothing is copied into Python.
- :func:`read_extract`: a polars frame, for Excel workbooks and the kinds with loose
  headers (``Extract.aliases``: Sakernas tables, membership counts), read by
  :mod:`cakupan.sheets`; these files are small.
- :class:`CsvRows`: Python's ``csv`` module, in chunks. It reads a CSV file again when
  DuckDB refused it, found a row that breaks the format, or could not number its lines
  (below): it numbers every line exactly and names each record with the wrong number of
  fields. Bad files are rare and small; a big one takes a minute or two.

DuckDB reads each file by its exact name, never as a pattern (:func:`path_literal`).

``__line`` is the line of a CSV file (header is line 1; blank lines are skipped and keep
the numbering) or the row of a Parquet file (first row is 1). DuckDB's CSV reader numbers
rows, not lines: a row's line is its row number + 1 unless an empty line comes before it
(DuckDB skips those silently) or a value holds a line break. So a CSV relation stops with
an error at a line break inside a value, and :func:`interior_blank_line` looks for an
empty line before the last row, read alongside; either sends the file to :class:`CsvRows`.

A Parquet count stored as a float or decimal becomes the exact digits of its whole number;
a fraction, NaN or infinity rejects the file (every such row named).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib
import io
import math
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from cakupan import preflight, sheets
from cakupan.extracts import Extract
from cakupan.privacy import redact
from cakupan.rejections import MAX_QUOTED, FileRejected, Rejection, whole_file
from cakupan.sqlfiles import UnreadablePath, literal, read_path

LINE = "__line"
JAKARTA = "Asia/Jakarta"
CHUNK_ROWS = 100_000  # rows per frame of CsvRows
READ_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)
GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def jakarta_today(at: datetime | None = None) -> date:
    """The date in Asia/Jakarta (WIB), the calendar the extracts are dated in, at ``at``
    (an aware time; now by default)."""
    return (at or datetime.now(UTC)).astimezone(ZoneInfo(JAKARTA)).date()


@dataclass(frozen=True)
class LandingFile:
    """One extract in the landing folder; ``name`` is relative to the landing folder."""

    path: Path
    name: str
    size: int
    sha256: str
    mtime_ns: int = 0  # modification time when hashed (the hash is of that version)

    @property
    def parquet(self) -> bool:
        return self.name.lower().endswith(".parquet")

    @property
    def gzipped(self) -> bool:
        return self.name.lower().endswith(".gz")


def frame_read(file: LandingFile, extract: Extract) -> bool:
    """Whether ``file`` is read as a frame (:func:`read_extract`) rather than by DuckDB: an
    Excel workbook, or any file of a kind with loose headers."""
    return file.name.lower().endswith(sheets.EXCEL + sheets.OLD_EXCEL) or bool(extract.aliases)


def list_files(landing: Path, extract: Extract) -> tuple[list[LandingFile], list[str]]:
    """Files of one kind in byte-wise name order, and the names of skipped entries."""
    names, skipped = list_names(landing, extract)
    return [hashed(landing, name) for name in names], skipped


def list_names(landing: Path, extract: Extract) -> tuple[list[str], list[str]]:
    """The names of one kind's files in byte-wise order (relative to ``landing``, none
    read), and of the skipped entries; names a copy or an editor leaves behind are neither
    (``preflight.landing_name``)."""
    folder = landing / extract.name
    if not folder.is_dir():
        return [], [f"{extract.name}/ (folder missing)"]
    names, skipped = [], []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.encode("utf-8")):
        name = f"{extract.name}/{entry.name}"
        if entry.is_file() and preflight.landing_name(entry.name, extract.name):
            names.append(name)
        elif not preflight.left_behind(entry.name):
            skipped.append(name)
    return names, skipped


def hashed(landing: Path, name: str) -> LandingFile:
    """The landing file ``name`` (relative to ``landing``), hashed."""
    data_hash, size, mtime_ns = file_sha256(landing / name)
    return LandingFile(landing / name, name, size, data_hash, mtime_ns)


def file_sha256(path: Path, attempts: int = 3) -> tuple[str, int, int]:
    """SHA-256, size and modification time (ns) of one version of the file: hashed again
    when it was modified while being read (a file still being copied)."""
    for _ in range(attempts):
        before = path.stat()
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        after = path.stat()
        if before.st_mtime_ns == after.st_mtime_ns and before.st_size == after.st_size == size:
            break
    return digest.hexdigest(), size, before.st_mtime_ns


def relation(
    con: duckdb.DuckDBPyConnection, file: LandingFile, extract: Extract, numbered: bool = True
) -> str:
    """A DuckDB query reading ``file``: ``__line`` and ``extract.columns``, all VARCHAR.
    A CSV file's ``__line`` is NULL unless ``numbered``: ``row_number() OVER ()`` keeps the
    whole query on one thread, so the caller may number the rows after they are parsed.

    Raises FileRejected when the file cannot be read, is empty (0 bytes, or only blanks),
    lacks a column, or (Parquet) holds a NIK or a count of a type it may not have. Running
    the query may still fail (a CSV row DuckDB's strict reader refuses, a line break in a
    value, a corrupt file further on): read the file with :class:`CsvRows` then.
    """
    if file.parquet:
        return _parquet(con, file, extract)
    names, delimiter = csv_header(file, extract)
    position = {}
    for i, name in enumerate(names):
        position.setdefault(name, i)
    columns = ", ".join(f"{literal(f'c{i}')}: 'VARCHAR'" for i in range(len(names)))
    select = ", ".join(f"c{position[c]} AS {c}" for c in extract.columns)
    line_break = " OR ".join(
        f"contains(c{i}, chr(10)) OR contains(c{i}, chr(13))" for i in range(len(names))
    )
    return f"""
        SELECT {"row_number() OVER () + 1" if numbered else "CAST(NULL AS BIGINT)"} AS {LINE},
            {select}
        FROM read_csv({path_literal(con, file)}, header = true, auto_detect = false,
            delim = {literal(delimiter)}, quote = '"', escape = '"', columns = {{{columns}}},
            strict_mode = true, null_padding = false,
            compression = {"'gzip'" if file.gzipped else "'none'"})
        WHERE CASE WHEN {line_break} THEN error('cakupan: a line break inside a value')
                   ELSE true END
    """


def path_literal(con: duckdb.DuckDBPyConnection, file: LandingFile) -> str:
    """``file``'s path as a SQL literal that DuckDB reads as exactly that file, whatever its
    name holds (:func:`cakupan.sqlfiles.read_path`). Raises FileRejected when none does."""
    try:
        return literal(read_path(file.path, con))
    except UnreadablePath:
        reason = "cannot read file: DuckDB reads its path as a pattern (rename the file)"
        raise whole_file(file.name, reason) from None


# ------------------------------------------------------------------------------- frames


def read_extract(file: LandingFile, extract: Extract) -> pl.DataFrame:
    """Read one file of :func:`frame_read` as text columns named as in ``extract.columns``
    plus ``__line`` (and the Excel cell of each value, ``__cell_<column>``).

    Raises FileRejected when the file cannot be read, is empty (0 bytes, or only blanks) or
    lacks a column. A header without data rows gives an empty frame (the caller warns).
    """
    try:
        frame = sheets.read(file, extract)
        if extract.reshape:
            module, function = extract.reshape.split(":")
            frame = getattr(importlib.import_module(module), function)(file, frame)
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


# ---------------------------------------------------------------------------------- CSV


def _open(file: LandingFile) -> BinaryIO:
    return gzip.open(file.path, "rb") if file.gzipped else file.path.open("rb")


def _normalise_header(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().strip('"').strip().lower()


def csv_header(file: LandingFile, extract: Extract) -> tuple[list[str], str]:
    """The normalised column names of a CSV file's first line, and its delimiter (``;``
    when the header has more of them than commas, else ``,``).

    Raises FileRejected when the file is empty (0 bytes, or only blanks), is a corrupt
    gzip file, or lacks a column of ``extract``.
    """
    data = b""
    try:
        with _open(file) as handle:
            while chunk := handle.read(1 << 16):
                data += chunk
                if b"\n" in data.lstrip():
                    break
    except GZIP_ERRORS as exc:
        raise whole_file(file.name, _gzip_reason(exc)) from None
    except OSError as exc:
        raise whole_file(file.name, f"cannot read file: {redact(_first_line(exc))}") from None
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data.strip():
        raise whole_file(file.name, "file is empty")
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    names = [_normalise_header(n) for n in next(csv.reader([header], delimiter=delimiter))]
    missing = [c for c in extract.columns if c not in names]
    if missing:
        raise FileRejected(
            [Rejection(file.name, 1, c, "", "required column missing") for c in missing]
        )
    return names, delimiter


def interior_blank_line(file: LandingFile, stop: threading.Event | None = None) -> bool:
    """Whether an empty line comes before the last row of a CSV file (DuckDB skips it, so
    its row numbers are not line numbers). Streams the file; False when it cannot read it
    (the read itself then fails) or when ``stop`` is set."""
    marker_seen, tail = False, b""
    try:
        with _open(file) as handle:
            while chunk := handle.read(1 << 22):
                if stop is not None and stop.is_set():
                    return False
                if marker_seen and chunk.strip():
                    return True
                data = tail + chunk
                markers = (b"\n\n", b"\n\r\n") if b"\r" in data else (b"\n\n",)
                found = [i for i in (data.find(m) for m in markers) if i >= 0]
                at = min(found, default=-1)
                if at >= 0:
                    if data[at:].strip():
                        return True
                    marker_seen = True
                tail = data[-2:]
    except (*GZIP_ERRORS, OSError):
        return False
    return False


class CsvRows:
    """The rows of a CSV file with their exact line numbers (Python's ``csv`` module), as
    polars frames of ``__line`` and the extract's columns (text; empty values NULL).

    Blank records (every value blank) are skipped. A record with the wrong number of fields
    is not a row: it becomes a rejection in :attr:`rejections`, as does a file that cannot
    be read to its end (a truncated gzip file, say).
    """

    def __init__(self, file: LandingFile, extract: Extract, chunk_rows: int = CHUNK_ROWS):
        self.file, self.extract, self.chunk_rows = file, extract, chunk_rows
        self.rejections: list[Rejection] = []

    def chunks(self) -> Iterator[pl.DataFrame]:
        names, delimiter = csv_header(self.file, self.extract)
        width = len(names)
        take = [(c, names.index(c)) for c in self.extract.columns]
        lines: list[int] = []
        values: dict[str, list[str | None]] = {c: [] for c in self.extract.columns}
        wrong: list[tuple[int, int]] = []
        limit = csv.field_size_limit(1 << 30)  # DuckDB's limit is a 2 MB line: more here
        try:
            with io.TextIOWrapper(_open(self.file), "utf-8-sig", "replace", newline="") as text:
                reader = csv.reader(text, delimiter=delimiter)
                next(reader, None)  # the header
                start = reader.line_num + 1
                for record in reader:
                    line, start = start, reader.line_num + 1
                    if not any(v.strip() for v in record):
                        continue
                    if len(record) != width:
                        wrong.append((line, len(record)))
                        continue
                    lines.append(line)
                    for column, i in take:
                        values[column].append(record[i] or None)
                    if len(lines) >= self.chunk_rows:
                        yield self._frame(lines, values)
                        lines, values = [], {c: [] for c in values}
        except GZIP_ERRORS as exc:
            self.rejections.append(Rejection(self.file.name, None, "", "", _gzip_reason(exc)))
        except (OSError, csv.Error) as exc:
            reason = f"cannot read file: {redact(_first_line(exc))}"
            self.rejections.append(Rejection(self.file.name, None, "", "", reason))
        finally:
            csv.field_size_limit(limit)
        if lines:
            yield self._frame(lines, values)
        for line, count in wrong[:MAX_QUOTED]:
            reason = f"wrong number of fields ({count}, expected {width})"
            self.rejections.append(Rejection(self.file.name, line, "", "", reason))
        if len(wrong) > MAX_QUOTED:
            more = f"{len(wrong) - MAX_QUOTED} more line(s) with a wrong number of fields"
            self.rejections.append(Rejection(self.file.name, None, "", "", more))

    def empty(self) -> pl.DataFrame:
        """A frame of no rows, with the columns of the others."""
        return self._frame([], {c: [] for c in self.extract.columns})

    @staticmethod
    def _frame(lines: list[int], values: dict[str, list[str | None]]) -> pl.DataFrame:
        schema = {LINE: pl.Int64} | {c: pl.String for c in values}
        return pl.DataFrame({LINE: lines, **values}, schema=schema)


def _gzip_reason(exc: BaseException) -> str:
    return f"truncated or corrupt gzip file ({redact(_first_line(exc))})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# ------------------------------------------------------------------------------ Parquet


def _parquet(con: duckdb.DuckDBPyConnection, file: LandingFile, extract: Extract) -> str:
    source = f"read_parquet({path_literal(con, file)}, file_row_number = true)"
    try:
        schema = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise whole_file(file.name, f"cannot read file: {redact(_first_line(exc))}") from None
    columns: dict[str, tuple[str, str]] = {}
    for name, type_, *_ in schema:
        columns.setdefault(_normalise_header(name), (_quote(name), type_))
    missing = [c for c in extract.columns if c not in columns]
    if missing:
        raise FileRejected(
            [Rejection(file.name, None, c, "", "required column missing") for c in missing]
        )
    select = [f"file_row_number + 1 AS {LINE}"]
    rejections = []
    for column in extract.columns:
        name, type_ = columns[column]
        if column in extract.identifiers and type_ not in ("VARCHAR", "BIGINT"):
            reason = f"{column} must be string or int64 in Parquet, found {type_}"
            raise whole_file(file.name, reason, column)
        if column in extract.dates and type_ == "TIMESTAMP WITH TIME ZONE":
            text = f"CAST(CAST(timezone('{JAKARTA}', {name}) AS DATE) AS VARCHAR)"
        elif column in extract.dates and type_.startswith("TIMESTAMP"):
            text = f"CAST(CAST({name} AS DATE) AS VARCHAR)"
        elif column in extract.counts and type_ in ("FLOAT", "DOUBLE"):
            rejections += _not_whole(con, file, source, column, name, float_=True)
            # exact digits: HUGEINT holds up to 1.7e38; beyond, Python's int(float)
            text = (
                f"CASE WHEN abs({name}) < 1e37 THEN CAST(CAST({name} AS HUGEINT) AS VARCHAR) "
                f"ELSE {_whole_digits(con)}(CAST({name} AS DOUBLE)) END"
            )
        elif column in extract.counts and type_.startswith("DECIMAL"):
            rejections += _not_whole(con, file, source, column, name, float_=False)
            text = f"CAST(CAST({name} AS HUGEINT) AS VARCHAR)"
        else:
            text = f"CAST({name} AS VARCHAR)"
        select.append(f"{text} AS {column}")
    if rejections:
        raise FileRejected(rejections)
    return f"SELECT {', '.join(select)} FROM {source}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _not_whole(con, file, source, column, name, float_: bool) -> list[Rejection]:
    """A rejection for each value of a float or decimal count that is no whole number."""
    bad = f"{name} <> trunc({name})"
    if float_:
        # not isnan(): DuckDB 2.0.1 folds it to false from Parquet statistics, which omit NaN
        bad += f" OR isinf({name}) OR CAST({name} AS VARCHAR) IN ('nan', '-nan')"
    rows = con.execute(
        f"SELECT file_row_number + 1, {name}, count(*) OVER () FROM {source} "
        f"WHERE {bad} ORDER BY 1 LIMIT {MAX_QUOTED}"
    ).fetchall()
    rejections = [Rejection(file.name, r, column, redact(v), _why(v)) for r, v, _ in rows]
    if rows and rows[0][2] > MAX_QUOTED:
        more = f"{rows[0][2] - MAX_QUOTED} more row(s) with errors in this column"
        rejections.append(Rejection(file.name, None, column, "", more))
    return rejections


def _why(value: float | Decimal) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "not a number (NaN)"
    if isinstance(value, float) and math.isinf(value):
        return "not a finite number"
    return "not a whole number"


def _whole_digits(con: duckdb.DuckDBPyConnection) -> str:
    """The name of a function giving every digit of a whole float (``1e300``), registered
    on ``con``: only called for floats beyond 1e37, which no count may reach."""
    name = "cakupan_whole_digits"
    if not con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [name]
    ).fetchall()[0][0]:
        con.create_function(
            name, lambda v: str(int(v)), [duckdb.sqltype("DOUBLE")], duckdb.sqltype("VARCHAR")
        )
    return name
