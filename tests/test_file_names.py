"""File names are names, never patterns (issue 20): DuckDB's readers expand ``* ? [ ] { }``
in a path, so each landing file is read by :func:`cakupan.sqlfiles.read_path`. A landing
folder whose own path holds ``[x]``, with files whose names would match one another as
patterns, CSV, CSV.gz and Parquet: every file's rows are loaded once, under its own name."""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil

import dagster as dg
import duckdb
import polars as pl
import pytest

import cakupan.sqlfiles
from assets import raw
from cakupan.config import REFERENCE_DIR, Settings
from cakupan.sqlfiles import read_path
from pipelines.definitions import resources
from tests.conftest import MEMBERSHIP_HEADER, TARGETS_HEADER, WORKFORCE_HEADER, nik

# Each group: names that DuckDB would take as patterns, beside the names they would match.
NAMES = {
    "membership": [
        "members_2025-06-30[1].csv",
        "members_2025-06-301.csv",
        "a*b.parquet",
        "axb.parquet",
        "q?.csv.gz",
        "qz.csv.gz",
        "{a,b}.csv",
        "a.csv",
        "b.csv",
        "[.csv",
        "with space 'quoted'.csv",
        "kabupatén ü.parquet",
        "back\\slash[1].csv",  # a backslash beside them: read through a safe symlink
        "back\\slash1.csv",
        "**.csv.gz",
    ],
    "workforce": ["wf[1].csv", "wf1.csv", "w*.parquet", "wx.parquet", "w?.csv", "wy.csv"],
    "targets": ["t[12].csv", "t1.csv", "t2.csv", "{t}.csv", "t'?.csv", "tt.csv"],
}


def _csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def _write(path, header: list[str], rows: list[list]) -> None:
    if path.name.endswith(".parquet"):
        columns = {c: [str(r[i]) for r in rows] for i, c in enumerate(header)}
        pl.DataFrame(columns).write_parquet(path)
    elif path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(_csv(header, rows)))
    else:
        path.write_bytes(_csv(header, rows))


def _landing(landing, codes: list[str], extra: int = 0) -> dict[str, int]:
    """Every file of NAMES in ``landing``, file i holding i (+ ``extra``) rows, each row its
    own region (kab/kota) or person; the rows written, by file."""
    written: dict[str, int] = {}
    person = 0
    for kind, names in NAMES.items():
        folder = landing / kind
        folder.mkdir(parents=True)
        for i, name in enumerate(names, start=1):
            regions = codes[len(written) * 15 :][: i + extra]  # none shared within a kind
            if kind == "membership":
                header = MEMBERSHIP_HEADER
                rows = []
                for region in regions:
                    person += 1
                    rows.append(
                        ["2025-06-30", nik(person), "PU", region, "AKTIF", "JKK,JKM", "2020-01-01"]
                    )
            elif kind == "workforce":
                header = WORKFORCE_HEADER
                rows = [["2024-08", r, "", "PU", 1000 + n] for n, r in enumerate(regions)]
            else:
                header = TARGETS_HEADER
                rows = [[2025, r, "35"] for r in regions]
            _write(folder / name, header, rows)
            written[f"{kind}/{name}"] = len(rows)
    return written


@pytest.fixture(scope="module", params=["plain", "land[x]"])
def loaded(request, tmp_path_factory, reference_warehouse):
    """The settings, the rows written to each file, and the run. ``land[x]``: the landing
    folder's own path holds ``[x]``, and ``landx`` beside it holds other files of the same
    names (which the path would match as a pattern)."""
    root = tmp_path_factory.mktemp("names") / request.param
    settings = Settings(
        landing_dir=str(root / "landing"), output_dir=str(root / "output"), data_docs=False
    )
    settings.ensure_private()
    shutil.copy(reference_warehouse, settings.warehouse_path)
    with open(REFERENCE_DIR / "regencies.csv", encoding="utf-8") as handle:
        codes = [r["code"] for r in csv.DictReader(handle)]
    written = _landing(settings.landing, codes)
    if request.param != "plain":
        _landing(root.with_name("landx") / "landing", codes, extra=20)
    result = dg.materialize(
        [raw.membership, raw.workforce, raw.targets],
        resources=resources(settings),
        raise_on_error=False,
    )
    return settings, written, result


def _query(settings: Settings, sql: str) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return dict(con.execute(sql).fetchall())


def test_every_file_is_loaded_once_under_its_own_name(loaded):
    settings, written, result = loaded
    assert result.success
    counts: dict[str, int] = {}
    for kind in NAMES:
        counts |= _query(
            settings, f"SELECT source_file, count(*) FROM raw.{kind} GROUP BY source_file"
        )
    assert counts == written


def test_the_ledger_counts_each_file_as_written(loaded):
    settings, written, _ = loaded
    ledger = _query(settings, "SELECT file, rows_loaded FROM ops.ingest_files")
    assert ledger == written


def test_read_path_names_exactly_the_file(tmp_path):
    """Every path read_path gives is read by DuckDB as that one file; one whose name has no
    pattern character is given as it is."""
    folder = tmp_path / "d[x]"
    folder.mkdir()
    names = ["a[1].csv", "a1.csv", "b*.csv", "bb.csv", "c?.csv", "cc.csv", "{d,e}.csv", "d.csv"]
    names += ["x\\[1].csv", "x\\1.csv", "it's ü.csv"]
    for name in names:
        (folder / name).write_text(f"name\n{name}\n", encoding="utf-8")
    with duckdb.connect() as con:
        for name in names:
            path = read_path(folder / name, con)
            query = "SELECT name FROM read_csv(?, header = true, delim = '|', quote = '\"')"
            assert con.execute(query, [path]).fetchall() == [(name,)]
    plain = tmp_path / "plain.csv"
    plain.write_text("name\n1\n", encoding="utf-8")
    assert read_path(plain) == str(plain)


def test_a_path_duckdb_cannot_read_exactly_is_refused(tmp_path, monkeypatch):
    """When neither the escaped path nor the symlink names exactly the file (a DuckDB that
    globs otherwise), read_path refuses the file rather than read another."""
    for name in ("a[1].csv", "a1.csv"):
        (tmp_path / name).write_text("name\n1\n", encoding="utf-8")
    monkeypatch.setattr(cakupan.sqlfiles, "GLOB_CHARS", cakupan.sqlfiles.re.compile("(?!)"))
    monkeypatch.setattr(cakupan.sqlfiles, "_link", lambda path: path)
    with pytest.raises(cakupan.sqlfiles.UnreadablePath):
        read_path(tmp_path / "a[1].csv")


def test_a_link_is_made_only_when_the_escaped_path_fails(tmp_path, monkeypatch):
    made: list[str] = []
    real = cakupan.sqlfiles._link
    monkeypatch.setattr(cakupan.sqlfiles, "_link", lambda path: made.append(path) or real(path))
    for name in ("a[1].csv", "x\\[1].csv"):
        (tmp_path / name).write_text("name\n1\n", encoding="utf-8")
    assert read_path(tmp_path / "a[1].csv").endswith("a[[]1[]].csv")
    assert made == []
    linked = read_path(tmp_path / "x\\[1].csv")
    assert made == [str(tmp_path / "x\\[1].csv")] and os.path.islink(linked)
