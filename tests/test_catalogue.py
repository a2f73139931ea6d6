"""The catalogue of table checks (expectations/<schema>.<table>.yml, issue #22): every check
declared once, and what a duplicate finder cannot see: a rule written once, the counts of
regions read from the reference tables, each check both run (GX or SQL) and a Dagster
asset check."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cakupan.quality.catalogue import Check, catalogues, resolve

ROOT = Path(__file__).resolve().parent.parent
# Where checks are written: any of these holding a rule counts as a copy of it (not the
# code that computes the figures, sql/coverage/, which a check never shares).
CHECK_SOURCES = [
    *(p for p in (ROOT / "sql").rglob("*.sql") if p.parent.name != "coverage"),
    *(ROOT / "expectations").glob("*.yml"),
    *(ROOT / "assets").glob("*.py"),
    *(ROOT / "cakupan").rglob("*.py"),
]


def files_with(pattern: str) -> list[str]:
    return sorted(
        str(p.relative_to(ROOT))
        for p in CHECK_SOURCES
        if re.search(pattern, p.read_text(encoding="utf-8"))
    )


def checks() -> list[Check]:
    return [check for catalogue in catalogues().values() for check in catalogue.checks]


@pytest.mark.parametrize(
    ("rule", "pattern", "where"),
    [
        # a rollup is the sum of its kab/kota: the kab/kota counted beside the sums
        ("sums of cities", r"AS regions_with_potential", "sql/checks/sums_of_cities.sql"),
        # counting rule 8's independent bound: 100 x pct as an integer, never the macro
        ("percentage bound", r"AS DECIMAL\(38, 2\)\) \* 100 AS HUGEINT", "sql/checks/macros.sql"),
        ("unique key", r"HAVING count\(\*\) > 1 OR", "sql/checks/unique_key.sql"),
        ("rows per snapshot", r"count\(\*\) AS n FROM", "sql/checks/rows_per_snapshot.sql"),
        ("duplicate key", r"appear twice in one file", "sql/raw/check_duplicate_keys.sql"),
    ],
)
def test_each_rule_is_written_once(rule, pattern, where):
    assert files_with(pattern) == [where], rule


def test_the_shared_rules_serve_every_table_they_apply_to():
    uses = {}
    for check in checks():
        if check.sql:
            uses.setdefault(check.sql, set()).add(check.table)
    assert uses["sums_of_cities.sql"] == {
        "coverage.coverage_by_province",
        "coverage.coverage_national",
        "reporting.coverage_by_province",
        "reporting.coverage_national",
    }
    assert len(uses["unique_key.sql"]) == len(uses["rows_per_snapshot.sql"]) == 3
    # the bound is the checks' own: never the macros that compute the percentages
    computing = re.findall(r"MACRO (\w+)", (ROOT / "sql/coverage/macros.sql").read_text())
    assert computing
    for path in (ROOT / "sql" / "checks").glob("*.sql"):
        calls = re.findall(r"\b(\w+)\s*\(", path.read_text())  # a macro is called: name(
        assert not set(calls) & set(computing), path.name


def _numbers(value) -> set:
    if isinstance(value, dict):
        return set().union(*map(_numbers, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(_numbers, value)) if value else set()
    return {value} if isinstance(value, int) and not isinstance(value, bool) else set()


def test_region_counts_come_from_the_reference_tables():
    for check in checks():  # no count of kab/kota or provinces written in a check
        assert not _numbers({**check.kwargs, **check.params}) & {514, 38}, check.name
    for path in (ROOT / "sql" / "checks").glob("*.sql"):
        assert not re.search(r"(?<!DECIMAL\()\b(514|38)\b", path.read_text()), path.name
    for module in ("assets/checks.py", "assets/reporting.py", "cakupan/quality/catalogue.py"):
        tree = ast.parse((ROOT / module).read_text())
        constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        assert not constants & {514, 38}, module
    counted = {
        (c.table, c.name): c.kwargs.get("value") or c.params.get("expected")
        for c in checks()
        if c.name in ("all_514_kabkota", "all_38_provinces", "rows_per_snapshot")
    }
    assert counted == {
        ("coverage.coverage_by_city", "all_514_kabkota"): {"rows_of": "reference.regencies"},
        ("coverage.coverage_by_province", "all_38_provinces"): {"rows_of": "reference.provinces"},
        ("reporting.coverage_by_city", "rows_per_snapshot"): {"rows_of": "reference.regencies"},
        ("reporting.coverage_by_province", "rows_per_snapshot"): {"rows_of": "reference.provinces"},
        ("reporting.coverage_national", "rows_per_snapshot"): 1,
    }


def test_the_counts_are_read_from_the_warehouse():
    from assets.checks import expected_rows

    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA reference")
        con.execute("CREATE TABLE reference.regencies AS FROM range(5)")
        con.execute("CREATE TABLE reference.provinces AS FROM range(2)")
        suite = catalogues()["coverage.coverage_by_city"].suite(con)
        assert suite["expectations"][0]["kwargs"] == {"value": 5}
        assert expected_rows(con) == {
            "coverage_by_city": 5,
            "coverage_by_province": 2,
            "coverage_national": 1,
        }
        assert resolve({"value": {"rows_of": "reference.provinces"}}, None) == {
            "value": {"rows_of": "reference.provinces"}
        }


def test_every_catalogue_check_runs_and_is_a_dagster_check():
    from pipelines.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    dagster = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    declared = {(dg.AssetKey(c.table.split(".")), c.name) for c in checks()}
    assert dagster == declared  # every Dagster check is declared, every declared one runs
    for table, catalogue in catalogues().items():
        gx = {e["meta"]["name"] for e in catalogue.suite()["expectations"]}
        for check in catalogue.checks:
            if check.python:  # a check in Python: its module runs it
                assert (ROOT / check.python).is_file()
                assert check.name in (ROOT / check.python).read_text()
            elif catalogue.published:  # run by the publish step, on the published file
                assert check.sql and (ROOT / "sql" / "checks" / check.sql).is_file()
            else:  # a GX expectation, or a SQL file GX runs
                assert check.name in gx, (table, check.name)
