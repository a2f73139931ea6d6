"""Suite files: read and check GX suites stored as JSON (no GX import).

Suite format: GX's own serialized ``ExpectationSuite``::

    {"name": "membership",
     "meta": {"table": "raw.membership"},
     "expectations": [
       {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "region_code"},
        "meta": {"severity": "ERROR", "description": "...", "name": "region_is_set"}},
       {"type": "unexpected_rows_expectation",
        "kwargs": {"unexpected_rows_query":
                   "SELECT * FROM {batch} WHERE NOT regexp_full_match(kode, '[0-9]{{4}}')"},
        "meta": {"severity": "WARN", "name": "kode_format", "unit": "bad kode|bad kodes"}}]}

``meta.severity`` is ``ERROR`` or ``WARN`` (Dagster's ``AssetCheckSeverity`` names);
without it GX's own ``severity`` field is mapped (critical -> ERROR, warning/info -> WARN).
``meta.name`` gives the outcome its id; otherwise one is derived from type and columns.

Regex/LIKE expectations are not implemented for DuckDB in GX 1.24 ("Regex is not
supported for dialect duckdb") and are rejected here: write them as an
``unexpected_rows_expectation`` with ``regexp_full_match`` / ``LIKE`` in the query. GX fills
that query with ``str.format(batch=...)``, so ``{batch}`` is its only placeholder and
literal braces are doubled (regex ``[0-9]{4}`` is written ``[0-9]{{4}}``).

Observed values speak in the unit of what the query returns (one row per file, per
missing region, ...), set in the ``meta`` of an ``unexpected_rows_expectation``:

* ``unit``: what one returned row is, ``"singular|plural"`` (or one form for both):
  ``"file|files"`` gives ``"0 files"``, ``"1 file"``;
* ``summary_query`` and ``summary``: when the expectation fails, the one row of
  ``summary_query`` (SQL over ``{unexpected}``, the returned rows as a subquery named
  ``unexpected``, and ``{batch}``) fills the Python format string ``summary``, which is
  then the observed value. ``{n:|row|rows}`` in it gives the word for the count ``n``.
"""

from __future__ import annotations

import json
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cakupan.privacy import SENSITIVE_COLUMNS

Severity = Literal["ERROR", "WARN"]
#: GX type of the raw-SQL expectation (``gx.expectations.UnexpectedRowsExpectation``).
UNEXPECTED_ROWS = "unexpected_rows_expectation"
_GX_SEVERITY = {"critical": "ERROR", "warning": "WARN", "info": "WARN"}
# Keys of GX's serialized expectation that are assigned by a store, not by the author.
_STORE_ASSIGNED = ("id", "rendered_content")


@dataclass(frozen=True)
class Spec:
    """One expectation of a suite, as checked here."""

    name: str
    type: str
    severity: Severity
    description: str | None
    config: dict[str, Any]
    """What GX's ``ExpectationConfiguration`` is built from."""
    sensitive: tuple[str, ...] = ()
    """The sensitive columns the expectation names (see :data:`SENSITIVE_COLUMNS`)."""
    unit: tuple[str, str] = ("unexpected row", "unexpected rows")
    """What one row of an ``unexpected_rows_query`` is: (singular, plural)."""
    summary: tuple[str, str] | None = None
    """``(summary_query, summary)`` of an ``unexpected_rows_query``, else None."""

    @property
    def query(self) -> str | None:
        """The ``unexpected_rows_query``, for that type."""
        return self.config["kwargs"].get("unexpected_rows_query")


def load_suite(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a suite JSON file and check its structure.

    Raises:
        ValueError: if the file is not a valid suite (see :func:`parse_suite`).
    """
    p = Path(path)
    try:
        suite = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: not valid JSON: {e}") from e
    parse_suite(suite, origin=str(p))
    return suite


def split_table(table: str) -> tuple[str | None, str]:
    """``"schema.table"`` -> ``(schema, table)``; ``"table"`` -> ``(None, table)``."""
    parts = table.split(".")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        raise ValueError(f"table must be 'schema.table' or 'table', got {table!r}")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def parse_suite(suite: Any, origin: str = "suite") -> list[Spec]:
    """The expectations of a parsed suite JSON, in order; ValueError naming the first fault."""
    if not isinstance(suite, Mapping):
        raise ValueError(f"{origin}: expected a JSON object")
    name = suite.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{origin}: 'name' must be a non-empty string")
    expectations = suite.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise ValueError(f"{origin}: 'expectations' must be a non-empty list")

    specs: list[Spec] = []
    seen_names: set[str] = set()
    seen_configs: set[str] = set()
    for i, raw in enumerate(expectations):
        where = f"{origin}: expectations[{i}]"
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where}: expected an object")
        etype, kwargs = raw.get("type"), raw.get("kwargs")
        if not isinstance(etype, str) or not isinstance(kwargs, Mapping):
            raise ValueError(f"{where}: needs 'type' (string) and 'kwargs' (object)")
        meta = raw.get("meta") or {}
        if not isinstance(meta, Mapping):
            raise ValueError(f"{where}: 'meta' must be an object")

        severity = meta.get("severity")
        if severity is None:
            severity = _GX_SEVERITY.get(str(raw.get("severity", "critical")).lower())
        else:
            severity = str(severity).upper()
        if severity not in ("ERROR", "WARN"):
            raise ValueError(f"{where}: severity must be ERROR or WARN, got {severity!r}")

        if "regex" in etype or "like_pattern" in etype:
            raise ValueError(
                f"{where}: {etype} is not supported on DuckDB by GX; use an "
                f"{UNEXPECTED_ROWS} with regexp_full_match() or LIKE instead"
            )
        unit, summary = _unit_and_summary(etype, kwargs, meta, where)

        key = json.dumps([etype, kwargs], sort_keys=True, default=str)
        if key in seen_configs:
            raise ValueError(f"{where}: duplicate of an earlier expectation")
        seen_configs.add(key)

        explicit = meta.get("name")
        name_ = str(explicit) if explicit else _default_name(etype, kwargs)
        if explicit and name_ in seen_names:
            raise ValueError(f"{where}: meta.name {name_!r} is used twice")
        base, n = name_, 1
        while name_ in seen_names:
            n += 1
            name_ = f"{base}_{n}"
        seen_names.add(name_)

        config = {k: v for k, v in raw.items() if k not in _STORE_ASSIGNED}
        config["kwargs"] = dict(kwargs)
        description = raw.get("description") or meta.get("description")
        sensitive = tuple(c for c in _columns(kwargs) if c.lower() in SENSITIVE_COLUMNS)
        specs.append(Spec(name_, etype, severity, description, config, sensitive, unit, summary))
    return specs


def summary_query(spec: Spec) -> str:
    """The ``summary_query`` of ``spec`` with ``{unexpected}`` filled in, ready for GX
    (which fills ``{batch}``; literal braces stay doubled)."""
    assert spec.summary is not None and spec.query is not None
    out = []
    for literal, name, _, _ in string.Formatter().parse(spec.summary[0]):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name == "batch":
            out.append("{batch}")
        elif name == "unexpected":
            out.append(f"({spec.query}) AS unexpected")
    return "".join(out)


def _unit_and_summary(
    etype: str, kwargs: Mapping[str, Any], meta: Mapping[str, Any], where: str
) -> tuple[tuple[str, str], tuple[str, str] | None]:
    keys = [k for k in ("unit", "summary_query", "summary") if k in meta]
    if etype != UNEXPECTED_ROWS:
        if keys:
            raise ValueError(f"{where}: meta {keys} only apply to an {UNEXPECTED_ROWS}")
        return Spec.unit, None
    _check_query(kwargs.get("unexpected_rows_query"), where, "unexpected_rows_query")
    unit = meta.get("unit", "|".join(Spec.unit))
    forms = unit.split("|") if isinstance(unit, str) else []
    if not 1 <= len(forms) <= 2 or not all(f.strip() for f in forms):
        raise ValueError(f"{where}: meta.unit must be 'singular|plural' or one word")
    if ("summary_query" in meta) != ("summary" in meta):
        raise ValueError(f"{where}: meta.summary_query and meta.summary go together")
    summary = None
    if "summary" in meta:
        query, text = meta["summary_query"], meta["summary"]
        _check_query(query, where, "summary_query", placeholders=("batch", "unexpected"))
        if not isinstance(text, str):
            raise ValueError(f"{where}: meta.summary must be a string")
        try:
            list(string.Formatter().parse(text))
        except ValueError as e:
            raise ValueError(f"{where}: meta.summary has an unpaired brace: {e}") from e
        summary = (query, text)
    return (forms[0], forms[-1]), summary


def _check_query(
    query: Any, where: str, key: str, placeholders: tuple[str, ...] = ("batch",)
) -> None:
    """GX fills the query with ``str.format(batch=...)``: ``{batch}`` is the only field
    (a ``summary_query`` also has ``{unexpected}``)."""
    if not isinstance(query, str):
        raise ValueError(f"{where}: {key} must be a string")
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(query) if f is not None}
    except ValueError as e:
        raise ValueError(f"{where}: {key} has an unpaired brace: {e}") from e
    source = placeholders[-1]
    if source not in fields:
        raise ValueError(f"{where}: {key} must select FROM {{{source}}}")
    if fields - set(placeholders):
        allowed = " and ".join(f"{{{p}}}" for p in placeholders)
        raise ValueError(
            f"{where}: {key} may only contain the {allowed} placeholders, found "
            f"{sorted(fields - set(placeholders))}; double literal braces, e.g. regex "
            "'[0-9]{{4}}'"
        )


def _columns(kwargs: Mapping[str, Any]) -> list[str]:
    """The columns an expectation names in its kwargs."""
    cols: list[str] = []
    for key in ("column", "column_A", "column_B"):
        if isinstance(kwargs.get(key), str):
            cols.append(kwargs[key])
    if isinstance(kwargs.get("column_list"), list):
        cols.extend(str(c) for c in kwargs["column_list"])
    return cols


def _default_name(etype: str, kwargs: Mapping[str, Any]) -> str:
    name = "__".join([etype.removeprefix("expect_"), *_columns(kwargs)])
    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
