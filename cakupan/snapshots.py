"""Membership snapshots as partitions (no Dagster): which snapshots the sources hold, what
each partitioned table was built from, and the per-snapshot rebuild.

The tables ``staging.membership`` and ``coverage.*`` are partitioned by snapshot date (the
Dagster partition key ``YYYY-MM-DD``). Each (table, snapshot) has a fingerprint of its
inputs (:func:`fingerprints`); ``ops.snapshot_builds`` records the fingerprint each
snapshot was built from, in the same transaction as its rows (:func:`build`). A snapshot is
stale when its fingerprint differs from the recorded one (or none is recorded):

- ``staging.membership``: the membership files holding the snapshot (``ops.ingest_files``:
  name, SHA-256, ingest version, key fingerprint) and its SQL;
- ``coverage.coverage_by_city``: the snapshot's ``staging.membership`` build, its
  ``staging.membership_counts`` rows, per kab/kota the workforce round rule 7 takes for it,
  the targets of its year, the reference kab/kota and provinces, and its SQL;
- ``coverage.coverage_by_province`` and ``coverage_national``: the snapshot's
  ``coverage_by_city`` build and their SQL.

A changed workforce round or targets file so marks exactly the snapshots it feeds; a new
membership file only its own snapshot(s). Everything here reads small tables, apart from a
``DISTINCT snapshot_date`` of ``raw.membership`` (:func:`found`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

from cakupan.sqlfiles import run_sql, sql, sql_version, table_exists, transaction

BUILDS = "ops.snapshot_builds"
MEMBERSHIP = "staging.membership"
CITY = "coverage.coverage_by_city"
PROVINCE = "coverage.coverage_by_province"
NATIONAL = "coverage.coverage_national"


@dataclass(frozen=True)
class Table:
    """A partitioned table: the SQL that builds it (after ``macros``) and the partitioned
    table its snapshots are built from, if any."""

    sql: str
    macros: tuple[str, ...] = ()
    upstream: str | None = None

    @property
    def files(self) -> tuple[str, ...]:
        return (*self.macros, self.sql)


_ROLLUPS = ("coverage/macros.sql", "coverage/rollups.sql")
TABLES: dict[str, Table] = {
    MEMBERSHIP: Table("staging/membership.sql"),
    CITY: Table(
        "coverage/coverage_by_city.sql", ("coverage/macros.sql", "coverage/rounds.sql"), MEMBERSHIP
    ),
    PROVINCE: Table("coverage/coverage_by_province.sql", _ROLLUPS, CITY),
    NATIONAL: Table("coverage/coverage_national.sql", _ROLLUPS, CITY),
}
# the sources of the snapshots: membership rows, and counts for regions without them
SOURCES = ("raw.membership", "raw.membership_counts")
# the tables ops/snapshot_inputs.sql reads (without one, no snapshot can be fingerprinted)
INPUTS = (
    "ops.ingest_files",
    "staging.membership_counts",
    "staging.workforce",
    "staging.targets",
    "reference.regencies",
    "reference.provinces",
)


def key(day: date) -> str:
    """The partition key of a snapshot date."""
    return day.isoformat()


def code_version(table: str) -> str:
    """A hash of the SQL files that build ``table`` (macros included)."""
    return sql_version(*TABLES[table].files, length=16)


# -- what the sources hold and what was built ------------------------------------------------


def found(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The snapshot keys in the sources now (``raw.membership``, ``raw.membership_counts``),
    sorted."""
    parts = [f"SELECT DISTINCT snapshot_date FROM {t}" for t in SOURCES if table_exists(con, t)]
    if not parts:
        return []
    rows = con.execute(
        f"SELECT snapshot_date FROM ({' UNION '.join(parts)}) "
        "WHERE snapshot_date IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [key(d) for (d,) in rows]


def builds(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(table, snapshot key) -> fingerprint, of ``ops.snapshot_builds``."""
    if not table_exists(con, BUILDS):
        return {}
    rows = con.execute(sql("ops/snapshot_builds_recorded.sql")).fetchall()
    return {(t, key(d)): fp for t, d, fp in rows}


def _found_table(con: duckdb.DuckDBPyConnection, keys: Iterable[str], name: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (snapshot_date DATE PRIMARY KEY)")
    rows = [[k] for k in sorted(set(keys))]
    if rows:
        con.executemany(f"INSERT INTO {name} VALUES (CAST(? AS DATE))", rows)


def _digest(*parts: object) -> str:
    return hashlib.sha256(
        "\0".join("-" if p is None else str(p) for p in parts).encode()
    ).hexdigest()[:32]


def fingerprints(
    con: duckdb.DuckDBPyConnection, keys: list[str] | None = None
) -> dict[tuple[str, str], str]:
    """(table, snapshot key) -> the fingerprint of the inputs it would be built from now,
    for every partitioned table and the snapshots ``keys`` (default: :func:`found`). A
    coverage table's fingerprint takes its upstream table's *recorded* build, so it changes
    once that snapshot was rebuilt. Without the tables the inputs are read from (no ingest
    ledger, say), a fingerprint is new every time: the snapshot is always rebuilt."""
    keys = found(con) if keys is None else keys
    if not keys:
        return {}
    _found_table(con, keys, "found_snapshots")
    digests = {}
    if all(table_exists(con, t) for t in INPUTS):
        run_sql(con, "coverage/rounds.sql")
        for day, *parts in con.execute(sql("ops/snapshot_inputs.sql")).fetchall():
            digests[key(day)] = parts
    built = builds(con)
    result: dict[tuple[str, str], str] = {}
    for k in keys:
        if k not in digests:  # inputs that cannot be told (no ledger): never current
            unknown = f"unknown {uuid.uuid4().hex}"
            result.update({(t, k): unknown for t in TABLES})
            continue
        files, counts, workforce, targets, reference = digests[k]
        result[MEMBERSHIP, k] = _digest(MEMBERSHIP, code_version(MEMBERSHIP), files)
        result[CITY, k] = _digest(
            CITY,
            code_version(CITY),
            built.get((MEMBERSHIP, k)),
            counts,
            workforce,
            targets,
            reference,
        )
        for table in (PROVINCE, NATIONAL):
            result[table, k] = _digest(table, code_version(table), built.get((CITY, k)))
    return result


def stale(
    con: duckdb.DuckDBPyConnection, force: bool = False, keys: list[str] | None = None
) -> list[str]:
    """The snapshot keys that some partitioned table needs rebuilt: new, with changed
    inputs, or missing (no build recorded, or the table is not there). All found with
    ``force``. A snapshot whose upstream snapshot is stale is stale itself. ``keys``: the
    snapshots in the sources, when the caller has them (default: :func:`found`)."""
    keys = found(con) if keys is None else keys
    if force:
        return keys
    if not all(table_exists(con, t) for t in TABLES):
        return keys
    current, built = fingerprints(con, keys), builds(con)
    return [k for k in keys if any(current[t, k] != built.get((t, k)) for t in TABLES)]


def gone(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Snapshot keys built before (recorded in ``ops.snapshot_builds``) that the sources no
    longer hold: their partitions can be deleted."""
    now = set(found(con))
    return sorted({k for _, k in builds(con)} - now)


# -- the rebuild of one table ----------------------------------------------------------------


@dataclass
class Built:
    """What a per-snapshot build of one table did."""

    table: str
    rebuilt: list[str] = field(default_factory=list)  # rows deleted and inserted anew
    current: list[str] = field(default_factory=list)  # inputs unchanged: left as they were
    removed: list[str] = field(default_factory=list)  # no longer in the sources: deleted
    not_found: list[str] = field(default_factory=list)  # asked for, not in the sources


def build(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys: Iterable[str],
    run_id: str | None,
    force: bool = False,
) -> Built:
    """Rebuild the snapshots ``keys`` of ``table`` whose inputs changed (all of them with
    ``force``), and delete the rows of snapshots no longer in the sources: the rows and
    their ``ops.snapshot_builds`` records in one transaction, so a failure (or a killed
    process) leaves every snapshot as it was before."""
    spec = TABLES[table]
    run_sql(con, "ops/snapshot_builds.sql")
    now = found(con)
    asked = sorted(set(keys))
    result = Built(table, not_found=[k for k in asked if k not in set(now)])
    wanted = [k for k in asked if k in set(now)]
    current = fingerprints(con, now)
    built = builds(con)
    exists = table_exists(con, table)
    for k in wanted:
        if force or not exists or current.get((table, k)) != built.get((table, k)):
            result.rebuilt.append(k)
        else:
            result.current.append(k)
    removed = {k for t, k in built if t == table} - set(now)
    if exists:
        removed |= set(_rows_gone(con, table, now))
    if exists and not result.rebuilt and not removed:
        return result
    with transaction(con):
        _found_table(con, now, "found_snapshots")
        _found_table(con, result.rebuilt, "build_snapshots")
        for name in spec.files:  # its macros, then its SQL
            run_sql(con, name)
        con.execute(
            sql("ops/snapshot_builds_forget.sql"), {"table": table, "rebuilt": result.rebuilt}
        )
        at = datetime.now(UTC)
        rows = [[table, k, current[table, k], run_id, at] for k in result.rebuilt]
        if rows:
            con.executemany(sql("ops/snapshot_builds_insert.sql"), rows)
    result.removed = sorted(removed) if exists else []
    return result


def _rows_gone(con: duckdb.DuckDBPyConnection, table: str, now: list[str]) -> list[str]:
    """Snapshots with rows in ``table`` that the sources no longer hold (a table built
    before it was partitioned has no build records)."""
    rows = con.execute(
        f"SELECT DISTINCT snapshot_date FROM {table} WHERE snapshot_date IS NOT NULL"
    ).fetchall()
    return sorted({key(d) for (d,) in rows} - set(now))


def built_by(con: duckdb.DuckDBPyConnection, table: str, run_id: str) -> list[str]:
    """The snapshot keys of ``table`` that run ``run_id`` rebuilt."""
    if not table_exists(con, BUILDS):
        return []
    params = {"table": table, "run_id": run_id}
    rows = con.execute(sql("ops/snapshot_builds_of_run.sql"), params).fetchall()
    return [key(d) for (d,) in rows]


def drop_gone(con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> list[str]:
    """Delete, in one transaction, the rows (and build records) of snapshots no longer in
    the sources from ``tables``; returns the snapshot keys deleted. Without any source
    table (a warehouse not built by ingest) no snapshot counts as gone."""
    if not any(table_exists(con, t) for t in SOURCES):
        return []
    now = found(con)
    tables = [t for t in tables if table_exists(con, t)]
    dropped = sorted({k for t in tables for k in _rows_gone(con, t, now)})
    if not dropped:
        return []
    recorded = table_exists(con, BUILDS)
    with transaction(con):
        _found_table(con, now, "found_snapshots")
        for t in tables:
            con.execute(
                f"DELETE FROM {t} "
                "WHERE snapshot_date NOT IN (SELECT snapshot_date FROM found_snapshots)"
            )
            if recorded:
                con.execute(sql("ops/snapshot_builds_forget.sql"), {"table": t, "rebuilt": []})
    return dropped
