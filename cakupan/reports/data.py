"""What the reports show, read from the published ``coverage.duckdb`` alone (read-only):
the coverage tables of every snapshot, the run that published them (``ops.run_status``),
its data-quality results and rejected files."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path

import duckdb

NATIONAL = ""  # the key of the national rollup among provinces


class PublishedDatabaseError(Exception):
    """The published database is missing, or lacks a table reports need."""


@dataclass
class Published:
    """Rows of the published tables (dicts keyed by column name), indexed for the pages."""

    path: Path
    status: dict
    snapshots: list[date]
    cities: dict[tuple[date, str], dict]
    provinces: dict[tuple[date, str], dict]
    national: dict[date, dict]
    failed_checks: list[dict]
    rejected: list[dict]
    _by_province: dict[tuple[date, str], list[dict]] = field(default_factory=dict)
    _ranked_count: Counter = field(default_factory=Counter)

    def __post_init__(self):
        grouped = defaultdict(list)
        for (snapshot, _), row in sorted(self.cities.items()):
            grouped[(snapshot, row["province_code"])].append(row)
            if row["rank_national"] is not None:
                self._ranked_count[(snapshot, None)] += 1
                self._ranked_count[(snapshot, row["province_code"])] += 1
        self._by_province = {key: _ranked(rows) for key, rows in grouped.items()}

    @property
    def latest(self) -> date:
        return self.snapshots[-1]

    def snapshot(self, value: date | str | None) -> date:
        """The snapshot asked for (default: the latest), or an error listing the published."""
        if value is None:
            return self.latest
        try:
            wanted = date.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            raise PublishedDatabaseError(f"snapshot {value!r} is not a date YYYY-MM-DD") from None
        if wanted not in self.snapshots:
            known = ", ".join(s.isoformat() for s in self.snapshots)
            raise PublishedDatabaseError(f"snapshot {wanted} is not published (published: {known})")
        return wanted

    def city(self, code: str, snapshot: date) -> dict:
        try:
            return self.cities[(snapshot, code)]
        except KeyError:
            raise PublishedDatabaseError(
                f"no kab/kota {code!r} in {self.path.name} (codes are Kemendagri PP.KK, e.g. 61.72)"
            ) from None

    def cities_of(self, province_code: str, snapshot: date) -> list[dict]:
        """The province's kab/kota, by rank (those without a figure last, by code)."""
        return self._by_province.get((snapshot, province_code), [])

    def province_codes(self, snapshot: date) -> list[str]:
        return sorted(p for s, p in self.provinces if s == snapshot)

    def ranked_provinces(self, snapshot: date) -> list[dict]:
        """Provinces by UCJ % (highest first; those without a figure last, by code)."""
        rows = [self.provinces[(snapshot, code)] for code in self.province_codes(snapshot)]
        return sorted(rows, key=_pct_order)

    def ranked(self, snapshot: date, province_code: str | None = None) -> int:
        """How many kab/kota have a rank (a potential above 0), in a province or all."""
        return self._ranked_count[(snapshot, province_code)]


def _pct_order(row: dict) -> tuple:
    pct = row["coverage_pct"]
    return (pct is None, -(pct or 0), row.get("province_code") or "", row.get("region_code", ""))


def _ranked(rows: list[dict]) -> list[dict]:
    return sorted(
        rows,
        key=lambda r: (r["rank_in_province"] is None, r["rank_in_province"] or 0, r["region_code"]),
    )


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> list[dict]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


REQUIRED = (
    "reporting.coverage_by_city",
    "reporting.coverage_by_province",
    "reporting.coverage_national",
    "quality.validation_results",
    "ops.run_status",
    "ops.rejected_files",
)


def load(path: Path) -> Published:
    """Everything the reports show, from the published database at ``path``."""
    if not path.is_file():
        raise PublishedDatabaseError(f"{path} does not exist yet: run `cakupan run` first")
    with duckdb.connect(str(path), read_only=True) as con:
        present = {
            f"{s}.{t}"
            for s, t in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() "
                "WHERE database_name = current_database()"
            ).fetchall()
        }
        missing = [t for t in REQUIRED if t not in present]
        if missing:
            raise PublishedDatabaseError(
                f"{path} lacks {', '.join(missing)}: it was published by an older cakupan; "
                "run `cakupan run` again"
            )
        statuses = _rows(
            con,
            "SELECT * EXCLUDE (started_at, published_at), "
            "timezone('UTC', started_at) AS started_utc, "
            "timezone('UTC', published_at) AS published_utc FROM ops.run_status",
        )
        if len(statuses) != 1:
            raise PublishedDatabaseError(f"{path}: ops.run_status has {len(statuses)} rows, not 1")
        status = statuses[0]
        for name in ("started", "published"):
            moment = status.pop(f"{name}_utc")
            status[f"{name}_at"] = moment.replace(tzinfo=UTC) if moment else None
        cities = _rows(con, "FROM reporting.coverage_by_city ORDER BY snapshot_date, region_code")
        provinces = _rows(con, "FROM reporting.coverage_by_province")
        national = _rows(con, "FROM reporting.coverage_national ORDER BY snapshot_date")
        failed = _rows(
            con,
            "SELECT table_name, expectation, severity, snapshot_date, observed_value, "
            "unexpected_count FROM quality.validation_results "  # all: the published checks
            "WHERE NOT success "
            "ORDER BY severity, table_name, expectation, snapshot_date NULLS FIRST",
        )
        rejected = _rows(
            con,
            'SELECT file, line, "column", reason FROM ops.rejected_files '
            "WHERE run_id = (SELECT run_id FROM ops.run_status) "
            'ORDER BY file, line NULLS FIRST, "column"',
        )
    if not national:
        raise PublishedDatabaseError(f"{path} holds no snapshot")
    return Published(
        path=path,
        status=status,
        snapshots=[row["snapshot_date"] for row in national],
        cities={(r["snapshot_date"], r["region_code"]): r for r in cities},
        provinces={(r["snapshot_date"], r["province_code"]): r for r in provinces},
        national={r["snapshot_date"]: r for r in national},
        failed_checks=failed,
        rejected=rejected,
    )
