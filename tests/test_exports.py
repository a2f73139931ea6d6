"""The spreadsheet exports of a real run over the embedded sample, read back with other
tools than the ones that wrote them: DuckDB (Parquet, CSV), Python's csv module and
openpyxl (the workbook), plus the workbook's XML for what openpyxl does not show."""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime

import duckdb
import openpyxl
import pytest

from cakupan.reports.exports import write_exports

TABLES = ["coverage_by_city", "coverage_by_province", "coverage_national", "validation_results"]
SINGKAWANG = ("2025-06-30", "61.72")


@pytest.fixture(scope="module")
def exported(sample_run):
    run, _ = sample_run
    return run, run.settings.output / "exports"


def _published(run, table: str) -> str:
    return f"quality.{table}" if table == "validation_results" else f"reporting.{table}"


def _columns(run, table: str) -> list[tuple[str, str, str]]:
    schema, name = _published(run, table).split(".")
    with duckdb.connect(str(run.settings.published_path), read_only=True) as con:
        return con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, name],
        ).fetchall()


def _types(run, table: str) -> str:
    """The published column types, for read_csv (codes like 61.70 stay text)."""
    return "columns={" + ", ".join(f"'{n}': '{t}'" for n, t, _ in _columns(run, table)) + "}"


def _same_rows(run, table: str, reader: str) -> None:
    """The export holds exactly the published rows (as a multiset, both ways)."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{run.settings.published_path}' AS pub (READ_ONLY)")
        source = f"pub.{_published(run, table)}"
        con.execute(f"CREATE TEMP TABLE export AS FROM {reader}")
        for a, b in ((source, "export"), ("export", source)):
            extra = con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone()
            assert extra == (0,), (table, a)
        total = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        assert total > 0 and con.execute("SELECT count(*) FROM export").fetchone()[0] == total


def test_folder_holds_every_table_in_every_format(exported):
    _, folder = exported
    expected = {f"{t}.{ext}" for t in TABLES for ext in ("parquet", "csv")}
    expected |= {f"id/{t}.csv" for t in TABLES} | {"cakupan.xlsx"}
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert found == expected
    siblings = {p.name for p in folder.parent.iterdir() if p.name.startswith(".exports")}
    assert siblings == set()  # nothing left beside it by the swap


@pytest.mark.parametrize("table", TABLES)
def test_parquet_holds_the_published_rows_and_types(exported, table):
    run, folder = exported
    path = folder / f"{table}.parquet"
    _same_rows(run, table, f"read_parquet('{path}')")
    with duckdb.connect() as con:
        types = con.execute(f"DESCRIBE FROM read_parquet('{path}')").fetchall()
    assert [(n, t) for n, t, *_ in types] == [(n, t) for n, t, _ in _columns(run, table)]


@pytest.mark.parametrize("table", TABLES)
def test_international_csv(exported, table):
    run, folder = exported
    path = folder / f"{table}.csv"
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    assert rows[0] == [n for n, _, _ in _columns(run, table)]
    _same_rows(run, table, f"read_csv('{path}', delim=',', header=true, {_types(run, table)})")


@pytest.mark.parametrize("table", TABLES)
def test_indonesian_csv(exported, table):
    run, folder = exported
    path = folder / "id" / f"{table}.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the names right
    text = raw[3:].decode("utf-8")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    columns = _columns(run, table)
    assert rows[0] == [n for n, _, _ in columns]
    assert all(len(r) == len(columns) for r in rows)
    for i, (_, kind, _) in enumerate(columns):
        values = [r[i] for r in rows[1:] if r[i]]
        if kind == "DOUBLE":  # decimal comma, no thousands separator
            assert all(re.fullmatch(r"-?\d+(,\d+)?", v) for v in values), values[:5]
        elif kind == "BIGINT":  # no thousands separator
            assert all(re.fullmatch(r"-?\d+", v) for v in values), values[:5]
    _same_rows(
        run,
        table,
        f"read_csv('{path}', delim=';', decimal_separator=',', header=true, {_types(run, table)})",
    )


def test_singkawang_in_both_csvs(exported):
    run, folder = exported
    city = run.city("61.72", "2025-06-30")
    intl = {
        (r["snapshot_date"], r["region_code"]): r
        for r in csv.DictReader((folder / "coverage_by_city.csv").open(encoding="utf-8"))
    }[SINGKAWANG]
    local = {
        (r["snapshot_date"], r["region_code"]): r
        for r in csv.DictReader(
            (folder / "id" / "coverage_by_city.csv").open(encoding="utf-8-sig"), delimiter=";"
        )
    }[SINGKAWANG]
    assert (intl["coverage_pct"], intl["covered_total"], intl["potential_total"]) == (
        "22.78",
        "16684",
        "73236",
    )
    assert (local["coverage_pct"], local["covered_total"], local["potential_total"]) == (
        "22,78",
        "16684",
        "73236",
    )
    assert local["region_name"] == city["region_name"] == "Kota Singkawang"


def test_workbook(exported):
    run, folder = exported
    path = folder / "cakupan.xlsx"
    book = openpyxl.load_workbook(path)
    # the sample's figures are not real: the workbook opens on a sheet that says so
    assert book.sheetnames == ["SAMPLE DATA", *TABLES, "columns"]
    assert book["SAMPLE DATA"]["A1"].value.startswith("SAMPLE DATA / DATA CONTOH")
    for table in TABLES:
        sheet = book[table]
        columns = _columns(run, table)
        assert [c.value for c in sheet[1]] == [n for n, _, _ in columns]
        assert sheet.freeze_panes == "A2"  # the header stays in view
        assert sheet.max_row == 1 + len(run.published(f"FROM {_published(run, table)}"))
        for letter, dimension in sheet.column_dimensions.items():
            assert dimension.width and dimension.width > 5, (table, letter)
    # Singkawang's row: values as numbers, formats for counts and percentages
    sheet = book["coverage_by_city"]
    header = [c.value for c in sheet[1]]
    row = next(
        [c for c in r]
        for r in sheet.iter_rows(min_row=2)
        if r[header.index("region_code")].value == "61.72"
        and r[header.index("snapshot_date")].value == datetime(2025, 6, 30)
    )
    cell = dict(zip(header, row, strict=True))
    assert (cell["coverage_pct"].value, cell["coverage_pct"].number_format) == (22.78, '0.00"%"')
    assert (cell["covered_total"].value, cell["covered_total"].number_format) == (16684, "#,##0")
    assert cell["potential_total"].value == 73236
    assert cell["snapshot_date"].number_format == "yyyy-mm-dd"
    assert cell["region_code"].value == "61.72"  # text, not the number 61.72
    # every column COMMENT of the published tables, on the sheet that explains them
    explained = {(r[0], r[1]): r[3] for r in book["columns"].iter_rows(min_row=2, values_only=True)}
    for table in TABLES:
        for name, _, comment in _columns(run, table):
            assert comment and explained[(table, name)] == comment, (table, name)
    # frozen panes as Excel reads them, from the sheet XML
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        assert len(sheets) == 1 + len(TABLES) + 1  # SAMPLE DATA, the tables, columns
        assert "SAMPLE DATA" in archive.read(sheets[0]).decode("utf-8") or b"SAMPLE DATA" in (
            archive.read("xl/sharedStrings.xml")
        )
        for name in sheets[1:]:  # the sample note has no header to freeze
            xml = archive.read(name).decode("utf-8")
            assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in (
                xml
            ), name
            assert re.search(r'<col [^>]*width="[\d.]+"[^>]*customWidth="1"', xml), name


def test_exports_rebuilt_whole_from_the_published_file(exported, tmp_path):
    run, folder = exported
    copy = tmp_path / "coverage.duckdb"
    copy.write_bytes(run.settings.published_path.read_bytes())
    target = tmp_path / "exports"
    target.mkdir()
    (target / "stale.csv").write_text("from an older run")
    files = write_exports(copy, target)
    assert sorted(p.as_posix() for p in files) == sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
    )
    assert not (target / "stale.csv").exists()
    assert (target / "coverage_by_city.csv").read_bytes() == (
        folder / "coverage_by_city.csv"
    ).read_bytes()
    assert date(2025, 6, 30).isoformat() in (target / "coverage_national.csv").read_text()


def _widths(sheet) -> dict[int, float]:
    """Column number -> width in characters (openpyxl groups equal neighbours)."""
    return {
        i: d.width
        for d in sheet.column_dimensions.values()
        for i in range(d.min, d.max + 1)
        if d.width
    }


def test_workbook_columns_fit_their_content(exported):
    """Every column at least as wide as its header and its text (up to 60 characters),
    never wider than 60; longer text wraps. Widths in characters as Excel reads them
    (xlsxwriter adds under one character of padding)."""
    _, folder = exported
    book = openpyxl.load_workbook(folder / "cakupan.xlsx")
    for sheet in book:
        widths = _widths(sheet)
        header = [c.value for c in sheet[1]]
        assert sorted(widths) == list(range(1, len(header) + 1)), sheet.title
        for i, name in enumerate(header, start=1):
            texts = [
                str(v)
                for (v,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i, values_only=True)
                if isinstance(v, str)
            ]
            longest = max(map(len, texts), default=0)
            assert widths[i] >= len(name) + 1, (sheet.title, name, widths[i])
            assert widths[i] >= min(longest, 60), (sheet.title, name, widths[i], longest)
            assert widths[i] <= 61, (sheet.title, name, widths[i])
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                if isinstance(cell.value, str) and len(cell.value) > 60:
                    assert cell.alignment.wrap_text, (sheet.title, cell.coordinate)
    # the sheet that explains the columns, by hand: the longest sheet name is
    # coverage_by_province (20 characters), the longest column regions_with_potential (22),
    # the longest type VARCHAR (7); the meanings are longer than 60 and wrap
    columns = book["columns"]
    widths = [_widths(columns)[i] for i in range(1, 5)]
    assert 20 <= widths[0] < 22 and 22 <= widths[1] < 24 and 7 <= widths[2] < 10, widths
    assert 59 <= widths[3] <= 61, widths
    long = [r[3] for r in columns.iter_rows(min_row=2) if len(r[3].value or "") > 60]
    assert len(long) > 10 and all(c.alignment.wrap_text for c in long)
