"""Reading extracts as people have them: Excel workbooks (``.xlsx``) and loose headers.

An ``.xlsx`` file is read from its first sheet with openpyxl, which exposes each cell's
type and number format. Rows above the header (titles, notes) are skipped: the header is
the first row with a region-code column. After it, a row whose count cells are all empty
is skipped, whatever its other cells hold (sources, notes). Cells become text as the CSV
rules expect them:

- a text cell is taken as written;
- a numeric cell in a count or year column must be a whole number (``10941``);
- a numeric cell in a percentage column is its value (``21.99``); formatted as a
  percentage (``35%``, stored as 0.35) it means 35;
- a numeric cell in a code or period column (``61.7``: 61.07 or 61.70?) is refused,
  naming the sheet, cell and value: it is never guessed; so is a TRUE/FALSE cell;
- a date cell in a period column is its month (``YYYY-MM``), in a date column its date.

Headers match ignoring case, surrounding spaces and the difference between spaces and
underscores (``Nama Wilayah`` = ``nama_wilayah``), then the extract's aliases. Each frame
has ``__line`` (the Excel row number) and, per column, ``__cell_<column>`` (``C14``), so a
rejection can name the cell (:func:`name_cells`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import polars as pl

from cakupan.extracts import Extract
from cakupan.rejections import MAX_QUOTED, FileRejected, Rejection, whole_file

LINE = "__line"
CELL = "__cell_"
EXCEL = (".xlsx",)
OLD_EXCEL = (".xls", ".xlsm", ".xlsb")

CODE_COLUMNS = {"region_code", "reference_period", "snapshot_date"}
TEXT_COLUMNS = {"region_name", "segment"}
NOT_COUNTED = {"status", "year"}  # whole numbers, but not the counts that keep a row


def header(name: object, aliases: dict[str, str] | None = None) -> str:
    """A header as matched: lower case, spaces and underscores alike, then aliases."""
    text = "" if name is None else str(name)
    text = text.strip().lstrip("\ufeff").strip().strip('"').strip().lower()
    text = re.sub(r"[\s_]+", "_", text)
    text = re.sub(r"_*/_*", "/", text)
    return (aliases or {}).get(text, text)


def role(column: str, extract: Extract) -> str:
    """How a numeric cell of ``column`` is read: code, percent, text or count."""
    if column in CODE_COLUMNS:
        return "code"
    if column in extract.percentages:
        return "percent"
    if column in TEXT_COLUMNS:
        return "text"
    return "count"


def read(file, extract: Extract) -> pl.DataFrame:
    """One landing file (``.xlsx`` or CSV) as text columns with matched headers."""
    lower = file.name.lower()
    if lower.endswith(OLD_EXCEL):
        raise whole_file(
            file.name, "old Excel format (.xls): save the sheet as .xlsx or CSV and land that"
        )
    if lower.endswith(EXCEL):
        return read_xlsx(file, extract)
    return read_csv(file, extract)


def read_csv(file, extract: Extract) -> pl.DataFrame:
    """A CSV file (comma or semicolon), every column text, blank lines dropped."""
    data = file.path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise whole_file(file.name, "file is empty")
    first = data.split(b"\n", 1)[0]
    frame = pl.read_csv(
        io.BytesIO(data),
        separator=";" if first.count(b";") > first.count(b",") else ",",
        infer_schema=False,
        encoding="utf8-lossy",
        row_index_name=LINE,
        row_index_offset=2,
    ).with_columns(pl.col(LINE).cast(pl.Int64))
    names = {c: header(c, extract.alias_map) for c in frame.columns if c != LINE}
    _no_duplicate_headers(file, list(names.values()), lambda i: 1)
    frame = frame.rename(names)
    data_columns = list(names.values())
    blank = pl.col(data_columns).str.strip_chars().fill_null("") == ""
    return frame.filter(~pl.all_horizontal(blank))


def read_xlsx(file, extract: Extract) -> pl.DataFrame:
    """The first sheet of an ``.xlsx`` file, from its header row on, as text."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    book = load_workbook(file.path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows()
        head_row = None
        for cells in rows:
            names = [header(c.value, extract.alias_map) if _text(c) else "" for c in cells]
            if "region_code" in names:
                head_row = cells[0].row
                break
        else:
            raise whole_file(
                file.name,
                f"sheet {sheet.title!r}: no header row with a region_code column (or "
                + ", ".join(sorted(k for k, v in extract.alias_map.items() if v == "region_code"))
                + ")",
                "region_code",
            )
        positions = {i: n for i, n in enumerate(names) if n}
        _no_duplicate_headers(file, list(positions.values()), lambda i: head_row)
        roles = {i: role(n, extract) for i, n in positions.items()}
        counted = [i for i, r in roles.items() if r in ("count", "percent")]
        counted = [i for i in counted if positions[i] not in NOT_COUNTED]
        records, errors = [], []
        for cells in rows:
            by_index = {i: cells[i] for i in positions if i < len(cells)}
            values = {i: getattr(c, "value", None) for i, c in by_index.items()}
            if all(_empty(values.get(i)) for i in counted):
                continue  # titles, notes and blank rows below the header
            row = cells[0].row if cells else None
            record = {LINE: row}
            for i, name in positions.items():
                cell = by_index.get(i)
                ref = f"{get_column_letter(i + 1)}{row}"
                record[CELL + name] = ref
                try:
                    record[name] = _cell_text(cell, roles[i], name)
                except ValueError as exc:
                    value = values.get(i)
                    errors.append(
                        Rejection(
                            file.name,
                            row,
                            name,
                            str(value),
                            f"sheet {sheet.title!r}, cell {ref}: {exc}",
                        )
                    )
                    record[name] = None
            records.append(record)
    finally:
        book.close()
    if errors:
        raise FileRejected(_quoted(file, errors))
    schema = {LINE: pl.Int64} | {k: pl.String for n in positions.values() for k in (n, CELL + n)}
    return pl.DataFrame(records, schema=schema)


def _text(cell) -> bool:
    return isinstance(getattr(cell, "value", None), str)


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _cell_text(cell, kind: str, name: str) -> str | None:
    value = getattr(cell, "value", None)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise ValueError(f"a TRUE/FALSE cell ({value}) where {name} is expected")
    if isinstance(value, dt.datetime | dt.date):
        if name == "reference_period":
            return value.strftime("%Y-%m")
        if name == "snapshot_date":
            return value.strftime("%Y-%m-%d")
        raise ValueError(f"a date cell ({value}) where {name} is expected")
    if not isinstance(value, int | float):
        raise ValueError(f"a cell of type {type(value).__name__} where {name} is expected")
    if kind == "code":
        raise ValueError(
            f"numeric cell {value!r} in a code or period column: write it as text "
            "(61.7 could be 61.07 or 61.70; it is never guessed)"
        )
    if kind == "text":
        return str(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise ValueError(f"not a finite number ({value})")
    if kind == "percent":
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (getattr(cell, "number_format", "") or ""):
            number *= 100
        return format(number.normalize(), "f")
    if value != int(value):
        raise ValueError(f"not a whole number ({value!r})")
    return str(int(value))


def _no_duplicate_headers(file, names: list[str], line) -> None:
    seen = set()
    for i, name in enumerate(names):
        if name in seen:
            raise FileRejected(
                [Rejection(file.name, line(i), name, "", "column appears twice in the header")]
            )
        seen.add(name)


def _quoted(file, errors: list[Rejection]) -> list[Rejection]:
    """The first MAX_QUOTED errors per column, then how many more."""
    out, per_column = [], {}
    for e in errors:
        per_column.setdefault(e.column, []).append(e)
    for column, found in per_column.items():
        out += found[:MAX_QUOTED]
        if len(found) > MAX_QUOTED:
            more = f"{len(found) - MAX_QUOTED} more row(s) with errors in this column"
            out.append(Rejection(file.name, None, column, "", more))
    return out


def name_cells(frame: pl.DataFrame, rejections: list[Rejection]) -> list[Rejection]:
    """Each rejection of an Excel row naming its cell (``cell C14``) when the frame knows it."""
    if not any(c.startswith(CELL) for c in frame.columns):
        return rejections
    out = []
    for r in rejections:
        cell_column = CELL + r.column
        if r.line is None or cell_column not in frame.columns or "cell " in r.reason:
            out.append(r)
            continue
        rows = frame.filter(pl.col(LINE) == r.line)
        if r.column in rows.columns and rows.height > 1:
            same = rows.filter(pl.col(r.column).str.strip_chars() == r.value)
            rows = same if same.height else rows
        cells = rows[cell_column].to_list()
        reason = f"cell {cells[0]}: {r.reason}" if cells and cells[0] else r.reason
        out.append(Rejection(r.file, r.line, r.column, r.value, reason))
    return out
