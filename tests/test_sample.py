"""The embedded sample: published figures, table shapes and the data contract."""

from __future__ import annotations

import csv

import duckdb
import polars as pl
import pytest
from openpyxl import load_workbook

from cakupan.config import PROJECT_ROOT, SAMPLE_LANDING_DIR

CITY_COLUMNS = [
    ("snapshot_date", "DATE"),
    ("region_code", "VARCHAR"),
    ("region_name", "VARCHAR"),
    ("province_code", "VARCHAR"),
    ("province_name", "VARCHAR"),
    ("workforce_period", "VARCHAR"),
    ("potential_pu", "BIGINT"),
    ("potential_bpu", "BIGINT"),
    ("potential_total", "BIGINT"),
    ("covered_pu", "BIGINT"),
    ("covered_bpu", "BIGINT"),
    ("covered_jakon", "BIGINT"),
    ("covered_pmi", "BIGINT"),
    ("covered_total", "BIGINT"),
    ("coverage_pct", "DOUBLE"),
    ("pu_coverage_pct", "DOUBLE"),
    ("bpu_coverage_pct", "DOUBLE"),
    ("uncovered", "BIGINT"),
    ("target_pct", "DOUBLE"),
    ("workers_to_target", "BIGINT"),
    ("rank_in_province", "BIGINT"),
    ("rank_national", "BIGINT"),
    ("source", "VARCHAR"),
]
ROLLUP_COLUMNS = [
    ("regions", "BIGINT"),
    ("regions_with_potential", "BIGINT"),
    ("potential_pu", "BIGINT"),
    ("potential_bpu", "BIGINT"),
    ("potential_total", "BIGINT"),
    ("covered_pu", "BIGINT"),
    ("covered_bpu", "BIGINT"),
    ("covered_jakon", "BIGINT"),
    ("covered_pmi", "BIGINT"),
    ("covered_total", "BIGINT"),
    ("coverage_pct", "DOUBLE"),
    ("pu_coverage_pct", "DOUBLE"),
    ("bpu_coverage_pct", "DOUBLE"),
    ("uncovered", "BIGINT"),
]
PUBLISHED = {
    "coverage_by_city": CITY_COLUMNS,
    "coverage_by_province": [
        ("snapshot_date", "DATE"),
        ("province_code", "VARCHAR"),
        ("province_name", "VARCHAR"),
        *ROLLUP_COLUMNS,
    ],
    "coverage_national": [("snapshot_date", "DATE"), *ROLLUP_COLUMNS],
}
RESULTS_COLUMNS = [
    ("run_id", "VARCHAR"),
    ("snapshot_date", "DATE"),
    ("table_name", "VARCHAR"),
    ("expectation", "VARCHAR"),
    ("severity", "VARCHAR"),
    ("success", "BOOLEAN"),
    ("observed_value", "VARCHAR"),
    ("unexpected_count", "BIGINT"),
]
LATEST = "2025-06-30"
WORKFORCE = SAMPLE_LANDING_DIR / "workforce"
# Regions whose 2024-08 BPU is missing, with their BPS code in the 2023-08 round.
FALLBACK = {"32.04": "3204", "12.07": "1212"}
# Gorontalo's 2024-08 potentials come only from this BPS status table (wide, BPS codes).
SAKERNAS = SAMPLE_LANDING_DIR / "sakernas" / "sakernas_2024-08_gorontalo.xlsx"
# BPS code (numbering of the table) -> Kemendagri code, read off
# data/reference/bps_kemendagri_kabkota_2020.csv by hand: the numbers do not match.
GORONTALO = {
    "7501": "75.02",  # Boalemo
    "7502": "75.01",  # Kab. Gorontalo
    "7503": "75.04",  # Pohuwato
    "7504": "75.03",  # Bone Bolango
    "7505": "75.05",  # Gorontalo Utara
    "7571": "75.71",  # Kota Gorontalo
}
# Every kab/kota but these comes as counts (membership_counts/): the two figure regions and
# the three small kabupaten their persons and planted traps also have rows in
# (data/sample/README.md): 61.11 Kayong Utara, 19.04 Bangka Tengah, 19.02 Belitung.
PARTICIPANT_REGIONS = {"61.72", "19.71", "61.11", "19.04", "19.02"}
COUNTS_FOLDER = SAMPLE_LANDING_DIR / "membership_counts"
COUNTS = COUNTS_FOLDER / "counts_2025-06-30.csv"
COUNTS_EARLY = COUNTS_FOLDER / "counts_2024-12-31.xlsx"
SERUYAN = "62.07"  # under its BPS code 6208 on 2025-06-30 (BPS 6207 is Lamandau)


@pytest.fixture(scope="module")
def run(sample_run):
    return sample_run[0]


def test_singkawang(run):
    row = run.city("61.72", LATEST)
    assert (
        row["potential_total"],
        row["covered_total"],
        row["coverage_pct"],
        row["uncovered"],
    ) == (73236, 16684, 22.78, 56552)


def test_pangkalpinang(run):
    row = run.city("19.71", LATEST)
    assert (row["potential_pu"], row["covered_pu"], row["pu_coverage_pct"]) == (47010, 24286, 51.66)
    assert (row["potential_bpu"], row["covered_bpu"], row["bpu_coverage_pct"]) == (
        23416,
        4754,
        20.30,
    )
    assert row["coverage_pct"] == 41.23


def test_514_rows_per_snapshot(run):
    rows = run.published(
        "SELECT snapshot_date, count(DISTINCT region_code) AS regions, count(*) AS n "
        "FROM reporting.coverage_by_city GROUP BY ALL ORDER BY ALL"
    )
    assert [(str(r["snapshot_date"]), r["regions"], r["n"]) for r in rows] == [
        ("2024-12-31", 514, 514),
        ("2025-06-30", 514, 514),
    ]


@pytest.mark.parametrize("level", ["province", "national"])
def test_rollups_equal_sums_of_cities(run, level):
    group = "snapshot_date, province_code" if level == "province" else "snapshot_date"
    table = "coverage_by_province" if level == "province" else "coverage_national"
    mismatches = run.published(f"""
        WITH cities AS (
            SELECT {group}, count(*) AS regions, count(potential_total) AS with_potential,
                   sum(potential_pu) AS potential_pu, sum(potential_bpu) AS potential_bpu,
                   sum(potential_total) AS potential_total, sum(covered_pu) AS covered_pu,
                   sum(covered_bpu) AS covered_bpu, sum(covered_jakon) AS covered_jakon,
                   sum(covered_pmi) AS covered_pmi, sum(covered_total) AS covered_total,
                   round(100 * sum(covered_total) FILTER (WHERE potential_total IS NOT NULL)
                         / sum(potential_total), 2) AS coverage_pct
            FROM reporting.coverage_by_city GROUP BY {group}
        )
        SELECT * FROM cities FULL JOIN reporting.{table} AS r USING ({group})
        WHERE cities.regions IS DISTINCT FROM r.regions
           OR with_potential IS DISTINCT FROM r.regions_with_potential
           OR cities.potential_pu IS DISTINCT FROM r.potential_pu
           OR cities.potential_bpu IS DISTINCT FROM r.potential_bpu
           OR cities.potential_total IS DISTINCT FROM r.potential_total
           OR cities.covered_pu IS DISTINCT FROM r.covered_pu
           OR cities.covered_bpu IS DISTINCT FROM r.covered_bpu
           OR cities.covered_jakon IS DISTINCT FROM r.covered_jakon
           OR cities.covered_pmi IS DISTINCT FROM r.covered_pmi
           OR cities.covered_total IS DISTINCT FROM r.covered_total
           OR cities.coverage_pct IS DISTINCT FROM r.coverage_pct
    """)
    assert mismatches == []
    assert len(run.published(f"SELECT * FROM reporting.{table}")) == (
        2 * 38 if level == "province" else 2
    )


def test_published_tables_follow_the_contract(run):
    with duckdb.connect(str(run.settings.published_path), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        assert [(s, t) for s, t, _ in tables] == [
            ("ops", "rejected_files"),  # the run that published, for the reports
            ("ops", "run_status"),
            ("quality", "validation_results"),
        ] + [("reporting", t) for t in sorted(PUBLISHED)]
        assert all(comment for _, _, comment in tables)
        for table, expected in {**PUBLISHED, "validation_results": RESULTS_COLUMNS}.items():
            found = con.execute(
                "SELECT column_name, data_type, comment FROM duckdb_columns() "
                "WHERE table_name = ? ORDER BY column_index",
                [table],
            ).fetchall()
            assert [(n, t) for n, t, _ in found] == expected, table
            assert all(comment for _, _, comment in found), table


def test_no_temporary_files_left(run):
    leftovers = [p.name for p in run.settings.output.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def _segments(frame: pl.DataFrame, code: str) -> pl.DataFrame:
    """{region_code, PU, BPU} from workforce rows; a missing value ('-', '') is null."""
    return (
        frame.filter(pl.col("region_code").str.contains(code))
        .with_columns(
            pl.col("potential_workers").cast(pl.String).str.replace_all(".", "", literal=True)
        )
        .with_columns(pl.col("potential_workers").cast(pl.Int64, strict=False))
        .pivot(on="segment", index="region_code", values="potential_workers")
        .select("region_code", "PU", "BPU")
    )


def sakernas_potentials() -> dict[str, tuple[int, int]]:
    """(PU, BPU) per Gorontalo kab/kota from the status table's cells, mapped by hand as
    data/reference/status_mapping.csv says: PU = Buruh/karyawan/pegawai (4) less
    ASN/TNI/Polri; BPU = categories 1, 2, 3, 5 and 6 ('-' is 0); 7 and Jumlah not used."""
    rows = list(load_workbook(SAKERNAS, read_only=True).worksheets[0].iter_rows(values_only=True))
    head = rows.index(next(r for r in rows if r[1] == "Kode"))
    columns = rows[head]
    bpu_labels = {
        "Berusaha sendiri",
        "Berusaha dibantu buruh tidak tetap/buruh tidak dibayar",
        "Berusaha dibantu buruh tetap/buruh dibayar",
        "Pekerja bebas di pertanian",
        "Pekerja bebas di nonpertanian",
    }
    assert bpu_labels < set(columns)
    result = {}
    for row in rows[head + 1 :]:
        cells = dict(zip(columns, row, strict=True))
        if cells["Kode"] not in GORONTALO:
            continue  # the province total 7500 and the notes
        assert cells["Periode"] == "Agustus 2024"
        pu = cells["Buruh/karyawan/pegawai"] - cells["ASN/TNI/Polri"]
        bpu = sum(0 if cells[label] == "-" else cells[label] for label in bpu_labels)
        result[GORONTALO[cells["Kode"]]] = (pu, bpu)
    assert len(result) == 6
    return result


@pytest.fixture(scope="module")
def potentials() -> dict[str, tuple[int, int]]:
    """(PU, BPU) per kab/kota from the files: 2024-08 (Gorontalo from its Sakernas status
    table), or 2023-08 where 2024-08 lacks BPU."""
    new = pl.concat(
        [
            pl.read_csv(WORKFORCE / "workforce_2024-08_barat.csv", infer_schema=False),
            pl.read_parquet(WORKFORCE / "workforce_2024-08_timur.parquet").cast(
                {"potential_workers": pl.String}
            ),
        ]
    )
    old = pl.read_csv(WORKFORCE / "workforce_2023-08.csv", separator=";", infer_schema=False)
    result = {
        r["region_code"]: (r["PU"], r["BPU"])
        for r in _segments(new, r"^\d\d\.\d\d$").rows(named=True)
    }
    by_bps = {
        r["region_code"]: (r["PU"], r["BPU"]) for r in _segments(old, r"^\d{4}$").rows(named=True)
    }
    # Gorontalo's 2024-08 rows in workforce/ are null: its status table gives the values.
    assert {code: result.pop(code) for code in GORONTALO.values()} == dict.fromkeys(
        GORONTALO.values(), (None, None)
    )
    assert [code for code, (pu, bpu) in result.items() if bpu is None] == sorted(FALLBACK)
    result.update({code: by_bps[bps] for code, bps in FALLBACK.items()})
    result.update(sakernas_potentials())
    assert len(result) == 514
    return result


def test_potentials_are_sized_like_indonesia(potentials):
    def total(code):
        return sum(potentials[code])

    # Rough real sizes: about 0.47 workers per inhabitant.
    assert total("32.72") < 200_000  # Kota Sukabumi, ~0.36 M inhabitants
    assert 200_000 < total("61.01") < 400_000  # Kab. Sambas, ~0.65 M
    assert 200_000 < total("61.71") < 400_000  # Kota Pontianak, ~0.68 M
    assert total("32.72") < total("61.01") < 5 * total("61.71")
    assert 1_000_000 < total("35.78") < 2_500_000  # Kota Surabaya, ~3.0 M
    assert 1_000_000 < total("32.01") < 3_500_000  # Kab. Bogor, ~5.6 M
    assert 700_000 < total("31.74") < 2_000_000  # Kota Jakarta Selatan, ~2.2 M
    assert total("91.19") < 50_000  # Kab. Supiori, ~0.02 M
    # BPS Sakernas August 2024: 144.64 M working, 25.x M in Jawa Barat, 5.x M in Jakarta.
    assert 135_000_000 < sum(map(total, potentials)) < 150_000_000
    by_province = {p: sum(total(c) for c in potentials if c[:2] == p) for p in ("31", "32", "95")}
    assert 23_000_000 < by_province["32"] < 28_000_000
    assert 4_500_000 < by_province["31"] < 6_000_000
    assert by_province["95"] < 1_500_000  # Papua Pegunungan


def test_kota_have_a_larger_pu_share_than_kabupaten(potentials):
    names = {
        r["code"]: r["name"]
        for r in pl.read_csv(
            PROJECT_ROOT / "data" / "reference" / "regencies.csv", infer_schema=False
        ).rows(named=True)
    }
    shares = {"Kota": [], "Kabupaten": []}
    for code, (pu, bpu) in potentials.items():
        shares[names[code].split()[0]].append(pu / (pu + bpu))
    assert (len(shares["Kota"]), len(shares["Kabupaten"])) == (98, 416)
    assert min(shares["Kota"]) > 0.45
    assert max(shares["Kabupaten"]) < 0.5


def test_figure_regions_keep_their_potentials(potentials):
    old = pl.read_csv(WORKFORCE / "workforce_2023-08.csv", separator=";", infer_schema=False)
    rows_2023 = _segments(old, "^(6172|1971)$").sort("region_code").rows()
    assert rows_2023 == [("1971", 46439, 22308), ("6172", 43614, 28033)]
    assert (potentials["61.72"], potentials["19.71"]) == ((45120, 28116), (47010, 23416))


def test_published_potentials_are_those_of_the_files(run, potentials):
    for snapshot in ("2024-12-31", LATEST):
        rows = run.published(
            "SELECT region_code, potential_pu, potential_bpu FROM reporting.coverage_by_city "
            "WHERE snapshot_date = CAST(? AS DATE)",
            [snapshot],
        )
        published = {r["region_code"]: (r["potential_pu"], r["potential_bpu"]) for r in rows}
        assert published == potentials, snapshot
    national = run.published(
        "SELECT potential_total FROM reporting.coverage_national ORDER BY snapshot_date"
    )
    expected = sum(pu + bpu for pu, bpu in potentials.values())
    assert expected == 144_622_230  # as in data/sample/README.md
    assert [r["potential_total"] for r in national] == [expected] * 2


def test_gorontalo_potentials_come_from_the_sakernas_table(run):
    """The published 2024-08 potentials of Gorontalo are the status table's cells mapped
    by hand (workforce/ has their 2024-08 rows, with null values)."""
    expected = sakernas_potentials()
    assert expected["75.71"] == (129611, 86050)  # Kota Gorontalo, its '-' farm cell is 0
    rows = run.published(
        "SELECT region_code, workforce_period, potential_pu, potential_bpu "
        "FROM reporting.coverage_by_city WHERE province_code = '75' "
        "AND snapshot_date = CAST(? AS DATE)",
        [LATEST],
    )
    assert {r["region_code"]: (r["potential_pu"], r["potential_bpu"]) for r in rows} == expected
    assert {r["workforce_period"] for r in rows} == {"2024-08"}


def _counts_in_files() -> dict[tuple[str, str], dict[str, int]]:
    """(snapshot, Kemendagri code) -> {segment: covered}, read from the counts files, the
    codes mapped through the BPS bridges by hand (Papua rows are written dotted)."""
    bridge = {
        r["kode_bps"]: f"{r['kode_dagri'][:2]}.{r['kode_dagri'][2:]}"
        for r in pl.read_csv(
            PROJECT_ROOT / "data" / "reference" / "bps_kemendagri_kabkota_2020.csv",
            infer_schema=False,
        ).rows(named=True)
    }
    rows = []
    with COUNTS.open(newline="", encoding="utf-8") as handle:
        rows += [
            (r["snapshot_date"], r["region_code"], r["segment"], r["covered"])
            for r in csv.DictReader(handle)
        ]
    sheet = load_workbook(COUNTS_EARLY, read_only=True).active
    header, *cells = list(sheet.iter_rows(values_only=True))
    assert header == ("snapshot_date", "kode_wilayah", "segment", "covered")
    rows += cells
    result: dict[tuple[str, str], dict[str, int]] = {}
    for snapshot, code, segment, covered in rows:
        region = code if "." in code else bridge[code]
        result.setdefault((snapshot, region), {})[segment] = int(covered)
    return result


def test_seruyan_membership_comes_from_the_counts_file(run):
    with COUNTS.open(newline="", encoding="utf-8") as handle:
        lines = [r for r in csv.DictReader(handle) if r["region_code"] in ("6208", "62.07")]
    assert {(r["snapshot_date"], r["region_code"]) for r in lines} == {(LATEST, "6208")}
    covered = {r["segment"]: int(r["covered"]) for r in lines}
    row = run.city(SERUYAN, LATEST)
    assert row["source"] == "counts"
    assert (row["covered_pu"], row["covered_bpu"], row["covered_jakon"], row["covered_pmi"]) == (
        covered["PU"],
        covered["BPU"],
        covered["JAKON"],
        covered["PMI"],
    )
    assert row["covered_total"] == covered["PU"] + covered["BPU"] + covered["JAKON"]


def test_counts_regions_publish_the_counts_of_the_files(run):
    """Every kab/kota but the participant regions, in both snapshots, is the counts files'
    (covered_total = PU + BPU + JAKON); the participant regions come from membership/."""
    expected = _counts_in_files()
    assert len(expected) == 2 * (514 - len(PARTICIPANT_REGIONS))
    rows = run.published("FROM reporting.coverage_by_city")
    for row in rows:
        key = (str(row["snapshot_date"]), row["region_code"])
        if row["region_code"] in PARTICIPANT_REGIONS:
            assert row["source"] == "participants", key
            continue
        counts = expected.pop(key)
        assert row["source"] == "counts", key
        published = [row[f"covered_{s.lower()}"] for s in ("PU", "BPU", "JAKON", "PMI")]
        assert published == [counts[s] for s in ("PU", "BPU", "JAKON", "PMI")], key
        assert row["covered_total"] == counts["PU"] + counts["BPU"] + counts["JAKON"], key
    assert expected == {}


def test_sample_looks_like_indonesia(run):
    """National UCJ about 36% (real: 35.68% in April 2025), a little higher six months on;
    PU far better covered than BPU; regions from under 10% to over 80%."""
    national = run.published("FROM reporting.coverage_national ORDER BY snapshot_date")
    early, latest = (100 * r["covered_total"] / r["potential_total"] for r in national)
    assert 34 < early < latest < 38
    for row in national:
        assert row["pu_coverage_pct"] > 3 * row["bpu_coverage_pct"]
    cities = run.published(
        "SELECT region_name, coverage_pct FROM reporting.coverage_by_city "
        "WHERE snapshot_date = CAST(? AS DATE)",
        [LATEST],
    )
    pct = {r["region_name"]: r["coverage_pct"] for r in cities}
    assert min(pct.values()) < 10 < 80 < max(pct.values())
    kota = [v for name, v in pct.items() if name.startswith("Kota")]
    kabupaten = [v for name, v in pct.items() if name.startswith("Kabupaten")]
    assert sum(kota) / len(kota) > sum(kabupaten) / len(kabupaten)
