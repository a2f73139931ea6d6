"""Counting rules 1-10 (docs/counting_rules.md), each on its own hand-made kab/kota.

One landing folder holds every case, in separate regions, and the real Dagster job runs
once over it; each test then checks the exact published row of its region.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Landing, both_segments, nik, run_job

SNAP = "2025-06-30"
LATER_SNAP = "2025-12-31"
COVERED = "JKK,JKM"


def member(
    n,
    segment,
    region,
    status="AKTIF",
    programs=COVERED,
    registered="2020-01-01",
    snapshot=SNAP,
    district="617201",
):
    return [snapshot, nik(n, district), segment, region, status, programs, registered]


def build(landing: Landing) -> None:
    wf = []
    for code in (
        "11.01",
        "61.01",
        "61.02",
        "61.03",
        "61.04",
        "61.05",
        "61.06",
        "61.07",
        "61.08",
        "61.09",
        "61.10",
        "61.11",
        "61.12",
    ):
        wf += both_segments("2024-08", code, 1000, 1000)
    wf += both_segments("2023-08", "62.01", 100, 100)
    wf += both_segments("2024-08", "62.01", 200, "-")  # BPU missing: 2023-08 is used
    wf += both_segments("2024-08", "62.02", 300, 300)
    wf += both_segments("2025-08", "62.02", 500, 500)  # after the June snapshot
    wf += both_segments("2025-08", "62.03", 500, 500)  # the only round: too late
    wf += both_segments("2025-06", "62.04", 70, 30)  # same month as the snapshot
    wf += both_segments("2024-08", "62.05", 3, 6)
    wf += both_segments("2024-08", "62.06", 800, 0)
    wf += both_segments("2024-08", "62.07", 1, 1)
    wf += both_segments("2024-08", "62.08", 60, 40)
    wf += both_segments("2024-08", "62.09", "5.000", "5 000")
    wf += both_segments("2024-08", "62.10", 50, 50)
    wf += both_segments("2024-08", "63.01", 5, 5)
    wf += both_segments("2024-08", "63.02", 10, 10)
    wf += both_segments("2024-08", "63.03", 5, 5)
    wf += both_segments("2024-08", "63.04", 0, 0)
    wf += [
        ["2024-08", "6300", "KALIMANTAN SELATAN", "PU", "1.000.000"],  # province total
        ["2024-08", "63", "KALIMANTAN SELATAN", "BPU", "900.000"],
        ["2024-08", "", "INDONESIA", "PU", "90.000.000"],
    ]  # national total
    landing.workforce(wf, name="workforce_a.csv")
    # a later file replaces 63.03 PU (5 -> 10)
    landing.workforce([["2024-08", "63.03", "", "PU", 10]], name="workforce_b.csv", sep=";")

    rows = [member(9000 + i, "PU", "11.01") for i in range(200)]  # filler: keeps invalid < 1%
    # rule 1: invalid NIKs are not counted; a NIK with spaces around it is valid
    rows += [
        member(1, "PU", "61.01"),
        ["2025-06-30", f"  {nik(2)} ", "PU", "61.01", "AKTIF", COVERED, ""],
        [SNAP, "617201010190001", "PU", "61.01", "AKTIF", COVERED, ""],
        [SNAP, "61720101019000X1", "PU", "61.01", "AKTIF", COVERED, ""],
    ]
    # rule 2: exact duplicate rows count once
    rows += [member(3, "PU", "61.02")] * 3 + [member(4, "PU", "61.02")] * 2
    # rule 3: covered = AKTIF with JKK and JKM (any case and spacing)
    rows += [
        member(10, "PU", "61.03", status="NONAKTIF"),
        member(11, "PU", "61.03", programs="JKK,JHT"),
        member(12, "PU", "61.03", status="aktif", programs=" jkk , JKM ,jht"),
        member(13, "PU", "61.03", programs=""),
        member(14, "PU", "61.03", status="NONAKTIF"),
        member(14, "PU", "61.03", registered="2021-01-01"),
        member(15, "PU", "61.03", programs="JKK,JKM,XYZ"),
    ]
    # rule 4: region = covered row with the latest registered_on; blank oldest; tie -> smallest
    rows += [
        member(20, "PU", "61.04", registered="2020-01-01"),
        member(20, "PU", "61.05", registered="2023-05-01"),
        member(21, "PU", "61.04", registered=""),
        member(21, "PU", "61.06", registered="2019-01-01"),
        member(22, "PU", "61.06", registered="2021-01-01"),
        member(22, "PU", "61.04", registered="2021-01-01"),
        member(23, "PU", "61.05", status="NONAKTIF", registered="2024-01-01"),
        member(23, "PU", "61.04", registered="2010-01-01"),
    ]
    # rule 5: home region PU, else BPU, else JAKON; PMI never in covered_total
    rows += [
        member(30, "PU", "61.07"),
        member(30, "BPU", "61.08"),
        member(31, "BPU", "61.08"),
        member(31, "JAKON", "61.09"),
        member(32, "JAKON", "61.09"),
        member(33, "PMI", "61.10"),
        member(34, "PMI", "61.10"),
        member(34, "PU", "61.11"),
        member(35, "PU", "61.07"),
        member(35, "BPU", "61.08", status="NONAKTIF"),
    ]
    # rule 7: a later snapshot picks a later round
    rows += [member(40, "PU", "62.02", snapshot=LATER_SNAP)]
    # rule 8
    rows += [
        member(50, "PU", "62.05"),
        member(51, "BPU", "62.05"),
        member(52, "BPU", "62.05"),
        member(53, "PU", "62.06"),
    ]
    rows += [member(54 + i, "PU", "62.07") for i in range(3)]
    # rule 9
    rows += [member(60 + i, "PU", "62.08") for i in range(3)]
    # rule 10: ratios 63.01 1/10, 63.02 2/20 (tie), 63.03 3/15 (highest)
    rows += [member(70, "PU", "63.01"), member(71, "PU", "63.02"), member(72, "PU", "63.02")]
    rows += [member(73 + i, "PU", "63.03") for i in range(3)]
    rows += [member(80, "PU", "63.04")]
    landing.membership(rows)

    landing.targets(
        [
            [2025, "62.08", "10,00"],
            [2025, "62.09", "33,33"],
            [2025, "62.07", "50"],
            [2024, "62.10", "20,00"],
        ],
        name="targets_a.csv",
        sep=";",
    )
    landing.targets([[2025, "62.08", "14.00"]], name="targets_b.csv")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    landing = Landing(root / "landing")
    build(landing)
    result = run_job(landing.root, root / "output")
    assert result.success, result.result.all_events
    return result


COUNTS = ("covered_pu", "covered_bpu", "covered_jakon", "covered_pmi", "covered_total")


def counts(row):
    return tuple(row[c] for c in COUNTS)


def test_rule1_invalid_niks_are_not_counted(run):
    assert counts(run.city("61.01", SNAP)) == (2, 0, 0, 0, 2)
    assert counts(run.city("11.01", SNAP)) == (200, 0, 0, 0, 200)


def test_rule2_exact_duplicates_count_once(run):
    assert counts(run.city("61.02", SNAP)) == (2, 0, 0, 0, 2)


def test_rule3_covered_needs_aktif_jkk_and_jkm(run):
    assert counts(run.city("61.03", SNAP)) == (3, 0, 0, 0, 3)


def test_rule4_region_of_latest_registration(run):
    assert run.city("61.04", SNAP)["covered_pu"] == 2  # persons 22 (tie) and 23 (only covered row)
    assert run.city("61.05", SNAP)["covered_pu"] == 1  # person 20 (latest registration)
    assert run.city("61.06", SNAP)["covered_pu"] == 1  # person 21 (blank is oldest)


def test_rule5_home_region_and_pmi(run):
    assert counts(run.city("61.07", SNAP)) == (2, 0, 0, 0, 2)
    assert counts(run.city("61.08", SNAP)) == (0, 2, 0, 0, 1)
    assert counts(run.city("61.09", SNAP)) == (0, 0, 2, 0, 1)
    assert counts(run.city("61.10", SNAP)) == (0, 0, 0, 2, 0)
    assert counts(run.city("61.11", SNAP)) == (1, 0, 0, 0, 1)


def test_rule6_regions_without_members_have_zero_and_national_counts_each_person_once(run):
    assert counts(run.city("61.12", SNAP)) == (0, 0, 0, 0, 0)
    national = run.published(
        "SELECT * FROM reporting.coverage_national WHERE snapshot_date = ?", [SNAP]
    )[0]
    city_total = run.published(
        "SELECT sum(covered_total) AS n FROM reporting.coverage_by_city WHERE snapshot_date = ?",
        [SNAP],
    )[0]["n"]
    # persons with a home: 200 + 2 + 2 + 3 + 4 (61.04-06) + 30,31,32,34,35 + 3 + 3 + 3 + 7
    assert national["covered_total"] == city_total == 200 + 2 + 2 + 3 + 4 + 5 + 4 + 3 + 3 + 7


def test_rule7_workforce_round(run):
    row = run.city("62.01", SNAP)
    assert (
        row["workforce_period"],
        row["potential_pu"],
        row["potential_bpu"],
        row["potential_total"],
    ) == ("2023-08", 100, 100, 200)
    assert run.city("62.02", SNAP)["workforce_period"] == "2024-08"
    assert run.city("62.02", LATER_SNAP)["workforce_period"] == "2025-08"
    assert run.city("62.04", SNAP)["workforce_period"] == "2025-06"
    no_round = run.city("62.03", SNAP)
    without_round = (
        "workforce_period", "potential_pu", "potential_bpu", "potential_total",
        "coverage_pct", "pu_coverage_pct", "bpu_coverage_pct", "uncovered",
        "workers_to_target", "rank_in_province", "rank_national",
    )  # fmt: skip
    assert {k: no_round[k] for k in without_round} == dict.fromkeys(without_round)
    assert no_round["covered_total"] == 0


def test_rule8_percentages(run):
    row = run.city("62.05", SNAP)
    assert (row["coverage_pct"], row["pu_coverage_pct"], row["bpu_coverage_pct"]) == (
        33.33,
        33.33,
        33.33,
    )
    row = run.city("62.06", SNAP)  # 1 of 800 = 0.125 -> 0.13 (half away from zero); BPU 0 -> NULL
    assert (row["coverage_pct"], row["pu_coverage_pct"], row["bpu_coverage_pct"]) == (
        0.13,
        0.13,
        None,
    )
    row = run.city("62.07", SNAP)  # above 100% is kept
    assert (row["coverage_pct"], row["pu_coverage_pct"], row["bpu_coverage_pct"]) == (
        150.0,
        300.0,
        0.0,
    )


def test_rule9_uncovered_target_and_workers_to_target(run):
    exact = run.city("62.08", SNAP)  # target from the later file: 14% of 100 is 14, not 15
    assert (
        exact["target_pct"],
        exact["potential_total"],
        exact["covered_total"],
        exact["uncovered"],
        exact["workers_to_target"],
    ) == (14.0, 100, 3, 97, 11)
    row = run.city("62.09", SNAP)  # ceil(33.33% of 10,000) = 3,333
    assert (row["potential_total"], row["target_pct"], row["workers_to_target"]) == (
        10000,
        33.33,
        3333,
    )
    over = run.city("62.07", SNAP)
    assert (over["uncovered"], over["target_pct"], over["workers_to_target"]) == (0, 50.0, 0)
    other_year = run.city("62.10", SNAP)
    assert (other_year["target_pct"], other_year["workers_to_target"]) == (None, None)


def test_rule10_ranks(run):
    rows = {
        r["region_code"]: r
        for r in run.published(
            "SELECT * FROM reporting.coverage_by_city WHERE snapshot_date = ? "
            "AND province_code = '63'",
            [SNAP],
        )
    }
    assert (
        rows["63.03"]["rank_in_province"],
        rows["63.01"]["rank_in_province"],
        rows["63.02"]["rank_in_province"],
    ) == (1, 2, 2)
    assert rows["63.04"]["rank_in_province"] is None  # potential 0
    assert rows["63.05"]["rank_in_province"] is None  # no round
    national = run.published(
        "SELECT region_code, covered_total, potential_total, rank_national "
        "FROM reporting.coverage_by_city WHERE snapshot_date = ?",
        [SNAP],
    )
    ranked = [r for r in national if r["potential_total"]]
    for r in ranked:
        better = sum(
            o["covered_total"] / o["potential_total"] > r["covered_total"] / r["potential_total"]
            for o in ranked
        )
        assert r["rank_national"] == better + 1, r
    assert all(r["rank_national"] is None for r in national if not r["potential_total"])


def test_every_region_every_snapshot(run):
    per_snapshot = run.published(
        "SELECT snapshot_date, count(*) AS n, count(DISTINCT region_code) AS d "
        "FROM reporting.coverage_by_city GROUP BY ALL ORDER BY ALL"
    )
    assert [(str(r["snapshot_date"]), r["n"], r["d"]) for r in per_snapshot] == [
        (SNAP, 514, 514),
        (LATER_SNAP, 514, 514),
    ]


def test_full_row(run):
    row = run.city("61.07", SNAP)
    assert row == {
        "snapshot_date": row["snapshot_date"],
        "region_code": "61.07",
        "region_name": "Kabupaten Bengkayang",
        "province_code": "61",
        "province_name": "Kalimantan Barat",
        "workforce_period": "2024-08",
        "potential_pu": 1000,
        "potential_bpu": 1000,
        "potential_total": 2000,
        "covered_pu": 2,
        "covered_bpu": 0,
        "covered_jakon": 0,
        "covered_pmi": 0,
        "covered_total": 2,
        "coverage_pct": 0.1,
        "pu_coverage_pct": 0.2,
        "bpu_coverage_pct": 0.0,
        "uncovered": 1998,
        "target_pct": None,
        "workers_to_target": None,
        "rank_in_province": row["rank_in_province"],
        "rank_national": row["rank_national"],
        "source": "participants",
    }
    assert str(row["snapshot_date"]) == SNAP


def test_the_row_that_counts_for_a_key_is_chosen_in_one_place():
    """Replacement and order: a later file, then a later line, wins; written once, as
    ``latest_rows`` (sql/staging/macros.sql), which every staging table of a key uses."""
    sql = Path(__file__).resolve().parent.parent / "sql"
    written = {
        str(f.relative_to(sql)) for f in sql.rglob("*.sql") if "file_seq DESC" in f.read_text()
    }
    # ...and once more by the raw.workforce check of consecutive rounds, which runs on the
    # raw table before staging exists, through GX's own connection (where the connection's
    # macro is not defined): the one repeat left, named in the issue #22 note
    assert written == {"staging/macros.sql", "checks/potential_change_within_30_pct.sql"}
    users = {f.stem for f in (sql / "staging").glob("*.sql") if "latest_rows(" in f.read_text()}
    assert users == {"macros", "workforce", "targets", "membership_counts", "sakernas_potentials"}
