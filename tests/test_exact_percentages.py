"""Counting rule 8: percentages rounded half away from zero from the exact counts.

DuckDB's round() on a DOUBLE rounds the binary approximation: 57 of 20,000 is exactly
0.285%, stored as 0.28499999..., and round(.., 2) gives 0.28. Every published percentage
must be 0.29. Expected values below are computed by hand (the fractions are in the
comments) or with Python's ``fractions.Fraction``, never with the SQL under test.
"""

from __future__ import annotations

import math
import shutil
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cakupan.quality.catalogue import catalogues
from tests.conftest import Landing, both_segments, nik, run_job

REPO = Path(__file__).resolve().parents[1]
SNAP = "2025-06-30"
PCT_COLUMNS = ("coverage_pct", "pu_coverage_pct", "bpu_coverage_pct")


# ------------------------------------------------------------------ the reference rounding


def half_away_from_zero(x: Fraction) -> int:
    n = math.floor(abs(x) + Fraction(1, 2))
    return n if x >= 0 else -n


def exact_pct(covered: int | None, potential: int | None) -> float | None:
    """100 x covered / potential rounded half away from zero to 2 decimals, exactly."""
    if covered is None or not potential:
        return None
    return float(Fraction(half_away_from_zero(Fraction(10000 * covered, potential)), 100))


def test_reference_rounding_is_the_one_of_rule_8():
    assert exact_pct(57, 20000) == 0.29  # 0.285 exactly
    assert exact_pct(201, 20000) == 1.01  # 1.005
    assert exact_pct(141, 20000) == 0.71  # 0.705
    assert exact_pct(-57, 20000) == -0.29
    assert exact_pct(56, 20000) == 0.28
    assert exact_pct(5, 0) is None


# --------------------------------------------------------------------- the SQL macro


@pytest.fixture(scope="module")
def macros():
    con = duckdb.connect()
    con.execute((REPO / "sql/coverage/macros.sql").read_text(encoding="utf-8"))
    yield con
    con.close()


def sql_pcts(con, pairs: list[tuple[int | None, int | None]]) -> list[float | None]:
    rows = con.execute(
        "SELECT coverage_pct(c, p) FROM (SELECT unnest(?::BIGINT[]) AS c, "
        "unnest(?::BIGINT[]) AS p, generate_subscripts(?::BIGINT[], 1) AS i) ORDER BY i",
        [[c for c, _ in pairs], [p for _, p in pairs], [p for _, p in pairs]],
    ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("covered", "potential", "expected"),
    [
        (57, 20000, 0.29),  # 0.285: DOUBLE round gives 0.28
        (201, 20000, 1.01),  # 1.005: DOUBLE round gives 1.0
        (141, 20000, 0.71),  # 0.705: DOUBLE round gives 0.7
        (1, 8, 12.5),
        (1, 3, 33.33),
        (2, 3, 66.67),
        (1, 1, 100.0),
        (3, 1, 300.0),  # not capped
        (0, 7, 0.0),
        (1, 200_000, 0.0),  # 0.0005 -> 0.00
        (1, 20_000, 0.01),  # 0.005 -> 0.01
        (57_000_000, 20_000_000_000, 0.29),
        (-57, 20000, -0.29),  # away from zero on the other side too
        (57, -20000, -0.29),
        (5, 0, None),
        (5, None, None),
        (None, 5, None),
    ],
)
def test_macro_on_hand_computed_values(macros, covered, potential, expected):
    assert sql_pcts(macros, [(covered, potential)]) == [expected]


POTENTIAL = st.integers(1, 10**8)
RANDOM_PAIR = POTENTIAL.flatmap(lambda p: st.tuples(st.integers(0, 3 * p), st.just(p)))
# Exact ties: with d an odd divisor of 20000, p = (20000 / d) m and c = (2k + 1) m give
# 10000 c / p = (2k + 1) d / 2, a half; p reaches 10^8.
TIE = st.tuples(st.sampled_from([1, 5, 25, 125, 625]), st.integers(1, 5000)).flatmap(
    lambda dm: st.integers(0, 30000 // dm[0] - 1).map(
        lambda k: ((2 * k + 1) * dm[1], 20000 // dm[0] * dm[1])
    )
)
NEAR_TIE = TIE.flatmap(lambda cp: st.sampled_from([(cp[0], cp[1] + 1), (cp[0], cp[1] - 1)]))
EDGE = POTENTIAL.flatmap(lambda p: st.sampled_from([(0, p), (p, p), (p + 1, p), (p - 1, p)]))
PAIRS = st.lists(st.one_of(RANDOM_PAIR, TIE, NEAR_TIE, EDGE), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=PAIRS)
def test_macro_matches_exact_fractions(macros, pairs):
    assert sql_pcts(macros, pairs) == [exact_pct(c, p) for c, p in pairs]


def test_ties_are_generated():
    """The tie strategy really yields halves (else the property test would prove little)."""
    for d, m, k in [(1, 1, 28), (5, 7, 3), (625, 5000, 47)]:
        c, p = (2 * k + 1) * m, 20000 // d * m
        assert Fraction(10000 * c, p).denominator == 2


# -------------------------------------------------- the independent check in the suites


def suite_query(suite: str, name: str) -> str:
    (query,) = [
        e["kwargs"]["unexpected_rows_query"]
        for e in catalogues()[suite].suite()["expectations"]
        if e["meta"]["name"] == name
    ]
    return query


def flagged_by_city_check(rows: list[dict]) -> list[str]:
    """Region codes the city suite's percentages_match_counts query returns for ``rows``."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (region_code VARCHAR, region_name VARCHAR, potential_pu BIGINT, "
        "potential_bpu BIGINT, potential_total BIGINT, covered_pu BIGINT, covered_bpu BIGINT, "
        "covered_jakon BIGINT, covered_pmi BIGINT, covered_total BIGINT, coverage_pct DOUBLE, "
        "pu_coverage_pct DOUBLE, bpu_coverage_pct DOUBLE, uncovered BIGINT)"
    )
    for i, r in enumerate(rows):
        pt = r["potential_pu"] + r["potential_bpu"]
        con.execute(
            "INSERT INTO t VALUES (?, 'x', ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?)",
            [
                f"{i:05d}",
                r["potential_pu"],
                r["potential_bpu"],
                pt,
                r["covered_pu"],
                r["covered_bpu"],
                r["covered_total"],
                r["coverage_pct"],
                r["pu_coverage_pct"],
                r["bpu_coverage_pct"],
                max(pt - r["covered_total"], 0),
            ],
        )
    query = suite_query("coverage.coverage_by_city", "percentages_match_counts")
    return [r[0] for r in con.execute(query.format(batch="t")).fetchall()]


_OLD = duckdb.connect()


def double_round(covered: int, potential: int) -> float:
    """The old formula: round() of the DOUBLE 100 x covered / potential, in DuckDB."""
    return _OLD.execute(
        "SELECT round(100 * ?::BIGINT / nullif(?::BIGINT, 0), 2)", [covered, potential]
    ).fetchall()[0][0]


CITY_ROW = st.tuples(
    st.one_of(RANDOM_PAIR, TIE, NEAR_TIE), st.one_of(RANDOM_PAIR, TIE, NEAR_TIE)
).map(
    lambda pb: {
        "covered_pu": pb[0][0],
        "potential_pu": pb[0][1],
        "covered_bpu": pb[1][0],
        "potential_bpu": pb[1][1],
        "covered_total": pb[0][0] + pb[1][0],
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(CITY_ROW, min_size=1, max_size=20), shift=st.sampled_from([-1, 1]))
def test_city_check_flags_exactly_the_wrong_percentages(rows, shift):
    def pcts(row, rounding):
        return {
            "coverage_pct": rounding(
                row["covered_total"], row["potential_pu"] + row["potential_bpu"]
            ),
            "pu_coverage_pct": rounding(row["covered_pu"], row["potential_pu"]),
            "bpu_coverage_pct": rounding(row["covered_bpu"], row["potential_bpu"]),
        }

    exact = [{**r, **pcts(r, exact_pct)} for r in rows]
    assert flagged_by_city_check(exact) == []

    old = [{**r, **pcts(r, double_round)} for r in rows]
    wrong = [f"{i:05d}" for i, (o, e) in enumerate(zip(old, exact, strict=True)) if o != e]
    assert flagged_by_city_check(old) == wrong

    off = [{**e, "pu_coverage_pct": round(e["pu_coverage_pct"] + shift / 100, 2)} for e in exact]
    assert flagged_by_city_check(off) == [f"{i:05d}" for i in range(len(rows))]


def test_city_check_on_hand_made_rows():
    row = {"covered_pu": 57, "potential_pu": 20000, "covered_bpu": 0, "potential_bpu": 0}
    good = {**row, "covered_total": 57, "pu_coverage_pct": 0.29, "bpu_coverage_pct": None}
    assert flagged_by_city_check([{**good, "coverage_pct": 0.29}]) == []
    for bad in (0.28, 0.3, 0.285, 0.29000001, None):
        assert flagged_by_city_check([{**good, "coverage_pct": bad}]) == ["00000"]
    # a percentage without a potential, and a missing one with a potential
    assert flagged_by_city_check([{**good, "coverage_pct": 0.29, "bpu_coverage_pct": 0.0}])
    assert flagged_by_city_check([{**good, "coverage_pct": 0.29, "pu_coverage_pct": None}])


# ------------------------------------------------- every published table, on real runs

# Three kab/kota, 20,000 PU and 20,000 BPU potential each; covered persons chosen so that
# every percentage of every table is an exact tie that DOUBLE rounding gets wrong
# (coverage_pct, pu_coverage_pct, bpu_coverage_pct):
#   61.01      198/40000 = 0.495 -> 0.50   9/20000 = 0.045 -> 0.05  189/20000 = 0.945 -> 0.95
#   61.02       86/40000 = 0.215 -> 0.22  49/20000 = 0.245 -> 0.25   37/20000 = 0.185 -> 0.19
#   62.01      142/40000 = 0.355 -> 0.36  29/20000 = 0.145 -> 0.15  113/20000 = 0.565 -> 0.57
#   prov 61    284/80000 = 0.355 -> 0.36  58/40000 = 0.145 -> 0.15  226/40000 = 0.565 -> 0.57
#   prov 62    = 62.01
#   Indonesia 426/120000 = 0.355 -> 0.36  87/60000 = 0.145 -> 0.15  339/60000 = 0.565 -> 0.57
COVERED = {"61.01": (9, 189), "61.02": (49, 37), "62.01": (29, 113)}
CITY = {
    "61.01": (0.50, 0.05, 0.95),
    "61.02": (0.22, 0.25, 0.19),
    "62.01": (0.36, 0.15, 0.57),
}
PROVINCE = {"61": (0.36, 0.15, 0.57), "62": (0.36, 0.15, 0.57)}
NATIONAL = (0.36, 0.15, 0.57)


@pytest.fixture(scope="module")
def tie_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("ties")
    landing = Landing(root / "landing")
    workforce, members, n = [], [], 0
    for code, (pu, bpu) in COVERED.items():
        workforce += both_segments("2024-08", code, 20000, 20000)
        for segment, count in (("PU", pu), ("BPU", bpu)):
            for _ in range(count):
                members.append([SNAP, nik(n), segment, code, "AKTIF", "JKK,JKM", "2020-01-01"])
                n += 1
    landing.workforce(workforce)
    landing.membership(members)
    landing.targets([[2025, "61.01", "50"]])
    run = run_job(landing.root, root / "output")
    assert run.success
    return run


def test_ties_are_ties_that_double_rounding_gets_wrong():
    """The data of the run really tests rule 8 (each figure fails with round() on DOUBLE)."""
    cases = [(c, 20000) for pair in COVERED.values() for c in pair]
    cases += [(sum(pair), 40000) for pair in COVERED.values()]
    cases += [(58, 40000), (226, 40000), (284, 80000), (87, 60000), (339, 60000), (426, 120000)]
    for covered, potential in cases:
        assert Fraction(10000 * covered, potential).denominator == 2
        assert double_round(covered, potential) != exact_pct(covered, potential)


def test_city_percentages_are_exact(tie_run):
    for code, expected in CITY.items():
        row = tie_run.city(code, SNAP)
        assert tuple(row[c] for c in PCT_COLUMNS) == expected, code


def test_province_percentages_are_exact(tie_run):
    rows = tie_run.published(
        "SELECT province_code, coverage_pct, pu_coverage_pct, bpu_coverage_pct "
        "FROM reporting.coverage_by_province WHERE province_code IN ('61', '62') "
        "ORDER BY province_code"
    )
    assert {r["province_code"]: tuple(r[c] for c in PCT_COLUMNS) for r in rows} == PROVINCE


def test_national_percentages_are_exact(tie_run):
    (row,) = tie_run.published(
        "SELECT potential_total, covered_total, coverage_pct, pu_coverage_pct, bpu_coverage_pct "
        "FROM reporting.coverage_national"
    )
    assert (row["potential_total"], row["covered_total"]) == (120000, 426)
    assert tuple(row[c] for c in PCT_COLUMNS) == NATIONAL


CHECKS = {
    "coverage.coverage_by_city": ("percentages_match_counts", 3),
    "coverage.coverage_by_province": ("sums_of_cities", 2),
    "coverage.coverage_national": ("sums_of_cities", 1),
}


def test_suites_fail_on_double_rounded_percentages(tie_run, tmp_path):
    """The GX suites, run for real, pass on the published figures and fail on the figures
    the old formula (round() of a DOUBLE) gives, in every coverage table."""
    from cakupan.quality import run_suite

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(tie_run.settings.warehouse_path, db)

    def outcomes() -> dict[str, tuple[bool, int | None]]:
        found = {}
        for table, (check, _) in CHECKS.items():
            with duckdb.connect(str(db), read_only=True) as con:  # closed before GX opens it
                suite = catalogues()[table].suite(con)
            for o in run_suite(db, suite, table, partition_column="snapshot_date"):
                if o.expectation == check:
                    assert o.error is None, o.error
                    found[table] = (o.success, o.unexpected_count)
        return found

    assert outcomes() == {table: (True, 0) for table in CHECKS}
    with duckdb.connect(str(db)) as con:
        for table in CHECKS:
            con.execute(
                f"UPDATE {table} SET "
                "coverage_pct = round(100 * covered_total / nullif(potential_total, 0), 2), "
                "pu_coverage_pct = round(100 * covered_pu / nullif(potential_pu, 0), 2), "
                "bpu_coverage_pct = round(100 * covered_bpu / nullif(potential_bpu, 0), 2)"
            )
    assert outcomes() == {table: (False, rows) for table, (_, rows) in CHECKS.items()}
