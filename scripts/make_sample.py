"""Generate the embedded sample extracts in ``data/sample/landing/``.

The sample is small, fake and fully deterministic: a fixed random seed, no
wall clock, gzip written with ``mtime=0`` and Parquet written by pyarrow, so
every run produces byte-identical files. The script deletes and recreates
``data/sample/landing/`` each time. Run it with::

    .venv/bin/python scripts/make_sample.py

What it writes (all 514 current Kemendagri kab/kota are present everywhere):

``workforce/``
    ``workforce_2023-08.csv``: the August 2023 round, ``;``-delimited, 4-digit
    BPS codes in the numbering used before 2023 (so the Papua codes are the
    old ones: BPS 9401 is Merauke, today's Kemendagri 93.01), Indonesian
    thousands separators (``5.089.783``), plus total rows for a few provinces
    (``1100``, ``1900``, ``6100``, ``9400``) and for ``0000 INDONESIA``.
    ``workforce_2024-08_barat.csv`` and ``workforce_2024-08_timur.parquet``:
    the August 2024 round split by province group, dotted Kemendagri codes,
    plain integers, one province total row in each (``19`` and ``61``).
    The potentials are invented but sized like Indonesia's (``make_potentials``):
    approximate BPS working population per province (Sakernas August 2024, 144.64
    million in all) split between its kab/kota by kecamatan count, with denser
    kecamatan in kota, then into PU and BPU (kota have more PU).

``membership/``
    Participant rows of PARTICIPANT_REGIONS only: the figure regions 61.72 and 19.71 and
    three small kabupaten their persons and the planted traps also have rows in (61.11,
    19.04 and 19.02, drawn like the counts).
    ``members_2024-12-31.csv.gz``: one gzip CSV, messy on purpose.
    ``members_2025-06-30_{sumatera,timur}.parquet``: the latest snapshot, split over two
    files by province (19, 61; all columns are strings).

``targets/targets_2025.csv``
    ``;``-delimited, decimal comma (``35,00``), years 2024 and 2025.

``sakernas/sakernas_2024-08_gorontalo.xlsx``
    BPS status table of Gorontalo (75), wide, with titles, BPS codes, labels, a total
    row and notes: the only source of its 2024-08 potentials (null in workforce/).

``membership_counts/counts_2024-12-31.xlsx`` and ``counts_2025-06-30.csv``
    Every other kab/kota (509) as counts per segment, drawn (``make_counts``) so that
    national UCJ is about 36%: kota above kabupaten, Papua lowest, industrial areas
    highest, PU far above BPU. BPS codes in the Excel file; dotted codes in the CSV but for
    Kalimantan Tengah (Seruyan 62.07 is 6208).

``cakupan-sample.json``
    At the root: says the folder is a sample (cakupan.sample), so every output says so.

Traps planted in the data (the README lists the same, with expected figures):

* Workforce: region codes in two code systems (BPS 4-digit in 2023-08,
  dotted Kemendagri in 2024-08); BPS and Kemendagri numbers differ for many
  regions (BPS 1101 is Simeulue, Kemendagri 11.09), so stripping a dot is
  wrong. Province and national total rows must be skipped. The BPU value of
  32.04 (``-``) and 12.07 (empty) is missing in 2024-08, so those two regions
  fall back to the complete 2023-08 round.
* Membership, both snapshots:
  - exact duplicate rows (about 1% of each file);
  - NONAKTIF rows, including a later NONAKTIF row in another region that
    must not move a covered person (``stale_nonaktif``);
  - AKTIF rows without JKM (``JKK,JHT``, ``JHT``, blank programs), also as a
    later row in another region (``stale_no_jkm``);
  - persons in two segments: PU+BPU (same region, and PU in one region with
    BPU in another), BPU+JAKON, PU+JAKON, PU+PMI;
  - a person with covered PU rows in two regions: the latest registered_on
    wins (``moved_in``/``moved_out``), a blank registered_on loses
    (``blank_date``), equal dates go to the smaller code (``tie``: 19.02 over
    19.04, 61.11 over 61.72), and one such person has rows in two Parquet
    files (19.04 then 61.11);
  - JAKON-only persons (in covered_total) and PMI-only persons (never in
    covered_total);
  - invalid NIKs (15 digits, 17 digits, letters, blank and, in Parquet, one
    null) on rows that otherwise look covered, about 0.2% of every file;
  - valid NIKs with surrounding spaces.
* ``members_2024-12-31.csv.gz`` only: Kalimantan Barat (61) rows carry BPS
  codes, as do about 10% of the other rows (the planted multi-region persons
  keep dotted codes); status in
  any case (``aktif``, ``Aktif``); programs in any case, order and spacing
  (``" jkk , JKM,jht"``); programs is a quoted comma list in a comma CSV.
  Rows registered after the snapshot date are absent, and some rows have a
  different status than six months later.

The two figure regions are built with exact counts and the script asserts
them for the 2025-06-30 snapshot with the 2024-08 round:

* Singkawang (61.72): potential PU+BPU 73,236, covered_total 16,684 (22.78%).
* Pangkalpinang (19.71): PU 47,010 / covered 24,286 (51.66%), BPU 23,416 /
  covered 4,754 (20.30%), covered_total 29,036 (41.23%): 4 persons are
  covered in both PU and BPU there.

NIKs are fake but shaped like real ones: a real Kemendagri kecamatan code
(PPKKDD, from districts.csv), the birth date as DDMMYY (women's day + 40),
then a 4-digit serial.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import shutil
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import groupby
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cakupan.extracts import EXTRACTS
from cakupan.sakernas import CATEGORIES
from cakupan.sample import MANIFEST

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "data" / "reference"
LANDING = ROOT / "data" / "sample" / "landing"

SEED = 20250630

ROUND_OLD = "2023-08"
ROUND_NEW = "2024-08"
SNAPSHOT_EARLY = date(2024, 12, 31)
SNAPSHOT_LATEST = date(2025, 6, 30)

# Current Kemendagri provinces carved out of Papua and Papua Barat (and those two).
PAPUA_PROVINCES = ("91", "92", "93", "94", "95", "96")

SINGKAWANG = "61.72"
PANGKALPINANG = "19.71"

# Figures the sample must reproduce (2025-06-30 snapshot, 2024-08 round).
SINGKAWANG_POTENTIAL = {"PU": 45_120, "BPU": 28_116}  # sum 73,236
SINGKAWANG_COVERED_TOTAL = 16_684
PANGKALPINANG_POTENTIAL = {"PU": 47_010, "BPU": 23_416}
PANGKALPINANG_COVERED = {"PU": 24_286, "BPU": 4_754, "total": 29_036}
# Their 2024-12-31 figures: not solved for, they follow from the random draws (rows
# registered later dropped, statuses flipped); asserted so that they stay as published.
COVERED_EARLY = {
    SINGKAWANG: {"PU": 10_511, "BPU": 5_011, "JAKON": 377, "PMI": 206, "total": 15_807},
    PANGKALPINANG: {"PU": 22_900, "BPU": 4_472, "JAKON": 32, "PMI": 161, "total": 27_369},
}

# 2023-08 potentials of the figure regions (no published figure uses them; kept fixed).
SINGKAWANG_POTENTIAL_2023 = {"PU": 43_614, "BPU": 28_033}
PANGKALPINANG_POTENTIAL_2023 = {"PU": 46_439, "BPU": 22_308}

# Size proxy of the potentials (see make_potentials). Working population ("penduduk
# bekerja", aged 15+) per Kemendagri province in August 2024: APPROXIMATE values after BPS,
# Sakernas Agustus 2024, "Penduduk Berumur 15 Tahun Ke Atas yang Bekerja menurut Provinsi",
# rounded to 10,000 and adjusted to sum to BPS's national 144.64 million. A proxy for the
# size of each province, not the official table.
WORKING_POPULATION_2024 = {
    "11": 2_640_000,  # Aceh
    "12": 7_750_000,  # Sumatera Utara
    "13": 2_850_000,  # Sumatera Barat
    "14": 3_300_000,  # Riau
    "15": 1_860_000,  # Jambi
    "16": 4_550_000,  # Sumatera Selatan
    "17": 1_070_000,  # Bengkulu
    "18": 4_800_000,  # Lampung
    "19": 750_000,  # Kepulauan Bangka Belitung
    "21": 1_070_000,  # Kepulauan Riau
    "31": 5_200_000,  # DKI Jakarta
    "32": 25_200_000,  # Jawa Barat
    "33": 20_100_000,  # Jawa Tengah
    "34": 2_270_000,  # DI Yogyakarta
    "35": 23_300_000,  # Jawa Timur
    "36": 5_900_000,  # Banten
    "51": 2_700_000,  # Bali
    "52": 2_950_000,  # Nusa Tenggara Barat
    "53": 3_000_000,  # Nusa Tenggara Timur
    "61": 2_750_000,  # Kalimantan Barat
    "62": 1_400_000,  # Kalimantan Tengah
    "63": 2_230_000,  # Kalimantan Selatan
    "64": 1_900_000,  # Kalimantan Timur
    "65": 350_000,  # Kalimantan Utara
    "71": 1_250_000,  # Sulawesi Utara
    "72": 1_650_000,  # Sulawesi Tengah
    "73": 4_500_000,  # Sulawesi Selatan
    "74": 1_370_000,  # Sulawesi Tenggara
    "75": 600_000,  # Gorontalo
    "76": 730_000,  # Sulawesi Barat
    "81": 820_000,  # Maluku
    "82": 640_000,  # Maluku Utara
    "91": 530_000,  # Papua
    "92": 280_000,  # Papua Barat
    "93": 280_000,  # Papua Selatan
    "94": 850_000,  # Papua Tengah
    "95": 960_000,  # Papua Pegunungan
    "96": 290_000,  # Papua Barat Daya
}
# Workers per kecamatan of a main city and of another kota, whatever the province; a
# kecamatan of a kabupaten gets the province average. Clamped factors (low, high) relative
# to that average: kota kecamatan are denser than rural ones, but a kota in densely
# populated Java is barely denser than the kabupaten around it.
MAIN_CITY_DENSITY, MAIN_CITY_FACTOR = 50_000, (1.0, 4.0)
TOWN_DENSITY, TOWN_FACTOR = 20_000, (0.5, 2.0)
JAKARTA = "31"  # its five kota are one city: all count as the main city
SMALL_ISLANDS = {"31.01": 0.1}  # Kepulauan Seribu: 2 kecamatan of small islands
SIZE_NOISE = (0.9, 1.1)  # seeded noise on each region's weight
# Share of PU (wage earners) in a region's potential, drawn uniformly from these ranges.
PU_SHARE = {
    "main city": (0.58, 0.70),
    "kota": (0.50, 0.65),
    "kabupaten": (0.28, 0.45),
    "kabupaten in Papua": (0.12, 0.30),
}

# Regions whose BPU value is missing in the 2024-08 round (they fall back to 2023-08).
MISSING_BPU_2024 = {"32.04": "-", "12.07": ""}

# Province totals written into the workforce rounds (skipped by the pipeline).
PROVINCE_TOTALS_2023_BPS = ("11", "19", "61", "94")  # BPS province codes (94 = old Papua)
PROVINCE_TOTALS_2024 = {"barat": "19", "timur": "61"}

# Provinces whose rows use 4-digit BPS codes in the 2024-12-31 membership extract.
BPS_CODED_PROVINCES_2024_12 = ("61",)

# Province whose 2024-08 potentials come only from a Sakernas status table (sakernas/), as
# BPS publishes it: its regions' 2024-08 rows in workforce/ are null (missing).
SAKERNAS_PROVINCE = "75"  # Gorontalo: BPS 7501 is Boalemo, Kemendagri 75.01 is Gorontalo
SAKERNAS_FILE = f"sakernas_{ROUND_NEW}_gorontalo.xlsx"
# Shares of the BPU potential among BPS status categories 1, 2, 3, 5 and 6 (before noise).
BPU_CATEGORY_SHARES = {"1": 0.38, "2": 0.27, "3": 0.06, "5": 0.17, "6": 0.12}
ASN_SHARE = (0.08, 0.16)  # ASN/TNI/Polri, as a share of PU: in category 4, subtracted
UNPAID_SHARE = (0.07, 0.13)  # category 7 (pekerja keluarga), of PU + BPU: excluded
NO_FARM_LABOURERS = "75.71"  # Kota Gorontalo: category 5 written '-' (counts as 0)
# Fixed timestamp of the workbook's properties and zip entries (no clock).
XLSX_TIME = (2024, 11, 5, 0, 0, 0)

# Every kab/kota without participant rows comes as counts (membership_counts/). Province
# whose 2025-06-30 counts use BPS codes (the others of that date are dotted): Seruyan 62.07
# is written 6208 (BPS 6207 is Lamandau, Kemendagri 62.09).
BPS_CODED_COUNTS_PROVINCE = "62"

# Coverage of the counts regions (and the size of the participant regions around the two
# figure regions), drawn per kab/kota: covered / potential, uniform in these ranges, on
# 2025-06-30. Kota cover more than kabupaten, Papua least; PU far more than BPU.
PU_COVERAGE = {
    "main city": (0.80, 1.05),
    "kota": (0.62, 0.95),
    "kabupaten": (0.42, 0.78),
    "kabupaten in Papua": (0.12, 0.40),
}
BPU_COVERAGE = {
    "main city": (0.18, 0.34),
    "kota": (0.12, 0.28),
    "kabupaten": (0.06, 0.22),
    "kabupaten in Papua": (0.01, 0.05),
}
# Industrial areas: both rates times a factor drawn from this range.
INDUSTRIAL = {
    "21.71": "Kota Batam",
    "32.15": "Kabupaten Karawang",
    "32.16": "Kabupaten Bekasi",
    "32.75": "Kota Bekasi",
    "35.14": "Kabupaten Pasuruan",
    "35.15": "Kabupaten Sidoarjo",
    "35.25": "Kabupaten Gresik",
    "36.03": "Kabupaten Tangerang",
    "36.71": "Kota Tangerang",
    "36.72": "Kota Cilegon",
    "64.02": "Kabupaten Kutai Kartanegara",
    "64.71": "Kota Balikpapan",
    "64.74": "Kota Bontang",
    "72.06": "Kabupaten Morowali",
    "94.04": "Kabupaten Mimika",
}
INDUSTRIAL_FACTOR = (1.2, 1.4)
# JAKON-only and PMI persons as a share of the region's potential PU + BPU; PMI more in
# the provinces most migrant workers come from.
JAKON_SHARE = (0.003, 0.012)
PMI_SHARE = (0.0005, 0.003)
PMI_PROVINCES = {"32", "33", "35", "52", "53"}
PMI_FACTOR = 3
# The 2024-12-31 counts: each 2025-06-30 count times a factor drawn from this range.
EARLY_FACTOR = (0.93, 0.99)


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class Region:
    code: str  # Kemendagri, dotted: "61.72"
    province: str  # Kemendagri province: "61"
    name: str  # Kemendagri name: "Kota Singkawang"
    bps_code: str  # BPS code in the numbering used up to August 2023: "6172"
    bps_name: str  # BPS name: "SINGKAWANG"

    @property
    def is_papua(self) -> bool:
        return self.province in PAPUA_PROVINCES

    @property
    def is_kota(self) -> bool:
        return self.name.startswith("Kota")  # else "Kabupaten"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_regions() -> list[Region]:
    """Every current kab/kota with its pre-2023 BPS code, taken from the bridges.

    Papua regions come from bps_papua_2023.csv (kode_bps_2022); all others from
    the 2020 BPS-Kemendagri bridge, looked up by the Kemendagri code.
    """
    bridge = {
        row["kode_dagri"]: row for row in read_csv(REFERENCE / "bps_kemendagri_kabkota_2020.csv")
    }
    papua = {row["kode_kemendagri"]: row for row in read_csv(REFERENCE / "bps_papua_2023.csv")}
    regions = []
    for row in read_csv(REFERENCE / "regencies.csv"):
        code, province = row["code"], row["province_code"]
        if province in PAPUA_PROVINCES:
            match = papua[code]
            bps_code, bps_name = match["kode_bps_2022"], match["nama_bps"]
        else:
            match = bridge[code.replace(".", "")]  # the bridge keys Kemendagri codes without dot
            bps_code, bps_name = match["kode_bps"], match["nama_bps"]
        regions.append(Region(code, province, row["name"], bps_code, bps_name))
    assert len(regions) == 514
    assert len({r.bps_code for r in regions}) == 514, "BPS codes must be unique"
    return sorted(regions, key=lambda r: r.code)


def load_districts() -> dict[str, list[str]]:
    """Kecamatan codes (PP.KK.DD) per regency code."""
    districts: dict[str, list[str]] = defaultdict(list)
    for row in read_csv(REFERENCE / "districts.csv"):
        districts[row["regency_code"]].append(row["code"])
    return districts


def load_province_names() -> dict[str, str]:
    return {row["code"]: row["name"] for row in read_csv(REFERENCE / "provinces.csv")}


def load_bps_province_names() -> dict[str, str]:
    rows = read_csv(REFERENCE / "bps_kemendagri_provinsi_2020.csv")
    return {row["kode_bps"]: row["nama_bps"] for row in rows}


# --------------------------------------------------------------------------- workforce


def make_potentials(
    regions: list[Region], kecamatan: dict[str, int], rng: random.Random
) -> dict[str, dict]:
    """Potential workers per region: {code: {"2024-08": {PU, BPU}, "2023-08": {...}}}.

    A proxy of real sizes: each province's working population (WORKING_POPULATION_2024,
    less the fixed figure regions) is split between its kab/kota in proportion to
    kecamatan count x density factor x SIZE_NOISE. With ``a`` the province's workers per
    kecamatan, the factor is MAIN_CITY_DENSITY / a for its main city (the kota with most
    kecamatan, ties to the smaller code; all kota of Jakarta), TOWN_DENSITY / a for another
    kota (both clamped) and 1 for a kabupaten. PU and BPU then split by PU_SHARE; the
    2023-08 round is 94-101% of 2024-08 per segment.
    """
    fixed = {
        SINGKAWANG: (SINGKAWANG_POTENTIAL, SINGKAWANG_POTENTIAL_2023),
        PANGKALPINANG: (PANGKALPINANG_POTENTIAL, PANGKALPINANG_POTENTIAL_2023),
    }
    potentials = {}
    for province, group in groupby(regions, key=lambda r: r.province):
        members = list(group)
        working = WORKING_POPULATION_2024[province]
        average = working / sum(kecamatan[r.code] for r in members)
        kinds = region_kinds(members, kecamatan)
        weights = {}
        for region in members:
            if kinds[region.code] == "main city":
                factor = clamp(MAIN_CITY_DENSITY / average, *MAIN_CITY_FACTOR)
            elif kinds[region.code] == "kota":
                factor = clamp(TOWN_DENSITY / average, *TOWN_FACTOR)
            else:
                factor = SMALL_ISLANDS.get(region.code, 1.0)
            weights[region.code] = kecamatan[region.code] * factor * rng.uniform(*SIZE_NOISE)
        rest = working - sum(sum(fixed[r.code][0].values()) for r in members if r.code in fixed)
        totals = apportion(rest, {c: w for c, w in weights.items() if c not in fixed})
        for region in members:
            if region.code in fixed:
                new, old = (dict(values) for values in fixed[region.code])
            else:
                total = totals[region.code]
                pu = round(total * rng.uniform(*PU_SHARE[kinds[region.code]]))
                new = {"PU": pu, "BPU": total - pu}
                old = {seg: round(value * rng.uniform(0.94, 1.01)) for seg, value in new.items()}
            potentials[region.code] = {ROUND_NEW: new, ROUND_OLD: old}
    return potentials


def region_kinds(members: list[Region], kecamatan: dict[str, int]) -> dict[str, str]:
    """The PU_SHARE kind of each kab/kota of one province."""
    kotas = [r for r in members if r.is_kota]
    if members[0].province == JAKARTA:
        main = {r.code for r in kotas}
    else:
        main = {min(kotas, key=lambda r: (-kecamatan[r.code], r.code)).code} if kotas else set()
    kinds = {}
    for region in members:
        if region.code in main:
            kinds[region.code] = "main city"
        elif region.is_kota:
            kinds[region.code] = "kota"
        else:
            kinds[region.code] = "kabupaten in Papua" if region.is_papua else "kabupaten"
    return kinds


def clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split an integer total in proportion to weights; the parts sum to the total."""
    scale = total / sum(weights.values())
    parts, cumulative, previous = {}, 0.0, 0
    for code, weight in weights.items():
        cumulative += weight * scale
        parts[code] = round(cumulative) - previous
        previous += parts[code]
    assert previous == total
    return parts


def thousands(value: int) -> str:
    """Indonesian thousands separators: 5089783 -> '5.089.783'."""
    return f"{value:,}".replace(",", ".")


def write_workforce(
    regions: list[Region],
    potentials: dict[str, dict],
    province_names: dict[str, str],
    bps_province_names: dict[str, str],
    landing: Path,
) -> None:
    header = list(EXTRACTS["workforce"].columns)
    folder = landing / "workforce"

    # 2023-08: BPS codes (old numbering), ';', thousands separators, with totals.
    by_bps = sorted(regions, key=lambda r: r.bps_code)
    rows_2023 = []
    for segment in ("PU", "BPU"):
        national = sum(potentials[r.code][ROUND_OLD][segment] for r in regions)
        rows_2023.append([ROUND_OLD, "0000", "INDONESIA", segment, thousands(national)])
    for bps_province, group in groupby(by_bps, key=lambda r: r.bps_code[:2]):
        members = list(group)
        if bps_province in PROVINCE_TOTALS_2023_BPS:
            name = bps_province_names[bps_province]
            for segment in ("PU", "BPU"):
                total = sum(potentials[r.code][ROUND_OLD][segment] for r in members)
                rows_2023.append([ROUND_OLD, f"{bps_province}00", name, segment, thousands(total)])
        for region in members:
            for segment in ("PU", "BPU"):
                value = thousands(potentials[region.code][ROUND_OLD][segment])
                rows_2023.append([ROUND_OLD, region.bps_code, region.bps_name, segment, value])
    write_text(folder / f"workforce_{ROUND_OLD}.csv", csv_text(header, rows_2023, delimiter=";"))

    # 2024-08: dotted Kemendagri codes, plain integers; west as CSV, east as Parquet.
    parts: dict[str, list[list]] = {"barat": [], "timur": []}
    for province, group in groupby(regions, key=lambda r: r.province):
        members = list(group)
        part = "barat" if province < "50" else "timur"
        if province == PROVINCE_TOTALS_2024[part]:
            for segment in ("PU", "BPU"):
                total = sum(potentials[r.code][ROUND_NEW][segment] for r in members)
                parts[part].append([ROUND_NEW, province, province_names[province], segment, total])
        for region in members:
            for segment in ("PU", "BPU"):
                value = potentials[region.code][ROUND_NEW][segment]
                if segment == "BPU" and region.code in MISSING_BPU_2024:
                    value = MISSING_BPU_2024[region.code]  # "-" or "" in the CSV
                if province == SAKERNAS_PROVINCE:
                    value = None  # missing (Parquet null): sakernas/ gives it
                parts[part].append([ROUND_NEW, region.code, region.name, segment, value])
    assert all(code < "50" for code in MISSING_BPU_2024), "missing values go to the CSV part"
    write_text(folder / f"workforce_{ROUND_NEW}_barat.csv", csv_text(header, parts["barat"]))
    columns = list(zip(*parts["timur"], strict=True))
    table = pa.table(
        {
            name: pa.array(values, type=pa.int64() if name == "potential_workers" else pa.string())
            for name, values in zip(header, columns, strict=True)
        }
    )
    write_parquet(table, folder / f"workforce_{ROUND_NEW}_timur.parquet")


def write_sakernas(
    regions: list[Region], potentials: dict[str, dict], rng: random.Random, landing: Path
) -> dict[str, dict[str, int]]:
    """The 2024-08 status table of SAKERNAS_PROVINCE, wide, as BPS publishes it.

    Title rows above the header, ``Kode``/``Nama Wilayah`` headers, BPS codes and names,
    the categories by their Indonesian labels, a ``Jumlah`` column (1-7), the province
    total row and notes below. The cells give back the region's potentials exactly through
    data/reference/status_mapping.csv: 4 = PU + ASN, 1+2+3+5+6 = BPU, 7 excluded.
    Returns the category counts per Kemendagri code.
    """
    members = [r for r in regions if r.province == SAKERNAS_PROVINCE]
    table: dict[str, dict[str, int]] = {}
    for region in sorted(members, key=lambda r: r.bps_code):
        pu, bpu = (potentials[region.code][ROUND_NEW][s] for s in ("PU", "BPU"))
        shares = {c: w * rng.uniform(0.8, 1.2) for c, w in BPU_CATEGORY_SHARES.items()}
        if region.code == NO_FARM_LABOURERS:
            del shares["5"]
        counts = {c: 0 for c in BPU_CATEGORY_SHARES} | apportion(bpu, shares)
        asn = round(pu * rng.uniform(*ASN_SHARE))
        counts |= {"4": pu + asn, "7": round((pu + bpu) * rng.uniform(*UNPAID_SHARE)), "ASN": asn}
        table[region.code] = counts

    from openpyxl import Workbook

    order = ("1", "2", "3", "4", "5", "6", "7")
    book = Workbook()
    sheet = book.active
    sheet.title = "Tabel 3.5"
    period = "Agustus 2024"
    province = "GORONTALO"
    sheet.append(
        [
            "Tabel 3.5 Penduduk Berumur 15 Tahun Ke Atas yang Bekerja menurut Kabupaten/Kota "
            f"dan Status Pekerjaan Utama, Provinsi {province.title()}, {period}"
        ]
    )
    sheet.append(["(angka fiktif: sampel cakupan)"])
    sheet.append([])
    sheet.append(
        ["Periode", "Kode", "Nama Wilayah", *(CATEGORIES[c] for c in order), CATEGORIES["ASN"]]
        + ["Jumlah"]
    )

    def cells(counts: dict[str, int], code: str) -> list:
        values = [counts[c] for c in order]
        written = ["-" if c == "5" and code == NO_FARM_LABOURERS else counts[c] for c in order]
        return [*written, counts["ASN"], sum(values)]

    for region in sorted(members, key=lambda r: r.bps_code):
        row = [period, region.bps_code, region.bps_name]
        sheet.append(row + cells(table[region.code], region.code))
    total = {c: sum(t[c] for t in table.values()) for c in (*order, "ASN")}
    sheet.append([period, f"{SAKERNAS_PROVINCE}00", province, *cells(total, "")])
    sheet.append(["Sumber: BPS, Survei Angkatan Kerja Nasional (Sakernas) Agustus 2024"])
    sheet.append(["Catatan: ASN/TNI/Polri termasuk dalam Buruh/karyawan/pegawai"])
    write_xlsx(book, landing / "sakernas" / SAKERNAS_FILE)
    return table


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Membership:
    """One membership row of a person, before it is formatted for a file."""

    segment: str  # PU, BPU, JAKON, PMI
    region: str  # Kemendagri code
    status: str  # AKTIF or NONAKTIF
    programs: tuple[str, ...]
    registered_on: date | None

    @property
    def covered(self) -> bool:
        return self.status == "AKTIF" and {"JKK", "JKM"} <= set(self.programs)


@dataclass
class Person:
    nik: str
    kind: str
    rows: list[Membership] = field(default_factory=list)
    padded: bool = False  # NIK written with surrounding spaces

    @property
    def planted(self) -> bool:
        """Trap persons keep dotted codes in every extract (see format_region)."""
        return self.kind in PLANTED_KINDS


class NikFactory:
    """Unique, plausibly structured fake NIKs: PPKKDD + DDMMYY (+40 for women) + serial.

    PPKKDD is a real Kemendagri kecamatan of the region (districts.csv).
    """

    def __init__(self, rng: random.Random, districts: dict[str, list[str]]) -> None:
        self.rng = rng
        self.districts = districts
        self.used: set[str] = set()
        self.first_birth = date(1962, 1, 1)
        self.birth_days = (date(2007, 6, 30) - self.first_birth).days

    def new(self, region_code: str) -> str:
        rng = self.rng
        while True:
            district = rng.choice(self.districts[region_code]).replace(".", "")
            birth = self.first_birth + timedelta(days=rng.randrange(self.birth_days))
            day = birth.day + (40 if rng.random() < 0.42 else 0)
            serial = rng.randint(1, 9999)
            nik = f"{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
            if nik not in self.used:
                self.used.add(nik)
                return nik


COVERED_PROGRAMS = {
    "PU": [
        (("JKK", "JKM", "JHT", "JP", "JKP"), 6),
        (("JKK", "JKM", "JHT", "JP"), 3),
        (("JKK", "JKM", "JHT"), 2),
        (("JKK", "JKM"), 1),
    ],
    "BPU": [(("JKK", "JKM"), 3), (("JKK", "JKM", "JHT"), 2)],
    "JAKON": [(("JKK", "JKM"), 1)],
    "PMI": [(("JKK", "JKM"), 2), (("JKK", "JKM", "JHT"), 1)],
}
# AKTIF but not covered: JKM is missing.
UNCOVERED_PROGRAMS = [(("JKK", "JHT"), 4), (("JKK",), 2), (("JHT",), 2), ((), 1)]


def pick(rng: random.Random, weighted: list[tuple]) -> tuple:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


class PersonBuilder:
    """Builds one person of a given kind; 'here' is the region the person belongs to."""

    def __init__(self, rng: random.Random, niks: NikFactory) -> None:
        self.rng = rng
        self.niks = niks

    def row(self, segment, region, *, status="AKTIF", programs=None, registered_on="random"):
        rng = self.rng
        if programs is None:
            programs = pick(rng, COVERED_PROGRAMS[segment])
        if registered_on == "random":
            registered_on = random_date(rng, date(2010, 1, 1), SNAPSHOT_LATEST)
            if rng.random() < 0.02:
                registered_on = None  # blank registered_on
        return Membership(segment, region, status, programs, registered_on)

    def early(self) -> date:
        return random_date(self.rng, date(2011, 1, 1), date(2018, 12, 31))

    def late(self) -> date:
        return random_date(self.rng, date(2019, 1, 1), date(2024, 6, 30))

    def build(self, kind: str, here: str, partner: str) -> Person:
        rng, row = self.rng, self.row
        person = Person(self.niks.new(here if rng.random() < 0.9 else partner), kind)
        rows: list[Membership]
        if kind == "pu":
            rows = [row("PU", here)]
        elif kind == "bpu":
            rows = [row("BPU", here)]
        elif kind == "pu_bpu":  # covered in PU and BPU in the same region
            rows = [row("PU", here), row("BPU", here)]
        elif kind == "pu_bpu_split":  # PU elsewhere: BPU counts here, home is elsewhere
            rows = [row("PU", partner), row("BPU", here)]
        elif kind == "bpu_jakon":
            rows = [row("BPU", here), row("JAKON", here)]
        elif kind == "bpu_jakon_split":  # JAKON here, home is the BPU region
            rows = [row("BPU", partner), row("JAKON", here)]
        elif kind == "pu_jakon":
            rows = [row("PU", here), row("JAKON", here)]
        elif kind == "jakon":  # JAKON only: home is the JAKON region
            rows = [row("JAKON", here)]
        elif kind == "pmi":  # PMI only: never in covered_total
            rows = [row("PMI", here)]
        elif kind == "pu_pmi":
            rows = [row("PU", here), row("PMI", here)]
        elif kind == "nonaktif":
            segment = rng.choice(("PU", "PU", "BPU"))
            programs = pick(rng, COVERED_PROGRAMS[segment]) if rng.random() < 0.8 else ()
            rows = [row(segment, here, status="NONAKTIF", programs=programs)]
        elif kind == "no_jkm":
            segment = rng.choice(("PU", "BPU"))
            rows = [row(segment, here, programs=pick(rng, UNCOVERED_PROGRAMS))]
        elif kind == "moved_in":  # older PU row elsewhere, newer here: counts here
            rows = [
                row("PU", partner, registered_on=self.early()),
                row("PU", here, registered_on=self.late()),
            ]
        elif kind == "moved_out":  # older PU row here, newer elsewhere: counts elsewhere
            rows = [
                row("PU", here, registered_on=self.early()),
                row("PU", partner, registered_on=self.late()),
            ]
        elif kind == "blank_date":  # blank registered_on is the oldest: counts elsewhere
            rows = [
                row("PU", here, registered_on=None),
                row("PU", partner, registered_on=self.early()),
            ]
        elif kind == "stale_nonaktif":  # later NONAKTIF row elsewhere does not move the person
            rows = [
                row("PU", here, registered_on=self.early()),
                row(
                    "PU",
                    partner,
                    status="NONAKTIF",
                    programs=pick(rng, COVERED_PROGRAMS["PU"]),
                    registered_on=self.late(),
                ),
            ]
        elif kind == "stale_no_jkm":  # later row without JKM elsewhere does not move the person
            rows = [
                row("PU", here, registered_on=self.early()),
                row("PU", partner, programs=("JKK", "JHT"), registered_on=self.late()),
            ]
        elif kind == "tie":  # same registered_on in two regions: the smaller code wins
            same_day = self.late()
            rows = [
                row("PU", here, registered_on=same_day),
                row("PU", partner, registered_on=same_day),
            ]
        elif kind == "padded":  # NIK with surrounding spaces: still valid
            rows = [row("PU", here)]
            person.padded = True
        else:
            raise ValueError(kind)
        person.rows = rows
        return person


# Persons of a participant region other than the figure regions, as shares of its covered
# PU persons (n_pu), covered BPU persons (n_bpu), potential (P) or a fixed number.
PARTICIPANT_MIX = {
    "pu": ("n_pu", 0.95),
    "pu_bpu": ("n_pu", 0.01),
    "pu_jakon": ("n_pu", 0.01),
    "pu_pmi": ("n_pu", 0.01),
    "bpu": ("n_bpu", 0.94),
    "bpu_jakon": ("n_bpu", 0.02),
    "bpu_jakon_split": ("n_bpu", 0.01),
    "pu_bpu_split": ("n_bpu", 0.01),
    "jakon": ("jakon", 1.0),
    "pmi": ("pmi", 1.0),
    "nonaktif": ("n", 0.08),
    "no_jkm": ("n", 0.04),
    "moved_in": ("fixed", 5),
    "moved_out": ("fixed", 5),
    "blank_date": ("fixed", 5),
    "stale_nonaktif": ("fixed", 5),
    "stale_no_jkm": ("fixed", 5),
    "padded": ("fixed", 5),
}

# The partner region of each figure region: every person of a figure region with a row
# elsewhere has it there. Small kabupaten of the same province, since they must have
# participant rows too (see PARTNER_REGIONS) and these are most of the sample's rows:
# Kayong Utara is the smallest of Kalimantan Barat, Bangka Tengah the second smallest of
# Bangka Belitung. Both have six kecamatan, like 61.71 and 19.04 where the NIKs of some of
# those persons were drawn when the figures were fixed, so the figure regions' persons (and
# their 2024-12-31 figures, COVERED_EARLY) come out of the random stream as they did then.
KAYONG_UTARA = "61.11"  # potential 87,602
BANGKA_TENGAH = "19.04"  # potential 97,601
BELITUNG = "19.02"  # potential 87,761: only in the tie between two partner regions below

# Exact persons for the two figure regions; "pu" (and "bpu" for Pangkalpinang)
# are solved so that the published figures come out exactly.
# Each entry: kind -> (count, partner region).
SINGKAWANG_KINDS = {
    "bpu": (5_200, None),
    "pu_bpu": (40, None),
    "pu_bpu_split": (20, KAYONG_UTARA),
    "bpu_jakon": (30, None),
    "pu_jakon": (15, None),
    "jakon": (350, None),
    "pmi": (200, None),
    "pu_pmi": (25, None),
    "nonaktif": (400, None),
    "no_jkm": (150, None),
    "moved_in": (3, KAYONG_UTARA),
    "moved_out": (3, KAYONG_UTARA),
    "blank_date": (2, KAYONG_UTARA),
    "stale_nonaktif": (5, KAYONG_UTARA),
    "stale_no_jkm": (3, KAYONG_UTARA),
    "tie": (2, KAYONG_UTARA),  # 61.11 < 61.72: Kayong Utara wins
    "padded": (10, None),
}
PANGKALPINANG_KINDS = {
    "pu_bpu": (4, None),  # the only persons counted in both covered_pu and covered_bpu
    "bpu_jakon": (25, None),
    "pu_jakon": (10, None),
    "pmi": (150, None),
    "pu_pmi": (20, None),
    "nonaktif": (300, None),
    "no_jkm": (120, None),
    "moved_in": (2, BANGKA_TENGAH),
    "moved_out": (2, BANGKA_TENGAH),
    "blank_date": (2, BANGKA_TENGAH),
    "stale_nonaktif": (4, BANGKA_TENGAH),
    "stale_no_jkm": (3, BANGKA_TENGAH),
    "padded": (8, None),
}
FIGURE_REGIONS = (SINGKAWANG, PANGKALPINANG)
# Traps planted between the partner regions: (kind, here, partner, count).
PLANTED_ELSEWHERE = [
    ("tie", BANGKA_TENGAH, BELITUNG, 3),  # same date: 19.02 (smaller code) wins
    ("moved_out", BANGKA_TENGAH, KAYONG_UTARA, 2),  # rows in two Parquet files: 61.11 wins
]
# The regions the figure regions' persons and the traps above have rows in: they have
# participant rows too (counts are only for regions without them), drawn like the counts
# (draw_coverage).
PARTNER_REGIONS = tuple(
    sorted(
        {p for kinds in (SINGKAWANG_KINDS, PANGKALPINANG_KINDS) for _, p in kinds.values() if p}
        | {code for _, here, partner, _ in PLANTED_ELSEWHERE for code in (here, partner)}
    )
)
PARTICIPANT_REGIONS = FIGURE_REGIONS + PARTNER_REGIONS
PLANTED_KINDS = {
    "moved_in",
    "moved_out",
    "blank_date",
    "stale_nonaktif",
    "stale_no_jkm",
    "tie",
}


@dataclass(frozen=True)
class Coverage:
    """Drawn 2025-06-30 coverage of a kab/kota: rates of its potentials, shares of P."""

    pu: float
    bpu: float
    jakon: float
    pmi: float


def draw_coverage(region: Region, kind: str, rng: random.Random) -> Coverage:
    """PU and BPU rates by kind (INDUSTRIAL areas higher), JAKON and PMI as shares."""
    factor = rng.uniform(*INDUSTRIAL_FACTOR) if region.code in INDUSTRIAL else 1.0
    pu = rng.uniform(*PU_COVERAGE[kind]) * factor
    bpu = rng.uniform(*BPU_COVERAGE[kind]) * factor
    jakon = rng.uniform(*JAKON_SHARE)
    pmi = rng.uniform(*PMI_SHARE) * (PMI_FACTOR if region.province in PMI_PROVINCES else 1)
    return Coverage(pu, bpu, jakon, pmi)


def make_people(
    regions: list[Region], potentials: dict[str, dict], kinds: dict[str, str], rng: random.Random
) -> list[Person]:
    builder = PersonBuilder(rng, NikFactory(rng, load_districts()))
    by_code = {r.code: r for r in regions}

    # The figure regions come first, so their persons (and the 2024-12-31 snapshot's
    # random status flips, drawn in this order) do not depend on the other regions.
    people = figure_region(builder, SINGKAWANG, SINGKAWANG_KINDS)
    people.extend(figure_region(builder, PANGKALPINANG, PANGKALPINANG_KINDS))
    for code in PARTNER_REGIONS:
        region = by_code[code]
        others = [c for c in PARTNER_REGIONS if c != code]
        partners = [c for c in others if c[:2] == code[:2]] or others  # same province first
        potential = potentials[code][ROUND_NEW]
        drawn = draw_coverage(region, kinds[code], rng)
        total = potential["PU"] + potential["BPU"]
        base = {"n_pu": potential["PU"] * drawn.pu, "n_bpu": potential["BPU"] * drawn.bpu}
        base |= {"n": base["n_pu"] + base["n_bpu"], "jakon": total * drawn.jakon}
        base |= {"pmi": total * drawn.pmi, "fixed": 1}
        for kind, (of, share) in PARTICIPANT_MIX.items():
            for _ in range(round(base[of] * share)):
                people.append(builder.build(kind, code, rng.choice(partners)))

    for kind, here, partner, count in PLANTED_ELSEWHERE:
        people.extend(builder.build(kind, here, partner) for _ in range(count))
    return people


def figure_region(builder: PersonBuilder, here: str, kinds: dict) -> list[Person]:
    """The planted persons of a figure region, topped up to the exact figures."""
    people = []
    for kind, (count, partner) in kinds.items():
        people.extend(builder.build(kind, here, partner or here) for _ in range(count))
    figures = tally(snapshot_rows(people, SNAPSHOT_LATEST, None))[here]
    if here == SINGKAWANG:
        missing = {"pu": SINGKAWANG_COVERED_TOTAL - figures["total"]}
    else:
        missing = {
            "pu": PANGKALPINANG_COVERED["PU"] - figures["PU"],
            "bpu": PANGKALPINANG_COVERED["BPU"] - figures["BPU"],
        }
    for kind, count in missing.items():
        people.extend(builder.build(kind, here, here) for _ in range(count))
    return people


# --------------------------------------------------------------------------- snapshots


def snapshot_rows(
    people: list[Person], snapshot: date, rng: random.Random | None
) -> list[tuple[Person, Membership]]:
    """The rows of a snapshot. The latest snapshot is the model itself; the early one
    (rng given) drops rows registered later and flips some statuses."""
    rows = []
    for person in people:
        for member in person.rows:
            if member.registered_on and member.registered_on > snapshot:
                continue
            if rng is not None and not person.planted:
                if member.status == "NONAKTIF" and rng.random() < 0.4:
                    member = replace(member, status="AKTIF")  # left the scheme since
                elif member.status == "AKTIF" and rng.random() < 0.03:
                    member = replace(member, status="NONAKTIF")  # reactivated since
            rows.append((person, member))
    return rows


def tally(rows: list[tuple[Person, Membership]]) -> dict[str, Counter]:
    """Covered persons per region, by the pipeline's counting rules 3-6."""
    candidates: dict[tuple[str, str], list[Membership]] = defaultdict(list)
    for person, member in rows:
        if member.covered:
            candidates[(person.nik, member.segment)].append(member)
    segments: dict[str, dict[str, str]] = defaultdict(dict)
    for (nik, segment), members in candidates.items():
        segments[nik][segment] = min(members, key=precedence).region
    figures: dict[str, Counter] = defaultdict(Counter)
    for by_segment in segments.values():
        for segment, region in by_segment.items():
            figures[region][segment] += 1
        for segment in ("PU", "BPU", "JAKON"):
            if segment in by_segment:
                figures[by_segment[segment]]["total"] += 1
                break
    return figures


def precedence(member: Membership) -> tuple[int, str]:
    """Sort key: latest registered_on first (blank is oldest), then the smallest code."""
    registered = member.registered_on or date.min
    return (-registered.toordinal(), member.region)


# --------------------------------------------------------------------------- formatting

BAD_NIKS = ("15 digits", "letters", "blank", "17 digits")


def bad_nik(kind: str, rng: random.Random, region_code: str) -> str:
    digits = region_code.replace(".", "")[:4] + "".join(str(rng.randint(0, 9)) for _ in range(13))
    if kind == "15 digits":
        return digits[:15]
    if kind == "17 digits":
        return digits[:17]
    if kind == "letters":
        return digits[:8] + "XX" + digits[10:16]
    return ""


def format_nik(person: Person, rng: random.Random) -> str:
    if person.padded:
        return rng.choice((" {}", "{} ", "  {}  ")).format(person.nik)
    return person.nik


def messy_programs(programs: tuple[str, ...], rng: random.Random) -> str:
    tokens = list(programs)
    rng.shuffle(tokens)
    tokens = [rng.choice((t, t, t, t.lower(), t.capitalize())) for t in tokens]
    text = ""
    for i, token in enumerate(tokens):
        if i:
            text += rng.choice((",", ",", ", ", " , ", " ,"))
        text += token
    if tokens and rng.random() < 0.15:
        text = " " + text + rng.choice(("", " "))
    return text


def messy_status(status: str, rng: random.Random) -> str:
    return rng.choice((status, status, status, status.lower(), status.capitalize()))


def format_rows(
    rows: list[tuple[Person, Membership]],
    snapshot: date,
    regions: dict[str, Region],
    rng: random.Random,
    messy: bool,
) -> list[list]:
    """Turn model rows into file rows: [snapshot_date, nik, segment, region_code,
    status, programs, registered_on]."""
    out = []
    for person, member in rows:
        region = regions[member.region]
        code = member.region
        if messy and not region.is_papua and not person.planted:
            # Non-Papua BPS codes are the same in both numberings; Papua stays dotted.
            if region.province in BPS_CODED_PROVINCES_2024_12 or rng.random() < 0.1:
                code = region.bps_code
        if rng.random() < (0.3 if messy else 0.03):
            status = messy_status(member.status, rng)
            programs = messy_programs(member.programs, rng)
        else:
            status, programs = member.status, ",".join(member.programs)
        out.append(
            [
                snapshot.isoformat(),
                format_nik(person, rng),
                member.segment,
                code,
                status,
                programs,
                member.registered_on.isoformat() if member.registered_on else "",
            ]
        )
    return out


def finish_file(rows: list[list], rng: random.Random, null_nik: bool = False) -> list[list]:
    """Add exact duplicates (~1%) and invalid NIKs (~0.2%), then shuffle.

    The invalid rows look covered (AKTIF, JKK and JKM); the first of them go to
    the figure regions present in the file, so counting them would show.
    """
    rows = list(rows)
    rows.extend([list(row) for row in rng.sample(rows, k=max(1, len(rows) // 100))])
    codes = sorted({row[3] for row in rows})
    figure_codes = [code for code in codes if code in FIGURE_REGIONS or code in ("6172", "1971")]
    snapshot = rows[0][0]
    count = max(len(BAD_NIKS), round(len(rows) * 0.002))
    for i in range(count):
        code = figure_codes[i] if i < len(figure_codes) else rng.choice(codes)
        kind = BAD_NIKS[i % len(BAD_NIKS)]
        nik = bad_nik(kind, rng, code)
        if kind == "blank" and null_nik and i >= len(BAD_NIKS):
            nik, null_nik = None, False  # one Parquet null per file
        registered = random_date(rng, date(2012, 1, 1), date(2024, 6, 30)).isoformat()
        rows.append([snapshot, nik, "PU", code, "AKTIF", "JKK,JKM,JHT", registered])
    rng.shuffle(rows)
    return rows


MEMBERSHIP_HEADER = list(EXTRACTS["membership"].columns)


def write_membership(
    people: list[Person], regions: list[Region], rng: random.Random, landing: Path
) -> list[tuple[Person, Membership]]:
    """The membership files (participant rows: only PARTICIPANT_REGIONS have any).

    Returns the rows of the 2024-12-31 snapshot (before duplicates and invalid NIKs)."""
    by_code = {r.code: r for r in regions}
    folder = landing / "membership"

    early_rows = snapshot_rows(people, SNAPSHOT_EARLY, rng)
    early = format_rows(early_rows, SNAPSHOT_EARLY, by_code, rng, messy=True)
    early = finish_file(early, rng)
    data = csv_text(MEMBERSHIP_HEADER, early).encode("utf-8")
    (folder / f"members_{SNAPSHOT_EARLY}.csv.gz").write_bytes(
        gzip.compress(data, compresslevel=9, mtime=0)
    )

    latest = format_rows(
        snapshot_rows(people, SNAPSHOT_LATEST, None), SNAPSHOT_LATEST, by_code, rng, messy=False
    )
    parts = {"sumatera": [], "timur": []}
    for row in latest:
        parts["sumatera" if row[3][:2] < "30" else "timur"].append(row)
    for name, rows in parts.items():
        rows = finish_file(rows, rng, null_nik=True)
        columns = list(zip(*rows, strict=True))
        table = pa.table(
            {
                column: pa.array(values, type=pa.string())
                for column, values in zip(MEMBERSHIP_HEADER, columns, strict=True)
            }
        )
        write_parquet(table, folder / f"members_{SNAPSHOT_LATEST}_{name}.parquet")
    return early_rows


SEGMENTS = ("PU", "BPU", "JAKON", "PMI")


def make_counts(
    regions: list[Region], potentials: dict[str, dict], kinds: dict[str, str], rng: random.Random
) -> dict[date, dict[str, dict[str, int]]]:
    """Covered persons per snapshot, counts region and segment, drawn (draw_coverage).

    Every region is drawn, the participant regions too (their draws are dropped), so the
    counts of a region do not depend on which regions are participant regions.
    """
    counts: dict[date, dict[str, dict[str, int]]] = {SNAPSHOT_EARLY: {}, SNAPSHOT_LATEST: {}}
    for region in regions:
        potential = potentials[region.code][ROUND_NEW]
        total = potential["PU"] + potential["BPU"]
        drawn = draw_coverage(region, kinds[region.code], rng)
        latest = {
            "PU": round(potential["PU"] * drawn.pu),
            "BPU": round(potential["BPU"] * drawn.bpu),
            "JAKON": round(total * drawn.jakon),
            "PMI": round(total * drawn.pmi),
        }
        early = {
            segment: round(value * rng.uniform(*EARLY_FACTOR)) for segment, value in latest.items()
        }
        if region.code not in PARTICIPANT_REGIONS:
            counts[SNAPSHOT_LATEST][region.code] = latest
            counts[SNAPSHOT_EARLY][region.code] = early
    return counts


def write_counts(
    counts: dict[date, dict[str, dict[str, int]]], regions: list[Region], landing: Path
) -> None:
    """2024-12-31 as Excel, under BPS codes (Papua: Kemendagri codes, header ``kode_wilayah``);
    2025-06-30 as CSV, dotted codes except BPS_CODED_COUNTS_PROVINCE (Seruyan is 6208)."""
    from openpyxl import Workbook

    by_code = {r.code: r for r in regions}
    folder = landing / "membership_counts"
    book = Workbook()
    sheet = book.active
    sheet.title = "counts"
    sheet.append(["snapshot_date", "kode_wilayah", "segment", "covered"])
    for code, values in counts[SNAPSHOT_EARLY].items():
        region = by_code[code]
        written = code if region.is_papua else region.bps_code
        for segment in SEGMENTS:
            sheet.append([SNAPSHOT_EARLY.isoformat(), written, segment, values[segment]])
    write_xlsx(book, folder / f"counts_{SNAPSHOT_EARLY}.xlsx")

    rows = []
    for code, values in counts[SNAPSHOT_LATEST].items():
        region = by_code[code]
        written = region.bps_code if region.province == BPS_CODED_COUNTS_PROVINCE else code
        rows.extend([SNAPSHOT_LATEST.isoformat(), written, s, values[s]] for s in SEGMENTS)
    header = list(EXTRACTS["membership_counts"].columns)
    write_text(folder / f"counts_{SNAPSHOT_LATEST}.csv", csv_text(header, rows))


# --------------------------------------------------------------------------- targets


def write_targets(regions: list[Region], rng: random.Random, landing: Path) -> None:
    rows = []
    targets = {}
    for region in regions:
        base = rng.uniform(18, 55)
        targets[region.code] = (base, base + rng.uniform(1, 6))
    targets[SINGKAWANG] = (20.0, 25.0)
    targets[PANGKALPINANG] = (38.5, 42.0)
    for index, year in enumerate((2024, 2025)):
        for region in regions:
            value = f"{targets[region.code][index]:.2f}".replace(".", ",")
            rows.append([year, region.code, value])
    write_text(
        landing / "targets" / "targets_2025.csv",
        csv_text(list(EXTRACTS["targets"].columns), rows, delimiter=";"),
    )


# --------------------------------------------------------------------------- io


def write_manifest(landing: Path) -> None:
    """The file that says this landing folder is a sample (cakupan.sample)."""
    text = (
        "{\n"
        '  "name": "embedded sample (synthetic)",\n'
        '  "description": "Fake extracts made by scripts/make_sample.py: invented members, '
        "counts and targets, potentials sized from approximate BPS totals. Not real figures; "
        'see data/sample/README.md."\n'
        "}\n"
    )
    write_text(landing / MANIFEST, text)


def csv_text(header: list[str], rows: list[list], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def write_xlsx(book, path: Path) -> None:
    """Save an openpyxl workbook byte-deterministically: fixed document times, and the zip
    rewritten with fixed entry times (openpyxl stamps both with the clock)."""
    from openpyxl.writer.excel import ExcelWriter

    book.properties.created = book.properties.modified = datetime(*XLSX_TIME)
    buffer = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=XLSX_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename), compresslevel=9)
    path.write_bytes(out.getvalue())


# --------------------------------------------------------------------------- main


def main(landing: Path = LANDING) -> None:
    """Write the sample into ``landing`` (deleted and recreated)."""
    regions = load_regions()
    if landing.exists():
        shutil.rmtree(landing)
    for folder in ("workforce", "membership", "targets", "sakernas", "membership_counts"):
        (landing / folder).mkdir(parents=True)

    # Independent streams, so changing one part does not reshuffle the others.
    kecamatan = {code: len(codes) for code, codes in load_districts().items()}
    potentials = make_potentials(regions, kecamatan, random.Random(f"{SEED}-workforce"))
    write_workforce(regions, potentials, load_province_names(), load_bps_province_names(), landing)
    sakernas = write_sakernas(regions, potentials, random.Random(f"{SEED}-sakernas"), landing)
    kinds = {}
    for _, group in groupby(regions, key=lambda r: r.province):
        kinds |= region_kinds(list(group), kecamatan)
    people = make_people(regions, potentials, kinds, random.Random(f"{SEED}-people"))
    latest = snapshot_rows(people, SNAPSHOT_LATEST, None)
    early = write_membership(people, regions, random.Random(f"{SEED}-membership"), landing)
    write_targets(regions, random.Random(f"{SEED}-targets"), landing)
    write_manifest(landing)
    counts = make_counts(regions, potentials, kinds, random.Random(f"{SEED}-counts"))
    write_counts(counts, regions, landing)

    # The published figures, by construction (the rows written are these plus
    # duplicates and invalid NIKs, which must not change them).
    figures = tally(latest)
    assert set(figures) == set(PARTICIPANT_REGIONS)  # participant rows nowhere else
    assert not set(figures) & set(counts[SNAPSHOT_LATEST])
    assert len(figures) + len(counts[SNAPSHOT_LATEST]) == 514
    national = {}
    for snapshot in (SNAPSHOT_EARLY, SNAPSHOT_LATEST):
        covered = sum(f["total"] for f in tally(snapshot_rows(people, snapshot, None)).values())
        covered += sum(c["PU"] + c["BPU"] + c["JAKON"] for c in counts[snapshot].values())
        potential = sum(sum(p[ROUND_NEW].values()) for p in potentials.values())
        national[snapshot] = 100 * covered / potential
    assert 34 < national[SNAPSHOT_EARLY] < national[SNAPSHOT_LATEST] < 38, national
    # The status table gives back the province's potentials through the status mapping.
    for code, cells in sakernas.items():
        pu = cells["4"] - cells["ASN"]
        bpu = sum(cells[c] for c in ("1", "2", "3", "5", "6"))
        assert {"PU": pu, "BPU": bpu} == potentials[code][ROUND_NEW], code
    assert figures[SINGKAWANG]["total"] == SINGKAWANG_COVERED_TOTAL
    assert sum(SINGKAWANG_POTENTIAL.values()) == 73_236
    for key in ("PU", "BPU", "total"):
        assert figures[PANGKALPINANG][key] == PANGKALPINANG_COVERED[key], key
    figures_early = tally(early)
    for code, expected in COVERED_EARLY.items():
        assert figures_early[code] == expected, (code, figures_early[code])

    for path in sorted(landing.rglob("*")):
        if path.is_file():
            print(f"{path.stat().st_size:>10,}  {path.relative_to(landing.parent)}")
    for code in FIGURE_REGIONS:
        print(code, dict(sorted(figures[code].items())))
    print("national coverage", {str(k): round(v, 2) for k, v in national.items()})


if __name__ == "__main__":
    main()
