"""Run Great Expectations 1.x suites (stored as JSON) against tables in a DuckDB file.

GX validates through SQLAlchemy (duckdb-engine) so every metric is a SQL query run by
DuckDB: nothing is copied into pandas, and samples of failing rows are bounded by
``LIMIT``s (``partial_unexpected_count`` = :data:`SAMPLE_SIZE`; at most 200 rows for
``UnexpectedRowsExpectation``). Results come back as plain :class:`ExpectationOutcome`
objects for the Dagster asset checks.

Great Expectations is imported lazily (7-14 s) on the first :func:`run_suite` call;
importing this module is cheap.

Suite format: GX's own serialized ``ExpectationSuite``::

    {"name": "membership",
     "expectations": [
       {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "nik"},
        "meta": {"severity": "ERROR", "description": "...", "name": "nik_not_null"}},
       {"type": "unexpected_rows_expectation",
        "kwargs": {"unexpected_rows_query":
                   "SELECT * FROM {batch} WHERE NOT regexp_full_match(kode, '[0-9]{{4}}')"},
        "meta": {"severity": "WARN", "name": "kode_format"}}]}

``meta.severity`` is ``ERROR`` or ``WARN`` (Dagster's ``AssetCheckSeverity`` names);
without it GX's own ``severity`` field is mapped (critical -> ERROR, warning/info -> WARN).
``meta.name`` gives the outcome its id; otherwise one is derived from type and columns.
Regex/LIKE expectations are not implemented for DuckDB in GX 1.24 ("Regex is not
supported for dialect duckdb") and are rejected here: write them as an
``unexpected_rows_expectation`` with ``regexp_full_match`` / ``LIKE`` in the query. GX fills
that query with ``str.format(batch=...)``, so ``{batch}`` is its only placeholder and
literal braces are doubled (regex ``[0-9]{4}`` is written ``[0-9]{{4}}``).

DuckDB access: GX opens the file **read-only** (``?access_mode=read_only``) so any number
of validating processes can read it at once and a validation can never modify the
warehouse. Consequences (DuckDB rules):

* across processes, a read-only open fails ("Could not set lock on file") while another
  process holds the file read-write, and a writer cannot open it while a validation
  runs - run checks after the writer has closed its connection;
* within one process, every open connection to one file must use the same
  configuration. duckdb-engine adds ``custom_user_agent`` to its config, so *any* other
  DuckDB connection to the file that is open in this process while :func:`run_suite` runs
  (read-write or even ``read_only=True``, e.g. inside ``with duckdb_resource.get_connection()``)
  makes GX fail with ``TestConnectionError: ... Can't open a connection to same database
  file with a different configuration``. Close it first.

Personal data (:data:`cakupan.privacy.SENSITIVE_COLUMNS`: ``nik``, ``person_key``): a suite
with an expectation on such a column runs without any value sample (``BASIC`` result
format, ``partial_unexpected_count`` 0: GX fetches no unexpected value, so none reaches its
stores or the Data Docs), and such an expectation must be row-by-row (a map expectation)
or count-only: ``expect_column_max_to_be_between`` on ``person_key`` would report a
pseudonym as its observed value. Samples of ``unexpected_rows_expectation`` leave out
those columns; every text (observed value, error, sample value) goes through
:func:`cakupan.privacy.redact`.

All engines are disposed before :func:`run_suite` returns, so the file is not left open.
Not thread-safe (GX keeps its current context in a module global): run one suite at a
time per process.
"""

from __future__ import annotations

import json
import os
import re
import string
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from cakupan.privacy import SENSITIVE_COLUMNS, redact

__all__ = [
    "SAMPLE_SIZE",
    "ExpectationOutcome",
    "duckdb_url",
    "load_suite",
    "run_suite",
]

Severity = Literal["ERROR", "WARN"]
SAMPLE_SIZE = 5
#: GX type of the raw-SQL expectation (``gx.expectations.UnexpectedRowsExpectation``).
UNEXPECTED_ROWS = "unexpected_rows_expectation"
_DATASOURCE = "cakupan_duckdb"
_DOCS_SITE = "cakupan"
_GX_SEVERITY = {"critical": "ERROR", "warning": "WARN", "info": "WARN"}
# Keys of GX's serialized expectation that are assigned by a store, not by the author.
_STORE_ASSIGNED = ("id", "rendered_content")
# Result format of a suite touching a sensitive column: counts only, no value fetched.
_NO_VALUES = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "exclude_unexpected_values": True,
}
# Column-level expectations that are not row-by-row but report only counts or types.
_COUNT_ONLY = frozenset(
    {
        "expect_column_to_exist",
        "expect_column_unique_value_count_to_be_between",
        "expect_column_proportion_of_unique_values_to_be_between",
    }
)


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation, in plain Python types."""

    expectation: str
    """Readable, suite-unique id: ``meta.name`` or derived (``[A-Za-z0-9_]``)."""
    expectation_type: str
    severity: Severity
    success: bool
    observed_value: str
    """Human-readable summary (GX ``observed_value``, or ``"n unexpected of m rows"``)."""
    unexpected_count: int | None
    sample: list[dict[str, Any]] = field(default_factory=list)
    """Up to :data:`SAMPLE_SIZE` failing rows (column-map and unexpected-rows only)."""
    raw: dict[str, Any] = field(default_factory=dict)
    """GX's ``ExpectationValidationResult.to_json_dict()`` (JSON-serialisable)."""
    description: str | None = None
    error: str | None = None
    """Set when GX raised while computing the expectation (then ``success`` is False)."""
    partition: date | None = None
    """The day validated when the suite ran per day of ``partition_column``, else None."""


@dataclass(frozen=True)
class _Spec:
    name: str
    type: str
    severity: Severity
    description: str | None
    config: dict[str, Any]
    sensitive: tuple[str, ...] = ()
    """The sensitive columns the expectation reads (see :data:`SENSITIVE_COLUMNS`)."""


# ----------------------------------------------------------------------------- public API


def load_suite(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a suite JSON file and check its structure (no GX import).

    Raises:
        ValueError: if the file is not a valid suite (see :func:`run_suite`).
    """
    p = Path(path)
    try:
        suite = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: not valid JSON: {e}") from e
    _parse_suite(suite, origin=str(p))
    return suite


def duckdb_url(db_path: str | os.PathLike[str]) -> str:
    """SQLAlchemy URL opening ``db_path`` read-only through duckdb-engine."""
    import sqlalchemy as sa

    path = str(Path(db_path).resolve())
    if "?" in path:  # SQLAlchemy's URL parser would cut the path at the query string
        raise ValueError(f"DuckDB path must not contain '?': {path}")
    url = sa.engine.URL.create("duckdb", database=path, query={"access_mode": "read_only"})
    return url.render_as_string(hide_password=False)


def run_suite(
    db_path: str | os.PathLike[str],
    suite: Mapping[str, Any],
    table: str,
    data_docs_dir: str | os.PathLike[str] | None = None,
    run_name: str | None = None,
    *,
    id_columns: Sequence[str] = (),
    store_dir: str | os.PathLike[str] | None = None,
    partition_column: str | None = None,
) -> list[ExpectationOutcome]:
    """Validate ``table`` of the DuckDB file ``db_path`` against ``suite``.

    Args:
        db_path: DuckDB database file; opened read-only.
        suite: parsed GX suite JSON (see module docstring).
        table: ``"schema.table"`` or ``"table"`` (DuckDB's default schema).
        data_docs_dir: if given, GX Data Docs HTML are (re)built there (``index.html``).
        run_name: GX run name shown in Data Docs (e.g. the Dagster run id).
        id_columns: key columns of ``table``; column-map samples then include them
            (GX ``unexpected_index_column_names``). They must exist in the table and not
            be sensitive; they are unused when the suite touches a sensitive column.
        store_dir: where GX keeps the suites and validation results the Data Docs are
            rendered from; defaults to ``data_docs_dir / "_gx_store"``. Persisting them is
            what lets one docs folder accumulate several suites and runs: GX's index
            builder deletes pages whose source is not in the current stores.
        partition_column: a DATE column; the suite then runs once per day found in it
            (one batch per snapshot, say), and each outcome carries its ``partition``.

    Returns:
        One outcome per expectation (per day, with ``partition_column``), in suite order.

    Raises:
        ValueError: malformed suite or table name, a sensitive id column, an expectation
            that would report a sensitive value.
        great_expectations.exceptions.GreatExpectationsError: unknown expectation type or
            invalid kwargs, missing table, unreadable database.
    """
    specs = _parse_suite(suite)
    schema, table_name = _split_table(table)
    if hidden := [c for c in id_columns if c.lower() in SENSITIVE_COLUMNS]:
        raise ValueError(f"id_columns {hidden} hold personal data: they are never sampled")
    url = duckdb_url(db_path)
    if not Path(db_path).is_file():
        raise FileNotFoundError(f"DuckDB file not found: {db_path}")
    docs_dir = Path(data_docs_dir).resolve() if data_docs_dir is not None else None
    if store_dir is not None and docs_dir is None:
        raise ValueError("store_dir only makes sense together with data_docs_dir")
    stores: Path | None = None
    if store_dir is not None:
        stores = Path(store_dir).resolve()
    elif docs_dir is not None:
        stores = docs_dir / "_gx_store"

    gx = _import_gx()
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    context = gx.get_context(mode="ephemeral", project_config=_context_config(docs_dir, stores))
    datasource = None
    try:
        # add_sql() already opens a connection (test_connection()).
        datasource = context.data_sources.add_sql(_DATASOURCE, connection_string=url)
        with warnings.catch_warnings():
            # GX 1.14 deprecated TableAsset.schema_name in favour of a schema in the
            # connection config, which a DuckDB URL cannot carry. Still supported in 1.24.
            warnings.filterwarnings("ignore", "`schema_name` is deprecated", DeprecationWarning)
            asset = datasource.add_table_asset(table, table_name=table_name, schema_name=schema)
        if partition_column:
            batch_definition = asset.add_batch_definition_daily("daily", column=partition_column)
            batches = [
                (date(b["year"], b["month"], b["day"]), b)
                for b in asset.get_batch_identifiers_list(batch_definition.build_batch_request())
            ]
        else:
            batch_definition = asset.add_batch_definition_whole_table("whole_table")
            batches = [(None, None)]

        expectations = [ExpectationConfiguration(**s.config).to_domain_obj() for s in specs]
        _check_sensitive(suite["name"], specs, expectations)
        gx_suite = context.suites.add_or_update(
            gx.ExpectationSuite(
                name=suite["name"],
                expectations=expectations,
                meta=dict(suite.get("meta") or {}) or None,
                notes=suite.get("notes"),
            )
        )
        if len(gx_suite.expectations) != len(specs):  # GX drops invalid ones with a log line
            raise ValueError(f"suite {suite['name']!r}: GX rejected some expectations")
        spec_by_id = {e.id: s for e, s in zip(gx_suite.expectations, specs, strict=True)}

        validation = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=f"{suite['name']}:{table}", data=batch_definition, suite=gx_suite
            )
        )
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_SIZE,
        }
        if any(s.sensitive for s in specs):
            result_format = dict(_NO_VALUES)
        elif id_columns:
            result_format["unexpected_index_column_names"] = list(id_columns)
        outcomes: list[ExpectationOutcome] = []
        for day, batch_parameters in batches:
            run_id = RunIdentifier(run_name=run_name)
            suite_result = validation.run(
                result_format=result_format, run_id=run_id, batch_parameters=batch_parameters
            )
            by_name: dict[str, ExpectationOutcome] = {}
            failed_rows_checks: list[_Spec] = []
            for r in suite_result.results:
                spec = spec_by_id[r.expectation_config.id]
                by_name[spec.name] = replace(_outcome(spec, r), partition=day)
                if spec.type == UNEXPECTED_ROWS and not r.success and not by_name[spec.name].error:
                    failed_rows_checks.append(spec)
            if failed_rows_checks:
                _add_unexpected_rows_samples(
                    gx, batch_definition, batch_parameters, failed_rows_checks, by_name
                )
            if docs_dir is not None:
                context.build_data_docs(
                    site_names=[_DOCS_SITE],
                    resource_identifiers=[
                        ExpectationSuiteIdentifier(name=gx_suite.name),
                        ValidationResultIdentifier(
                            expectation_suite_identifier=ExpectationSuiteIdentifier(gx_suite.name),
                            run_id=suite_result.meta["run_id"],
                            batch_identifier=suite_result.batch_id,
                        ),
                    ],
                )
            outcomes += [by_name[s.name] for s in specs]
        return outcomes
    finally:
        if datasource is not None:
            _close(datasource)


# ------------------------------------------------------------------------------ internals


def _import_gx() -> Any:
    """Import GX (slow), with analytics off, and apply the DuckDB fix."""
    # GX 1.24 ships no analytics client at all; the variable (and analytics_enabled=False
    # in the context config) keep it off should a later version bring one back.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    from cakupan.quality import gx_duckdb

    gx_duckdb.apply()
    return gx


def _context_config(docs_dir: Path | None, store_dir: Path | None) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults()
    data_docs_sites: dict[str, Any] = {}
    if docs_dir is not None and store_dir is not None:
        for store_name, sub in (
            (defaults.expectations_store_name, "expectations"),
            (defaults.validation_results_store_name, "validations"),
        ):
            defaults.stores[store_name]["store_backend"] = {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(store_dir / sub),
            }
        data_docs_sites[_DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    return DataContextConfig(
        store_backend_defaults=defaults,
        data_docs_sites=data_docs_sites,
        analytics_enabled=False,
        # Silences the "Calculating Metrics" tqdm bars (read by Validator._determine_progress_bars).
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )


def _check_sensitive(suite_name: str, specs: list[_Spec], expectations: list) -> None:
    """An expectation on a sensitive column must not report values: row-by-row or counts."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    row_by_row = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    for spec, expectation in zip(specs, expectations, strict=True):
        if spec.sensitive and not (isinstance(expectation, row_by_row) or spec.type in _COUNT_ONLY):
            raise ValueError(
                f"suite {suite_name!r}, expectation {spec.name!r}: {spec.type} on "
                f"{', '.join(spec.sensitive)} (personal data) could report a value; only "
                f"row-by-row (column map) and count-only expectations may check it"
            )


def _close(datasource: Any) -> None:
    """Dispose both SQLAlchemy engines GX holds, releasing the DuckDB file."""
    # get_execution_engine() runs the metrics (StaticPool after gx_duckdb.apply());
    # get_engine() is a separate engine used by TableAsset.test_connection().
    datasource.get_execution_engine().close()
    datasource.get_engine().dispose()


def _split_table(table: str) -> tuple[str | None, str]:
    parts = table.split(".")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        raise ValueError(f"table must be 'schema.table' or 'table', got {table!r}")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _parse_suite(suite: Any, origin: str = "suite") -> list[_Spec]:
    if not isinstance(suite, Mapping):
        raise ValueError(f"{origin}: expected a JSON object")
    name = suite.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{origin}: 'name' must be a non-empty string")
    expectations = suite.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise ValueError(f"{origin}: 'expectations' must be a non-empty list")

    specs: list[_Spec] = []
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
        if etype == UNEXPECTED_ROWS:
            _check_unexpected_rows_query(kwargs.get("unexpected_rows_query"), where)

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
        specs.append(_Spec(name_, etype, severity, description, config, sensitive))
    return specs


def _check_unexpected_rows_query(query: Any, where: str) -> None:
    """GX fills the query with ``str.format(batch=...)``: ``{batch}`` is the only field."""
    if not isinstance(query, str):
        raise ValueError(f"{where}: unexpected_rows_query must be a string")
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(query) if f is not None}
    except ValueError as e:
        raise ValueError(f"{where}: unexpected_rows_query has an unpaired brace: {e}") from e
    if "batch" not in fields:
        raise ValueError(f"{where}: unexpected_rows_query must select FROM {{batch}}")
    if fields - {"batch"}:
        raise ValueError(
            f"{where}: unexpected_rows_query may only contain the {{batch}} placeholder, found "
            f"{sorted(fields - {'batch'})}; double literal braces, e.g. regex '[0-9]{{{{4}}}}'"
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


def _outcome(spec: _Spec, r: Any) -> ExpectationOutcome:
    raw = r.to_json_dict()
    result: dict[str, Any] = dict(r.result or {})
    error = _error_message(r.exception_info)

    unexpected = result.get("unexpected_count")
    if spec.type == UNEXPECTED_ROWS:
        unexpected = result.get("observed_value")
    unexpected_count = int(unexpected) if isinstance(unexpected, int | float) else None

    if error is not None:
        observed = f"error: {error}"
    elif "observed_value" in result:
        observed = _to_text(result["observed_value"])
        if spec.type == UNEXPECTED_ROWS:
            observed = f"{observed} unexpected rows"
    elif unexpected_count is not None:
        observed = f"{unexpected_count} unexpected of {result.get('element_count')} rows"
        if isinstance(result.get("unexpected_percent"), int | float):
            observed += f" ({result['unexpected_percent']:.2f}%)"
        if result.get("missing_count"):
            observed += f" ({result['missing_count']} null, ignored)"
    else:
        observed = ""

    return ExpectationOutcome(
        expectation=spec.name,
        expectation_type=spec.type,
        severity=spec.severity,
        success=bool(r.success) and error is None,
        observed_value=redact(observed),
        unexpected_count=unexpected_count,
        sample=_column_map_sample(spec, result),
        raw=raw,
        description=spec.description,
        error=None if error is None else redact(error),
    )


def _error_message(info: Any) -> str | None:
    """GX puts either one exception dict or a dict of them (keyed by metric) here."""
    if not isinstance(info, Mapping):
        return None
    entries: Iterable[Any] = [info] if "raised_exception" in info else info.values()
    messages = [
        str(e.get("exception_message"))
        for e in entries
        if isinstance(e, Mapping) and e.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(messages)) or None


def _column_map_sample(spec: _Spec, result: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = result.get("partial_unexpected_index_list")
    if isinstance(rows, list) and rows:
        return [_jsonable_row(row) for row in rows[:SAMPLE_SIZE] if isinstance(row, Mapping)]
    values = result.get("partial_unexpected_list")
    if not isinstance(values, list):
        return []
    kwargs = spec.config["kwargs"]
    out: list[dict[str, Any]] = []
    for v in values[:SAMPLE_SIZE]:
        if isinstance(v, Mapping):  # multicolumn expectations report whole rows
            out.append(_jsonable_row(v))
        elif "column_A" in kwargs and isinstance(v, list | tuple) and len(v) == 2:
            out.append(_jsonable_row({kwargs["column_A"]: v[0], kwargs["column_B"]: v[1]}))
        else:
            out.append(_jsonable_row({str(kwargs.get("column", "value")): v}))
    return out


def _add_unexpected_rows_samples(
    gx: Any,
    batch_definition: Any,
    batch_parameters: dict | None,
    specs: list[_Spec],
    by_name: dict[str, ExpectationOutcome],
) -> None:
    """Fetch failing rows for failed UnexpectedRowsExpectations.

    The suite runs with SUMMARY so column-map expectations fetch at most SAMPLE_SIZE values
    (COMPLETE would fetch *all* unexpected values); UnexpectedRowsExpectation only returns
    its rows under COMPLETE, so the failed ones are re-run with COMPLETE. GX streams that
    query and keeps at most 200 rows (``MAX_RESULT_RECORDS``); we keep SAMPLE_SIZE.
    """
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    suite = gx.ExpectationSuite(
        name="_cakupan_unexpected_rows_samples",
        expectations=[
            ExpectationConfiguration(type=s.type, kwargs=s.config["kwargs"]).to_domain_obj()
            for s in specs
        ],
    )
    by_query = {s.config["kwargs"]["unexpected_rows_query"]: s for s in specs}
    batch = batch_definition.get_batch(batch_parameters=batch_parameters)
    results = batch.validate(suite, result_format="COMPLETE").results
    for r in results:
        spec = by_query[r.expectation_config.kwargs["unexpected_rows_query"]]
        rows = (r.result or {}).get("details", {}).get("unexpected_rows") or []
        sample = [_jsonable_row(row) for row in rows[:SAMPLE_SIZE] if isinstance(row, Mapping)]
        by_name[spec.name] = replace(by_name[spec.name], sample=sample)


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else str(v)
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return str(v)


def _jsonable_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A sample row without sensitive columns, its text redacted."""
    return {
        str(k): redact(v) if isinstance(v, str) else v
        for k, v in ((k, _jsonable(v)) for k, v in row.items())
        if str(k).lower() not in SENSITIVE_COLUMNS
    }


def _to_text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, default=str)
