"""The extracts people actually have (issue #12): Sakernas status tables (CSV long and wide,
Excel with title rows and notes), Excel workforce and targets, membership as counts.

Every file is written here; every expected potential and coverage figure is computed by
hand in the comments.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from tests.conftest import Landing, nik, run_job
from tests.test_landing_formats import run_logged

SNAP = "2024-12-31"
COVERED = "JKK,JKM"


def member(n, segment, region):
    return [SNAP, nik(n), segment, region, "AKTIF", COVERED, "2020-01-01"]


def xlsx(path: Path, rows: list[list], formats: dict[str, str] | None = None) -> Path:
    """An .xlsx file whose first sheet holds ``rows`` (cell values with their Python types);
    ``formats``: cell -> number format (``"0%"``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "Tabel"
    for row in rows:
        sheet.append(row)
    for ref, fmt in (formats or {}).items():
        sheet[ref].number_format = fmt
    book.create_sheet("Catatan").append(["region_code", "not read: only the first sheet is"])
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


LABELS = [
    "Berusaha Sendiri",
    "Berusaha dibantu buruh tidak tetap/buruh tidak dibayar",
    "Berusaha dibantu buruh tetap/buruh dibayar",
    "Buruh/Karyawan/Pegawai",
    "Pekerja bebas di pertanian",
    "Pekerja bebas di nonpertanian",
    "Pekerja keluarga/tak dibayar",
    "ASN/TNI/Polri",
]


def build(landing: Landing) -> None:
    root = landing.root
    # participants in 61.71 only: 2 covered PU, 1 covered BPU
    landing.membership(
        [member(1, "PU", "61.71"), member(2, "PU", "61.71"), member(3, "BPU", "61.71")]
    )
    # Long CSV, aliased headers, Indonesian month, labels in any case and spacing, BPS code
    # 6171 = 61.71. PU = 50000 - ASN 6000 = 44000; BPU = 1000 + 2000 + 300 + 400 + 500 = 4200
    write_csv(
        root / "sakernas" / "a_long.csv",
        [
            ["Periode", "Kode", "Nama Wilayah", "Status", "Jumlah"],
            ["Agustus 2024", "61", "KALIMANTAN BARAT", "4", "999.999"],  # province: skipped
            ["Agustus 2024", "6171", "PONTIANAK", "berusaha  SENDIRI", "1.000"],
            ["Agustus 2024", "6171", "PONTIANAK", "2", "2.000"],
            [
                "Agustus 2024",
                "6171",
                "PONTIANAK",
                "Berusaha dibantu buruh tetap/buruh dibayar",
                "300",
            ],
            ["Agustus 2024", "6171", "PONTIANAK", "Buruh / Karyawan / Pegawai", "50.000"],
            ["agustus 2024", "6171", "PONTIANAK", " 5 ", "400"],
            ["AGUSTUS  2024", "6171", "PONTIANAK", "Pekerja_bebas_di_nonpertanian", "500"],
            ["Agustus 2024", "6171", "PONTIANAK", "7", "700"],
            ["Agustus 2024", "6171", "PONTIANAK", "asn/tni/polri", "6.000"],
        ],
    )
    # Wide CSV by code, no ASN column, total ignored: 61.72 PU = 10941; BPU = 100 + 0 + 0 +
    # 0 + 50 = 150 ('-' and empty are 0). 61.01: all category cells empty: missing.
    write_csv(
        root / "sakernas" / "b_wide.csv",
        [
            [
                "reference_period",
                "region_code",
                "region_name",
                "1",
                "2",
                "3",
                "4",
                "5",
                "6",
                "7",
                "Jumlah",
            ],
            ["2024-08", "61.72", "SINGKAWANG", "100", "-", "", "10.941", "0", "50", "999", "1"],
            ["2024-08", "61.01", "SAMBAS", "", "", "", "", "", "", "", "5"],
        ],
    )
    # Wide Excel by label, title rows above, a note below, BPS codes 6102 = 61.07 and
    # 6103 = 61.08, numeric count cells.
    # 61.07: PU = 3000 - 100 = 2900; BPU = 2500 + 1200 + 300 + 0 + 0 = 4000
    # 61.08: PU = max(50 - 80, 0) = 0; BPU = 10 + 20 + 30 + 5 + 6 = 71
    xlsx(
        root / "sakernas" / "c_sheet.xlsx",
        [
            ["Penduduk Bekerja menurut Status Pekerjaan Utama, Kalimantan Barat"],
            ["Agustus 2024"],
            [],
            ["Periode", "Kode Wilayah", "Kabupaten/Kota", *LABELS, "Jumlah"],
            ["Agustus 2024", "6102", "BENGKAYANG", 2500, 1200.0, 300, 3000, "-", 0, 400, 100, 7500],
            ["Agustus 2024", "6103", "LANDAK", 10, 20, 30, 50, 5, 6, 7, 80, 208],
            [None, "Sumber: BPS, Sakernas Agustus 2024", None, None],
        ],
    )
    # Direct workforce: the PU value wins over 44000 (logged); its '-' BPU does not hide 4200
    landing.workforce(
        [["2024-08", "61.71", "", "PU", "45000"], ["2024-08", "61.71", "", "BPU", "-"]]
    )
    # Workforce in Excel, title row, numeric counts: 61.09 PU 5000, BPU 6000
    xlsx(
        root / "workforce" / "w2.xlsx",
        [
            ["Potensi tenaga kerja"],
            ["reference_period", "region_code", "region_name", "segment", "potential_workers"],
            ["2024-08", "61.09", "SEKADAU", "PU", 5000],
            ["2024-08", "61.09", "SEKADAU", "BPU", 6000.0],
        ],
    )
    # Targets in Excel: 0.35 formatted as a percentage means 35; plain 21.99 is 21.99
    xlsx(
        root / "targets" / "t.xlsx",
        [
            ["Target UCJ 2024"],
            ["Year", "Kode Wilayah", "Target PCT"],
            [2024, "61.71", 0.35],
            [2024, "61.72", 21.99],
        ],
        formats={"C3": "0%"},
    )
    # Counts: 61.72 as given (total = 100 + 50 + 5 = 155; PMI 7 apart); 61.07 (BPS 6102)
    # in Excel, PU only: the other segments are 0, total 10
    write_csv(
        root / "membership_counts" / "counts.csv",
        [
            ["snapshot_date", "region_code", "segment", "covered"],
            [SNAP, "61.72", "PU", "100"],
            [SNAP, "61.72", "BPU", "50"],
            [SNAP, "61.72", "jakon", "5"],
            [SNAP, "61.72", "PMI", "7"],
        ],
    )
    xlsx(
        root / "membership_counts" / "more.xlsx",
        [
            ["Kepesertaan"],
            ["snapshot_date", "kode", "segment", "covered"],
            [SNAP, "6102", "PU", 10],
        ],
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    landing = Landing(root / "landing")
    build(landing)
    result, logs = run_logged(landing.root, root / "output")
    assert result.success, [e.message for e in result.result.all_events if e.is_failure]
    result.logs = logs
    return result


FIELDS = (
    "workforce_period",
    "potential_pu",
    "potential_bpu",
    "potential_total",
    "covered_pu",
    "covered_bpu",
    "covered_jakon",
    "covered_pmi",
    "covered_total",
    "coverage_pct",
    "target_pct",
    "source",
)


def fields(run, code):
    row = run.city(code, SNAP)
    return tuple(row[f] for f in FIELDS)


def test_long_csv_with_labels_asn_and_direct_values(run):
    # PU: workforce/ 45000 wins over 44000; BPU: Sakernas 4200 (the '-' does not hide it)
    # covered 3 / 49200 = 0.0061% -> 0.01
    assert fields(run, "61.71") == (
        "2024-08",
        45000,
        4200,
        49200,
        2,
        1,
        0,
        0,
        3,
        0.01,
        35.0,
        "participants",
    )


def test_wide_csv_by_code_and_counts(run):
    # 155 / 11091 = 1.3975% -> 1.40
    assert fields(run, "61.72") == (
        "2024-08",
        10941,
        150,
        11091,
        100,
        50,
        5,
        7,
        155,
        1.4,
        21.99,
        "counts",
    )


def test_excel_wide_by_label_with_asn_and_counts_in_excel(run):
    # 10 / 6900 = 0.1449% -> 0.14
    assert fields(run, "61.07") == (
        "2024-08",
        2900,
        4000,
        6900,
        10,
        0,
        0,
        0,
        10,
        0.14,
        None,
        "counts",
    )
    # PU never below 0
    assert fields(run, "61.08") == ("2024-08", 0, 71, 71, 0, 0, 0, 0, 0, 0.0, None, None)


def test_excel_workforce_and_missing_region(run):
    assert fields(run, "61.09")[:4] == ("2024-08", 5000, 6000, 11000)
    assert fields(run, "61.01")[:4] == (None, None, None, None)


def test_rollups_sum_participants_and_counts(run):
    [province] = run.published(
        "SELECT covered_pu, covered_bpu, covered_jakon, covered_pmi, covered_total "
        "FROM reporting.coverage_by_province WHERE province_code = '61'"
    )
    assert tuple(province.values()) == (2 + 100 + 10, 1 + 50, 5, 7, 3 + 155 + 10)
    [national] = run.published("SELECT covered_total FROM reporting.coverage_national")
    assert national["covered_total"] == 3 + 155 + 10


def test_override_is_logged(run):
    assert any(
        "workforce/workforce.csv gives 1 value(s) also derived from sakernas/a_long.csv" in m
        for m in run.logs
    )


# ---------------------------------------------------------------- bad input


def rejected(run) -> list[dict]:
    with run.settings.rejected_files_path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_bad_files_are_rejected_with_sheet_cell_and_value(tmp_path):
    landing = Landing(tmp_path / "landing")
    landing.membership([member(1, "PU", "61.71")])
    landing.workforce([["2024-08", "61.71", "", "PU", "10"], ["2024-08", "61.71", "", "BPU", "10"]])
    head = ["reference_period", "region_code", "region_name", "4", "1"]
    xlsx(
        tmp_path / "landing" / "sakernas" / "numeric_code.xlsx",
        [["Judul"], head, ["2024-08", 61.7, "X", 10, 20]],
    )
    xlsx(
        tmp_path / "landing" / "sakernas" / "fraction.xlsx",
        [head, ["2024-08", "61.72", "X", 10941.5, 20]],
    )
    write_csv(
        tmp_path / "landing" / "sakernas" / "status.csv",
        [
            ["reference_period", "region_code", "region_name", "status", "workers"],
            ["Agustus 2024", "61.72", "X", "Pekerja lepas", "5"],
            ["Agust 2024", "61.72", "X", "4", "5"],
        ],
    )
    landing.text("workforce", "old.xls", b"\xd0\xcf\x11\xe0")
    xlsx(
        tmp_path / "landing" / "targets" / "bad.xlsx",
        [["Target"], ["year", "region_code", "target_pct"], [2024, "99.99", 30]],
    )
    write_csv(
        tmp_path / "landing" / "membership_counts" / "conflict.csv",
        [["snapshot_date", "region_code", "segment", "covered"], [SNAP, "6171", "PU", "3"]],
    )
    result = run_job(landing.root, tmp_path / "output")
    assert not result.success
    assert not result.settings.published_path.exists()
    rows = [(r["file"], r["line"], r["column"], r["value"]) for r in rejected(result)]
    reasons = {(r["file"], r["line"], r["column"]): r["reason"] for r in rejected(result)}
    assert ("sakernas/numeric_code.xlsx", "3", "region_code", "61.7") in rows
    assert "sheet 'Tabel', cell B3" in reasons[("sakernas/numeric_code.xlsx", "3", "region_code")]
    assert "never guessed" in reasons[("sakernas/numeric_code.xlsx", "3", "region_code")]
    assert ("sakernas/fraction.xlsx", "2", "4", "10941.5") in rows
    assert "cell D2" in reasons[("sakernas/fraction.xlsx", "2", "4")]
    assert ("sakernas/status.csv", "2", "status", "Pekerja lepas") in rows
    assert ("sakernas/status.csv", "3", "reference_period", "Agust 2024") in rows
    assert "save the sheet as .xlsx or CSV" in reasons[("workforce/old.xls", "", "")]
    assert ("targets/bad.xlsx", "3", "region_code", "99.99") in rows
    assert reasons[("targets/bad.xlsx", "3", "region_code")].startswith("cell B3: unknown region")
    assert ("membership_counts/conflict.csv", "2", "region_code", "6171") in rows
    assert "participant rows" in reasons[("membership_counts/conflict.csv", "2", "region_code")]


# ---------------------------------------------------------------- the status mapping


def sakernas_only(tmp_path) -> Landing:
    landing = Landing(tmp_path / "landing")
    landing.membership([member(1, "PU", "61.72")])
    write_csv(
        tmp_path / "landing" / "sakernas" / "s.csv",
        [["reference_period", "region_code", "region_name", "status", "workers"]]
        + [
            ["2024-08", "61.71", "", code, str(n)]
            for code, n in (
                ("1", 1),
                ("2", 2),
                ("3", 4),
                ("4", 1000),
                ("5", 8),
                ("6", 16),
                ("7", 32),
                ("ASN", 64),
            )
        ],
    )
    return landing


def test_custom_mapping(tmp_path, monkeypatch):
    mapping = write_csv(
        tmp_path / "mapping.csv",
        [
            ["category", "segment"],
            ["Berusaha sendiri", "PU"],
            ["2", "bpu"],
            ["3", "BPU"],
            ["4", "PU"],
            ["5", "EXCLUDED"],
            ["6", "BPU"],
            ["7", "BPU"],
            ["ASN", "EXCLUDED"],
        ],
    )
    monkeypatch.setenv("CAKUPAN_STATUS_MAPPING", str(mapping))
    result = run_job(sakernas_only(tmp_path).root, tmp_path / "output")
    assert result.success
    row = result.city("61.71", SNAP)
    # PU = 1 + 1000 (ASN excluded, not subtracted); BPU = 2 + 4 + 16 + 32
    assert (row["potential_pu"], row["potential_bpu"]) == (1001, 54)


def test_default_mapping(tmp_path):
    result = run_job(sakernas_only(tmp_path).root, tmp_path / "output")
    assert result.success
    row = result.city("61.71", SNAP)
    # PU = 1000 - 64; BPU = 1 + 2 + 4 + 8 + 16
    assert (row["potential_pu"], row["potential_bpu"]) == (936, 31)


def test_unknown_category_in_mapping_is_rejected(tmp_path, monkeypatch):
    mapping = write_csv(
        tmp_path / "mapping.csv",
        [["category", "segment"], ["1", "BPU"], ["Pekerja lepas", "BPU"]],
    )
    monkeypatch.setenv("CAKUPAN_STATUS_MAPPING", str(mapping))
    result = run_job(sakernas_only(tmp_path).root, tmp_path / "output")
    assert not result.success
    assert not result.settings.published_path.exists()
    rows = rejected(result)
    assert {
        "file": str(mapping),
        "line": "3",
        "column": "category",
        "value": "Pekerja lepas",
    }.items() <= rows[0].items()
    # every Sakernas file was still checked, none was loaded, and the ledger says why
    with duckdb.connect(str(result.settings.warehouse_path), read_only=True) as con:
        ledger = con.execute(
            "SELECT file, status, reason FROM ops.ingest_ledger WHERE kind = 'sakernas'"
        ).fetchall()
        loaded = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' "
            "AND table_name = 'sakernas'"
        ).fetchone()[0]
    assert ledger and loaded == 0
    for _, status, reason in ledger:
        assert status == "rejected"
        assert reason.startswith(f"accepted, but not loaded: {mapping} line 3, column category")
