"""Exports for spreadsheets, from the published ``coverage.duckdb`` alone: every
``reporting.*`` table and ``quality.validation_results``, all snapshots in one file per
table, in ``$CAKUPAN_OUTPUT_DIR/exports/``::

    coverage_by_city.parquet      typed, for analysts' tools
    coverage_by_city.csv          international: `,` delimiter, decimal point, UTF-8
    id/coverage_by_city.csv       Indonesian Excel: `;` delimiter, decimal comma, UTF-8 BOM
    cakupan.xlsx                  one sheet per table, plus `columns`: what each column means
                                  (first a `SAMPLE DATA` sheet when the figures are a sample's)

No thousands separator in any CSV. The folder is rebuilt beside the old one and swapped in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from cakupan.reports.swap import rebuilt

WORKBOOK = "cakupan.xlsx"
INDONESIAN = "id"
COLUMNS_SHEET = "columns"
SAMPLE_SHEET = "SAMPLE DATA"
SAMPLE_TITLE = "SAMPLE DATA / DATA CONTOH"
SAMPLE_NOTE = (
    "These figures come from a sample landing folder (cakupan-sample.json), not real "
    "extracts (ops.run_status.sample). Angka ini berasal dari data contoh, bukan ekstrak asli."
)
COUNT_FORMAT = "#,##0"
PCT_FORMAT = '0.00"%"'  # the values are percent points: 22.78 shows as 22.78%
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60  # characters; a column of longer text is this wide, its cells wrapped
FILTER_BUTTON = 3  # characters the header's filter button takes


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    comment: str | None
    columns: list[tuple[str, str, str | None]]  # (name, DuckDB type, comment)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def exported_tables(con: duckdb.DuckDBPyConnection) -> list[Table]:
    """Every ``reporting.*`` table, then ``quality.validation_results``."""
    tables = con.execute(
        """SELECT schema_name, table_name, comment FROM duckdb_tables()
           WHERE database_name = current_database()
             AND (schema_name = 'reporting'
                  OR (schema_name = 'quality' AND table_name = 'validation_results'))
           ORDER BY schema_name <> 'reporting', table_name"""
    ).fetchall()
    return [
        Table(
            schema,
            name,
            comment,
            con.execute(
                """SELECT column_name, data_type, comment FROM duckdb_columns()
                   WHERE database_name = current_database() AND schema_name = ?
                     AND table_name = ? ORDER BY column_index""",
                [schema, name],
            ).fetchall(),
        )
        for schema, name, comment in tables
    ]


def write_exports(published: Path, folder: Path) -> list[Path]:
    """Write the exports of ``published`` into ``folder`` (rebuilt and swapped in); returns
    the files written, relative to ``folder``."""
    if not published.is_file():
        raise FileNotFoundError(f"{published} does not exist yet: run `cakupan run` first")
    with duckdb.connect(str(published), read_only=True) as con:
        tables = exported_tables(con)
        frames = {t.name: con.sql(f"FROM {t.qualified}").pl() for t in tables}
        (sample,) = con.execute("SELECT bool_or(sample) FROM ops.run_status").fetchone()
    written = []
    with rebuilt(folder) as tmp:
        (tmp / INDONESIAN).mkdir()
        for name, frame in frames.items():
            frame.write_parquet(tmp / f"{name}.parquet")
            frame.write_csv(tmp / f"{name}.csv")
            frame.write_csv(
                tmp / INDONESIAN / f"{name}.csv",
                separator=";",
                decimal_comma=True,
                include_bom=True,
            )
            written += [f"{name}.parquet", f"{name}.csv", f"{INDONESIAN}/{name}.csv"]
        write_workbook(tmp / WORKBOOK, tables, frames, sample=bool(sample))
        written.append(WORKBOOK)
    return [Path(p) for p in written]


def _format(name: str, dtype: pl.DataType) -> str | None:
    if name.endswith("_pct"):
        return PCT_FORMAT
    if dtype.is_integer():
        return COUNT_FORMAT
    if dtype == pl.Date:
        return DATE_FORMAT
    return None


def _shown(value, num_format: str | None) -> str:
    """A cell as Excel shows it (near enough to size its column)."""
    if value is None:
        return ""
    if num_format == COUNT_FORMAT:
        return f"{value:,}"
    if num_format == PCT_FORMAT:
        return f"{value:.2f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _fitted(frame: pl.DataFrame, formats: dict[str, str]) -> dict[str, tuple[float, bool]]:
    """Column -> (width in characters, wrap): wide enough for the header and the longest
    value, at most ``MAX_WIDTH``; longer values wrap."""
    fitted = {}
    for name in frame.columns:
        longest = max(
            (len(line) for v in frame[name] for line in _shown(v, formats.get(name)).split("\n")),
            default=0,
        )
        width = max(len(name) + FILTER_BUTTON, longest) + 1
        fitted[name] = (min(width, MAX_WIDTH), width > MAX_WIDTH)
    return fitted


def _sheet(workbook: xlsxwriter.Workbook, name: str, frame: pl.DataFrame, formats: dict) -> None:
    """One table on its sheet: frozen header, number formats, fitted widths, long text wrapped."""
    fitted = _fitted(frame, formats)
    frame.write_excel(
        workbook,
        worksheet=name,
        column_formats={
            c: {"num_format": formats[c]} if c in formats else {"text_wrap": True}
            for c, (_, wrap) in fitted.items()
            if c in formats or wrap
        },
        dtype_formats={pl.Float64: "0.00"},
        freeze_panes=(1, 0),
        table_style="Table Style Light 9",
    )
    sheet = workbook.get_worksheet_by_name(name)
    for i, (width, _) in enumerate(fitted.values()):
        sheet.set_column(i, i, width)


def write_workbook(
    path: Path, tables: list[Table], frames: dict[str, pl.DataFrame], sample: bool = False
) -> None:
    """One sheet per table (frozen header, fitted column widths, number formats for counts,
    percentages and dates) and a sheet of the tables' and columns' COMMENTs; first a
    SAMPLE_SHEET saying so when ``sample``."""
    with xlsxwriter.Workbook(str(path)) as workbook:
        if sample:
            note = workbook.add_worksheet(SAMPLE_SHEET)
            note.set_column(0, 0, MAX_WIDTH)
            note.write(0, 0, SAMPLE_TITLE, workbook.add_format({"bold": True}))
            note.write(1, 0, SAMPLE_NOTE, workbook.add_format({"text_wrap": True}))
        for table in tables:
            frame = frames[table.name]
            formats = {
                c: f for c, dtype in frame.schema.items() if (f := _format(c, dtype)) is not None
            }
            _sheet(workbook, table.name, frame, formats)
        about = pl.DataFrame(
            [
                row
                for t in tables
                for row in [(t.name, "", "", t.comment or "")]
                + [(t.name, c, kind, text or "") for c, kind, text in t.columns]
            ],
            schema=["sheet", "column", "type", "meaning"],
            orient="row",
        )
        _sheet(workbook, COLUMNS_SHEET, about, {})
