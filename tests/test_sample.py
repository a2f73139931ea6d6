"""The embedded sample: published figures, table shapes and the data contract."""

from __future__ import annotations

import duckdb
import pytest

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
        assert [(s, t) for s, t, _ in tables] == [("quality", "validation_results")] + [
            ("reporting", t) for t in sorted(PUBLISHED)
        ]
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
