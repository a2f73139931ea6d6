"""The catalogue of table checks: one file per table, ``expectations/<schema>.<table>.yml``,
declares each check of the table once (its name, severity, description, plain names in
English and Indonesian) and how it runs. From it come the Great Expectations suite of the
table (:meth:`Catalogue.suite`), the Dagster asset checks (``assets/checks.py``) and the
labels of the briefs (``cakupan/reports/labels.py``). See ``expectations/README.md``.

A check runs in one of three ways:

* ``expectation`` + ``kwargs``: a GX expectation; a value ``{rows_of: schema.table}`` is
  that table's row count, read from the warehouse when the suite is built (the counts of
  regions come from the reference tables, never from a literal);
* ``sql`` (+ ``params``): a file of ``sql/checks/`` returning the failing rows of
  ``{{ batch }}``, a Jinja template (macros in ``sql/checks/macros.sql``) so that a rule
  written once serves every table it applies to; GX runs it as an
  ``unexpected_rows_expectation``, the publish step runs it on the published file;
* ``python``: a check written in Python (the module named), declared here for its
  description and labels.

``like: <table> <check>`` takes another table's check and changes what it lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import yaml

from cakupan.config import EXPECTATIONS_DIR, SQL_DIR
from cakupan.quality.suites import UNEXPECTED_ROWS, parse_suite

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(SQL_DIR / "checks"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_BATCH = "\x00batch\x00"  # where GX puts its batch: {batch} once the braces are doubled
_TABLE = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")
_KEYS = {"name", "severity", "description", "label", "expectation", "kwargs", "sql", "params"}
_KEYS |= {"python", "unit", "summary_query", "summary"}


@dataclass(frozen=True)
class Check:
    """One check of a table, as its catalogue declares it."""

    table: str
    name: str
    severity: str
    description: str
    label: Mapping[str, str]  # en, id: plain names; observed: what a failure found, in id
    expectation: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    sql: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    python: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict)  # unit, summary_query, summary

    @property
    def gx_type(self) -> str:
        return self.expectation or UNEXPECTED_ROWS

    def query(self, batch: str, per_snapshot: bool = False) -> str:
        """The SQL of an ``sql`` check over the relation ``batch`` (comment lines left out:
        GX wraps the query in its own)."""
        text = _ENV.get_template(self.sql).render(
            batch=batch, per_snapshot=per_snapshot, **self.params
        )
        return "\n".join(
            line.rstrip()
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("--")
        )

    def expectation_config(self, per_snapshot: bool, con=None) -> dict[str, Any]:
        """The check as a GX expectation (GX's JSON shape)."""
        meta = {"name": self.name, "severity": self.severity, "description": self.description}
        meta |= self.meta
        if self.expectation:
            return {"type": self.expectation, "kwargs": resolve(self.kwargs, con), "meta": meta}
        query = self.query(_BATCH, per_snapshot)
        query = query.replace("{", "{{").replace("}", "}}").replace(_BATCH, "{batch}")
        return {"type": UNEXPECTED_ROWS, "kwargs": {"unexpected_rows_query": query}, "meta": meta}


@dataclass(frozen=True)
class Catalogue:
    """The checks of one table."""

    path: Path
    table: str
    label: Mapping[str, str]
    description: str
    checks: tuple[Check, ...]
    partition_column: str | None = None
    published: bool = False  # checked in the new coverage.duckdb, not by GX

    @property
    def gx_checks(self) -> tuple[Check, ...]:
        """The checks GX runs (those of a published table run in the publish step)."""
        return () if self.published else tuple(c for c in self.checks if not c.python)

    def suite(self, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any]:
        """The GX suite of the table; ``{rows_of: ...}`` counted with ``con`` (the
        warehouse), left as it is without one."""
        meta = {"table": self.table, "description": self.description}
        if self.partition_column:
            meta["partition_column"] = self.partition_column
        per_snapshot = self.partition_column is not None
        return {
            "name": self.table,
            "meta": meta,
            "expectations": [c.expectation_config(per_snapshot, con) for c in self.gx_checks],
        }


def resolve(value: Any, con: duckdb.DuckDBPyConnection | None) -> Any:
    """``value`` with each ``{rows_of: schema.table}`` replaced by the table's row count
    (read with ``con``; left as it is without one)."""
    if isinstance(value, Mapping) and set(value) == {"rows_of"} and con is not None:
        if not _TABLE.fullmatch(table := str(value["rows_of"])):
            raise ValueError(f"rows_of: {table!r} is not schema.table")
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    if isinstance(value, Mapping):
        return {k: resolve(v, con) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, con) for v in value]
    return value


@cache
def catalogues() -> dict[str, Catalogue]:
    """Every catalogue of ``expectations/``, by table; ValueError naming the first fault."""
    paths = EXPECTATIONS_DIR.glob("*.yml")
    docs = {p: yaml.safe_load(p.read_text(encoding="utf-8")) for p in paths}
    by_table = {doc["table"]: doc for doc in docs.values()}
    found = {}
    for path, doc in sorted(docs.items()):
        if path.stem != doc["table"] or not _TABLE.fullmatch(doc["table"]):
            raise ValueError(f"{path}: table {doc['table']!r} must be the file's name")
        checks = tuple(_check(path, doc["table"], raw, by_table) for raw in doc["checks"])
        if len({c.name for c in checks}) != len(checks):
            raise ValueError(f"{path}: a check name is used twice")
        catalogue = Catalogue(
            path,
            doc["table"],
            doc["label"],
            doc["description"],
            checks,
            doc.get("partition_column"),
            bool(doc.get("published")),
        )
        if catalogue.gx_checks:
            parse_suite(catalogue.suite(), origin=str(path))  # GX's own rules, no GX import
        found[catalogue.table] = catalogue
    return found


def check(table: str, name: str) -> Check:
    """The check ``name`` of ``table``."""
    return next(c for c in catalogues()[table].checks if c.name == name)


def _check(path: Path, table: str, raw: Mapping[str, Any], by_table: Mapping) -> Check:
    if "like" in raw:  # another table's check, with what this entry changes
        other, name = raw["like"].split()
        base = next(c for c in by_table[other]["checks"] if c.get("name") == name)
        raw = {**base, **{k: v for k, v in raw.items() if k != "like"}}
    where = f"{path}: check {raw.get('name')!r}"
    if set(raw) - _KEYS or not {"name", "severity", "description", "label"} <= set(raw):
        raise ValueError(f"{where}: unknown keys {sorted(set(raw) - _KEYS)} or one missing")
    if sum(k in raw for k in ("expectation", "sql", "python")) != 1:
        raise ValueError(f"{where}: give one of expectation, sql or python")
    if raw["severity"] not in ("ERROR", "WARN"):
        raise ValueError(f"{where}: severity must be ERROR or WARN")
    if not {"en", "id", "observed"} <= set(raw["label"]):
        raise ValueError(f"{where}: label needs en, id and observed")
    params = raw.get("params", {})
    text = {k: ", ".join(v) if isinstance(v, list) else _text(v) for k, v in params.items()}
    return Check(
        table=table,
        name=raw["name"],
        severity=raw["severity"],
        description=raw["description"].format(**text) if params else raw["description"],
        label=raw["label"],
        expectation=raw.get("expectation"),
        kwargs=raw.get("kwargs", {}),
        sql=raw.get("sql"),
        params=params,
        python=raw.get("python"),
        meta={k: raw[k] for k in ("unit", "summary_query", "summary") if k in raw},
    )


def _text(value: Any) -> str:
    if isinstance(value, Mapping) and "rows_of" in value:
        return f"as many as the rows of {value['rows_of']}"
    return str(value)
