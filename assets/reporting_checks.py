"""Checks of what is published: the tables of a new ``coverage.duckdb``, read from the file
itself (read-only) before it replaces the previous one. All are ERROR checks: a failure
keeps the previous file (``assets/reporting.py``).

- ``rows_per_snapshot``: 514 kab/kota, 38 provinces, 1 national row for every snapshot;
- ``unique_key``: the primary key is unique and never NULL;
- ``sums_of_cities``: each province and national row is the sum of its kab/kota
  (potentials over the kab/kota that have one, covered counts over all).

SQL: ``sql/reporting/check_*.sql``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from cakupan.quality.outcomes import ExpectationOutcome
from cakupan.sqlfiles import markdown_table, sql


@dataclass(frozen=True)
class Published:
    table: str
    key: tuple[str, ...]
    rows_per_snapshot: int
    what: str
    rollup: bool  # sums of the kab/kota of coverage_by_city


PUBLISHED = [
    Published("coverage_by_city", ("snapshot_date", "region_code"), 514, "kab/kota", False),
    Published("coverage_by_province", ("snapshot_date", "province_code"), 38, "provinces", True),
    Published("coverage_national", ("snapshot_date",), 1, "national rows", True),
]
SAMPLE = 5


def asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["reporting", table])


def check_specs() -> list[dg.AssetCheckSpec]:
    specs = []
    for p in PUBLISHED:
        specs.append(
            dg.AssetCheckSpec(
                "rows_per_snapshot",
                asset=asset_key(p.table),
                blocking=True,
                description=f"[ERROR] {p.rows_per_snapshot} {p.what} for every snapshot, in "
                "the published file.",
            )
        )
        specs.append(
            dg.AssetCheckSpec(
                "unique_key",
                asset=asset_key(p.table),
                blocking=True,
                description=f"[ERROR] ({', '.join(p.key)}) unique and never NULL, in the "
                "published file.",
            )
        )
        if p.rollup:
            specs.append(
                dg.AssetCheckSpec(
                    "sums_of_cities",
                    asset=asset_key(p.table),
                    blocking=True,
                    description="[ERROR] Every row is the sum of its kab/kota in the published "
                    "reporting.coverage_by_city (potentials over the kab/kota that have one, "
                    "covered counts over all).",
                )
            )
    return specs


def published_checks(
    path: Path, rows_per_snapshot: dict[str, int] | None = None
) -> list[dg.AssetCheckResult]:
    """Run every check on the DuckDB file ``path`` (opened read-only).

    ``rows_per_snapshot``: table -> expected rows per snapshot, instead of 514/38/1.
    """
    expected = {p.table: p.rows_per_snapshot for p in PUBLISHED} | (rows_per_snapshot or {})
    results = []
    with duckdb.connect(str(path), read_only=True) as con:
        for p in PUBLISHED:
            results.append(_rows_per_snapshot(con, p, expected[p.table]))
            results.append(_unique_key(con, p))
            if p.rollup:
                results.append(_sums_of_cities(con, p))
    return results


def outcomes(checks: list[dg.AssetCheckResult]) -> dict[str, list[ExpectationOutcome]]:
    """The checks as the run's record of its checks takes them: published table -> outcomes
    (``cakupan.quality.results.record``)."""
    by_table: dict[str, list[ExpectationOutcome]] = {}
    for c in checks:
        table = ".".join(c.asset_key.path)
        by_table.setdefault(table, []).append(
            ExpectationOutcome(
                expectation=c.check_name,
                expectation_type=f"cakupan.published.{c.check_name}",
                severity="ERROR",
                success=c.passed,
                observed_value=c.metadata["observed value"].value,
                unexpected_count=c.metadata["unexpected count"].value,
            )
        )
    return by_table


def _result(
    p: Published, name: str, passed: bool, metadata: dict, observed: str, unexpected: int
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset_key(p.table),
        check_name=name,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "observed value": dg.MetadataValue.text(observed),
            "unexpected count": dg.MetadataValue.int(unexpected),
            **metadata,
        },
    )


def _rows_per_snapshot(con, p: Published, expected: int) -> dg.AssetCheckResult:
    query = sql("reporting/check_rows_per_snapshot.sql").format(table=p.table)
    counts = con.execute(query).fetchall()
    wrong = [(snapshot, n) for snapshot, n in counts if n != expected]
    metadata = {
        "snapshots": dg.MetadataValue.int(len(counts)),
        "expected rows per snapshot": dg.MetadataValue.int(expected),
        "snapshots with other counts": dg.MetadataValue.int(len(wrong)),
    }
    if wrong:
        lines = ["| snapshot_date | rows |", "|---|---:|"]
        lines += [f"| {snapshot} | {n} |" for snapshot, n in wrong[:SAMPLE]]
        metadata["wrong snapshots (sample)"] = dg.MetadataValue.md("\n".join(lines))
    observed = (
        f"{len(wrong)} of {len(counts)} snapshots without {expected} rows"
        if wrong
        else f"{expected} rows in each of {len(counts)} snapshots"
    )
    return _result(p, "rows_per_snapshot", not wrong, metadata, observed, len(wrong))


def _unique_key(con, p: Published) -> dg.AssetCheckResult:
    query = sql("reporting/check_unique_key.sql").format(
        table=p.table,
        key=", ".join(p.key),
        null_key=" OR ".join(f"{k} IS NULL" for k in p.key),
    )
    return _failing_rows(con, p, "unique_key", query, "duplicate or NULL keys")


def _sums_of_cities(con, p: Published) -> dg.AssetCheckResult:
    query = sql("reporting/check_sums_of_cities.sql").format(table=p.table, key=", ".join(p.key))
    return _failing_rows(con, p, "sums_of_cities", query, "rows that are not the sums")


def _failing_rows(con, p: Published, name: str, query: str, label: str) -> dg.AssetCheckResult:
    failing = con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
    metadata = {label: dg.MetadataValue.int(failing)}
    if failing:
        sample = markdown_table(con, f"SELECT * FROM ({query}) LIMIT {SAMPLE}")
        metadata[f"{label} (sample)"] = dg.MetadataValue.md(sample)
    return _result(p, name, failing == 0, metadata, f"{failing} {label}", failing)
