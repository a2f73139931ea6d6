"""One stage at a time: ``dg.materialize`` of a few assets (or only their checks) on a small
hand-made warehouse, as Dagster University tests assets, so a stage's test need not run
the whole job. Also the side tables' assets, reported when their writers end (failed or
not), and the checks of the published tables on a hand-made ``coverage.duckdb``."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets import raw, reporting, staging
from assets.checks import published_checks
from cakupan.config import REFERENCE_DIR, Settings
from cakupan.sqlfiles import run_sql
from pipelines.definitions import build_definitions, resources
from tests.conftest import Landing, settings_for

REJECTED_FILES = dg.AssetKey(["ops", "rejected_files"])
VALIDATION_RESULTS = dg.AssetKey(["quality", "validation_results"])


def warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    settings.ensure_private()
    return duckdb.connect(str(settings.warehouse_path))


def metadata(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict:
    event = instance.get_latest_materialization_event(key)
    assert event is not None, f"no materialization of {key.to_user_string()}"
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_reference_stage_materializes_on_its_own(reference_warehouse):
    with open(REFERENCE_DIR / "regencies.csv", newline="", encoding="utf-8") as handle:
        regencies = list(csv.DictReader(handle))
    assert len(regencies) == 514
    with duckdb.connect(str(reference_warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reference.regencies").fetchall() == [(514,)]
        # Every current kab/kota code maps to itself.
        rows = con.execute(
            "SELECT code, region_code, level FROM reference.region_codes "
            "WHERE code IN (SELECT code FROM reference.regencies)"
        ).fetchall()
    assert {code: (target, level) for code, target, level in rows} == {
        r["code"]: (r["code"], "kabkota") for r in regencies
    }


def test_staging_targets_later_file_then_later_line_wins(tmp_path):
    settings = settings_for(tmp_path)
    with warehouse(settings) as con:
        run_sql(con, "raw/targets.sql")
        con.executemany(
            "INSERT INTO raw.targets VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ["targets/a.csv", 1, 2, 2025, "6172", "61.72", 30.00],
                ["targets/a.csv", 1, 3, 2025, "6172", "61.72", 31.00],
                ["targets/a.csv", 1, 4, 2025, "3171", "31.71", 50.00],
                ["targets/a.csv", 1, 5, 2026, "6172", "61.72", 35.00],
                ["targets/a.csv", 1, 6, 2026, "6172", "61.72", 36.00],
                ["targets/b.csv", 2, 2, 2025, "61.72", "61.72", 40.00],
            ],
        )
    result = dg.materialize([staging.targets], resources=resources(settings))
    assert result.success
    (event,) = result.get_asset_materialization_events()
    assert event.materialization.metadata["dagster/row_count"].value == 3
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "SELECT year, region_code, CAST(target_pct AS VARCHAR), source_file, source_line "
            "FROM staging.targets ORDER BY ALL"
        ).fetchall()
    assert rows == [
        (2025, "31.71", "50.00", "targets/a.csv", 4),
        (2025, "61.72", "40.00", "targets/b.csv", 2),  # the later file, not the later line
        (2026, "61.72", "36.00", "targets/a.csv", 6),  # the later line of one file
    ]


def test_rejected_files_are_reported_when_the_raw_step_fails_and_when_it_succeeds(
    tmp_path, reference_warehouse
):
    settings = settings_for(tmp_path)
    settings.ensure_private()
    shutil.copy(reference_warehouse, settings.warehouse_path)
    landing = Landing(settings.landing)
    landing.targets([["2025", "61.72", "abc"], ["2025", "31.71", "50"]], name="bad.csv")
    instance = dg.DagsterInstance.ephemeral()

    failed = dg.materialize(
        [raw.targets], resources=resources(settings), instance=instance, raise_on_error=False
    )
    assert not failed.success
    seen = metadata(instance, REJECTED_FILES)
    assert seen["dagster/row_count"] == 1  # one bad value
    assert seen["rejected files"] == {"targets": ["targets/bad.csv"]}
    assert seen["run"] == failed.run_id
    assert Path(seen["rejected_files.csv"]) == settings.rejected_files_path

    landing.targets([["2025", "61.72", "45"]], name="bad.csv")
    fixed = dg.materialize(
        [raw.targets], resources=resources(settings), instance=instance, raise_on_error=False
    )
    assert fixed.success
    seen = metadata(instance, REJECTED_FILES)
    assert (seen["dagster/row_count"], seen["rejected files"], seen["run"]) == (
        0,
        {},
        fixed.run_id,
    )
    assert "rejected_files.csv" not in seen


def test_validation_results_are_reported_when_a_blocking_check_fails(tmp_path, reference_warehouse):
    """Only the checks of raw/targets run, on a hand-made raw.targets: one row of an
    unknown kab/kota (ERROR) and one (year, kab/kota) twice in a file (WARN)."""
    settings = settings_for(tmp_path)
    settings.ensure_private()
    shutil.copy(reference_warehouse, settings.warehouse_path)
    with warehouse(settings) as con:
        run_sql(con, "raw/targets.sql")
        con.executemany(
            "INSERT INTO raw.targets VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ["targets/a.csv", 1, 2, 2025, "61.72", "61.72", 30.00],
                ["targets/a.csv", 1, 3, 2025, "61.72", "61.72", 31.00],
                ["targets/a.csv", 1, 4, 2025, "99.99", "99.99", 10.00],
            ],
        )
    defs = build_definitions(settings)
    targets = dg.AssetKey(["raw", "targets"])
    checks = [c for c in defs.asset_checks if {k.asset_key for k in c.check_keys} == {targets}]
    assert len(checks) == 1
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [raw.targets, *checks],
        selection=dg.AssetSelection.checks_for_assets(raw.targets),
        resources=resources(settings),
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success  # the ERROR check blocks
    assert result.get_asset_materialization_events() == []  # raw.targets was not rebuilt
    outcome = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert outcome == {
        "region_maps_to_a_current_kabkota": False,
        "one_target_per_year_and_region": False,
    }
    seen = metadata(instance, VALIDATION_RESULTS)
    assert seen["dagster/row_count"] == 2  # one row per expectation (validated whole)
    assert (seen["ERROR failures"], seen["WARN failures"]) == (1, 1)
    assert seen["tables validated"] == ["raw.targets"]
    assert seen["run"] == result.run_id
    assert seen["data-quality page"] == (settings.quality_dir / "index.html").resolve().as_uri()


# Published checks on a hand-made coverage.duckdb: four kab/kota in two provinces, one
# without a workforce potential. Sums worked out by hand.
CITIES = [
    # region, province, potential pu, bpu, total, covered pu, bpu, jakon, pmi, total
    ("11.01", "11", 100, 50, 150, 40, 10, 5, 2, 55),
    ("11.02", "11", None, None, None, 3, 1, 0, 1, 4),
    ("12.01", "12", 200, 100, 300, 90, 20, 10, 0, 120),
    ("12.02", "12", 50, 30, 80, 10, 5, 0, 3, 15),
]
PROVINCES = [
    # province, regions, with potential, potentials, covered
    ("11", 2, 1, 100, 50, 150, 43, 11, 5, 3, 59),
    ("12", 2, 2, 250, 130, 380, 100, 25, 10, 3, 135),
]
NATIONAL = [(4, 3, 350, 180, 530, 143, 36, 15, 6, 194)]
SNAPSHOTS = [date(2025, 1, 31), date(2025, 2, 28)]
SMALL = {"coverage_by_city": 4, "coverage_by_province": 2, "coverage_national": 1}
MEASURES = """regions BIGINT, regions_with_potential BIGINT, potential_pu BIGINT,
    potential_bpu BIGINT, potential_total BIGINT, covered_pu BIGINT, covered_bpu BIGINT,
    covered_jakon BIGINT, covered_pmi BIGINT, covered_total BIGINT"""
CITY_COLUMNS = """snapshot_date DATE, region_code VARCHAR, province_code VARCHAR,
    potential_pu BIGINT, potential_bpu BIGINT, potential_total BIGINT, covered_pu BIGINT,
    covered_bpu BIGINT, covered_jakon BIGINT, covered_pmi BIGINT, covered_total BIGINT"""


def coverage_tables(con, schema: str, keys: bool = True) -> None:
    """The three coverage tables (with or without primary keys), empty."""
    pk = {
        "city": ", PRIMARY KEY (snapshot_date, region_code)" if keys else "",
        "province": ", PRIMARY KEY (snapshot_date, province_code)" if keys else "",
        "national": ", PRIMARY KEY (snapshot_date)" if keys else "",
    }
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(f"CREATE TABLE {schema}.coverage_by_city ({CITY_COLUMNS}{pk['city']})")
    con.execute(
        f"CREATE TABLE {schema}.coverage_by_province (snapshot_date DATE, "
        f"province_code VARCHAR, {MEASURES}{pk['province']})"
    )
    con.execute(
        f"CREATE TABLE {schema}.coverage_national (snapshot_date DATE, {MEASURES}{pk['national']})"
    )


def insert(con, table: str, rows: list[list]) -> None:
    con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)


def small_published(path: Path) -> duckdb.DuckDBPyConnection:
    """A consistent hand-made published file (no primary keys, so tests can break them);
    returns a read-write connection to break it further."""
    con = duckdb.connect(str(path))
    coverage_tables(con, "reporting", keys=False)
    for snapshot in SNAPSHOTS:
        for table, rows in (
            ("coverage_by_city", CITIES),
            ("coverage_by_province", PROVINCES),
            ("coverage_national", NATIONAL),
        ):
            insert(con, f"reporting.{table}", [[snapshot, *row] for row in rows])
    return con


def verdicts(path: Path) -> dict[tuple[str, str], tuple[bool, dict]]:
    return {
        (r.asset_key.path[-1], r.check_name): (
            r.passed,
            {k: v.value for k, v in r.metadata.items() if "sample" not in k},
        )
        for r in published_checks(path, SMALL)
    }


ALL_CHECKS = {
    ("coverage_by_city", "rows_per_snapshot"),
    ("coverage_by_city", "unique_key"),
    ("coverage_by_province", "rows_per_snapshot"),
    ("coverage_by_province", "unique_key"),
    ("coverage_by_province", "sums_of_cities"),
    ("coverage_national", "rows_per_snapshot"),
    ("coverage_national", "unique_key"),
    ("coverage_national", "sums_of_cities"),
}


def failing(found: dict) -> set[tuple[str, str]]:
    return {check for check, (passed, _) in found.items() if not passed}


def test_published_checks_pass_on_consistent_tables(tmp_path):
    small_published(tmp_path / "p.duckdb").close()
    found = verdicts(tmp_path / "p.duckdb")
    assert set(found) == ALL_CHECKS
    assert failing(found) == set()
    assert found[("coverage_by_city", "rows_per_snapshot")][1] == {
        "observed value": "4 rows in each of 2 snapshots",
        "unexpected count": 0,
        "snapshots": 2,
        "expected rows per snapshot": 4,
        "snapshots with other counts": 0,
    }


def test_published_checks_find_a_province_that_is_not_the_sum_of_its_cities(tmp_path):
    with small_published(tmp_path / "p.duckdb") as con:
        con.execute(
            "UPDATE reporting.coverage_by_province SET covered_total = covered_total + 1 "
            "WHERE province_code = '12' AND snapshot_date = '2025-02-28'"
        )
        # Potentials summed over every kab/kota, as if a missing one counted 0: still wrong.
        con.execute(
            "UPDATE reporting.coverage_by_province SET regions_with_potential = 2 "
            "WHERE province_code = '11' AND snapshot_date = '2025-01-31'"
        )
    found = verdicts(tmp_path / "p.duckdb")
    assert failing(found) == {("coverage_by_province", "sums_of_cities")}
    assert found[("coverage_by_province", "sums_of_cities")][1] == {
        "observed value": "2 rows that are not the sums",
        "unexpected count": 2,
        "rows that are not the sums": 2,
    }
    sample = next(
        r.metadata["rows that are not the sums (sample)"].value
        for r in published_checks(tmp_path / "p.duckdb", SMALL)
        if r.check_name == "sums_of_cities" and not r.passed
    )
    assert "| 2025-01-31 | 11 | regions_with_potential |" in sample
    assert "| 2025-02-28 | 12 | covered_total |" in sample


def test_published_checks_find_duplicate_keys_and_missing_rows(tmp_path):
    with small_published(tmp_path / "p.duckdb") as con:
        con.execute(
            "INSERT INTO reporting.coverage_by_city SELECT * FROM reporting.coverage_by_city "
            "WHERE region_code = '12.02' AND snapshot_date = '2025-01-31'"
        )
        con.execute("DELETE FROM reporting.coverage_national WHERE snapshot_date = '2025-02-28'")
    found = verdicts(tmp_path / "p.duckdb")
    assert found[("coverage_by_city", "unique_key")] == (
        False,
        {
            "observed value": "1 duplicate or NULL keys",
            "unexpected count": 1,
            "duplicate or NULL keys": 1,
        },
    )
    assert found[("coverage_by_city", "rows_per_snapshot")][1]["snapshots with other counts"] == 1
    assert found[("coverage_national", "rows_per_snapshot")] == (
        False,
        {
            "observed value": "1 of 2 snapshots without 1 rows",
            "unexpected count": 1,
            "snapshots": 2,
            "expected rows per snapshot": 1,
            "snapshots with other counts": 1,
        },
    )
    # The duplicated kab/kota is counted twice in its province and the nation, and the
    # national rollup of February is missing.
    assert failing(found) == {
        ("coverage_by_city", "unique_key"),
        ("coverage_by_city", "rows_per_snapshot"),
        ("coverage_by_province", "sums_of_cities"),
        ("coverage_national", "rows_per_snapshot"),
        ("coverage_national", "sums_of_cities"),
    }
    assert found[("coverage_national", "sums_of_cities")][1] == {
        "observed value": "2 rows that are not the sums",
        "unexpected count": 2,
        "rows that are not the sums": 2,
    }


def full_warehouse(settings: Settings, break_province: bool, reference: Path) -> None:
    """coverage.* for the 514 kab/kota and one snapshot, rollups by plain sums, beside the
    reference tables (whose rows the published checks count)."""
    settings.ensure_private()
    shutil.copy(reference, settings.warehouse_path)
    with warehouse(settings) as con:
        coverage_tables(con, "coverage")
        con.execute(
            "INSERT INTO coverage.coverage_by_city SELECT DATE '2025-01-31', code, "
            "province_code, 10 + i, 5 + i, 15 + 2 * i, i, 1, 0, i % 3, i + 1 "
            "FROM (SELECT *, row_number() OVER (ORDER BY code) AS i FROM read_csv(?))",
            [str(REFERENCE_DIR / "regencies.csv")],
        )
        sums = """count(*), count(potential_total), sum(potential_pu), sum(potential_bpu),
            sum(potential_total), sum(covered_pu), sum(covered_bpu), sum(covered_jakon),
            sum(covered_pmi), sum(covered_total)"""
        con.execute(
            f"INSERT INTO coverage.coverage_by_province SELECT snapshot_date, province_code, "
            f"{sums} FROM coverage.coverage_by_city GROUP BY ALL"
        )
        con.execute(
            f"INSERT INTO coverage.coverage_national SELECT snapshot_date, {sums} "
            "FROM coverage.coverage_by_city GROUP BY ALL"
        )
        if break_province:
            con.execute(
                "UPDATE coverage.coverage_by_province SET covered_pu = covered_pu - 1 "
                "WHERE province_code = '31'"
            )


@pytest.mark.parametrize("broken", [False, True], ids=["consistent", "province-not-a-sum"])
def test_publish_replaces_coverage_duckdb_only_when_its_checks_pass(
    tmp_path, broken, reference_warehouse
):
    settings = settings_for(tmp_path)
    full_warehouse(settings, break_province=broken, reference=reference_warehouse)
    with duckdb.connect(str(settings.published_path)) as con:  # the last good file
        con.execute("CREATE TABLE previous AS SELECT 1 AS good")
    before = settings.published_path.read_bytes()

    result = dg.materialize(
        [reporting.published_coverage], resources=resources(settings), raise_on_error=False
    )
    outcome = {
        (e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
    assert set(outcome) == ALL_CHECKS
    published = sorted(p.name for p in settings.output.iterdir() if "coverage" in p.name)
    assert published == ["coverage.duckdb"]  # no temporary file left
    if broken:
        assert not result.success
        assert failing({k: (v, {}) for k, v in outcome.items()}) == {
            ("coverage_by_province", "sums_of_cities")
        }
        assert result.get_asset_materialization_events() == []
        assert settings.published_path.read_bytes() == before
    else:
        assert result.success and all(outcome.values())
        assert len(result.get_asset_materialization_events()) == 3
        with duckdb.connect(str(settings.published_path), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM reporting.coverage_by_city").fetchall() == [
                (514,)
            ]
