"""Run a GX suite against a table of a DuckDB file: :func:`run_suite`.

GX validates through SQLAlchemy (duckdb-engine), so every metric is a SQL query run by
DuckDB and nothing is copied into pandas. GX is imported on the first call (7-14 s).
Not thread-safe (GX keeps its current context in a module global): run one suite at a
time per process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from cakupan.quality import context as gxc
from cakupan.quality.outcomes import (
    ExpectationOutcome,
    add_unexpected_rows_samples,
    outcome,
    result_format,
)
from cakupan.quality.suites import UNEXPECTED_ROWS, parse_suite, split_table


def run_suite(
    db_path: str | os.PathLike[str],
    suite: Mapping[str, Any],
    table: str,
    data_docs_dir: str | os.PathLike[str] | None = None,
    run_name: str | None = None,
    *,
    partition_column: str | None = None,
    days: Iterable[date | str] | None = None,
    memory_limit: str | None = None,
    temp_dir: str | os.PathLike[str] | None = None,
) -> list[ExpectationOutcome]:
    """Validate ``table`` of the DuckDB file ``db_path`` (opened read-only) against ``suite``.

    Args:
        suite: parsed GX suite JSON (see :mod:`cakupan.quality.suites`).
        table: ``"schema.table"`` or ``"table"`` (DuckDB's default schema).
        data_docs_dir: if given, GX Data Docs HTML are (re)built there (``index.html``).
        run_name: GX run name shown in Data Docs (e.g. the Dagster run id).
        partition_column: a DATE column; the suite then runs once per day found in it
            (one batch per snapshot, say), and each outcome carries its ``partition``.
        days: with ``partition_column``, validate only these days (dates or ISO strings;
            the snapshots a run rebuilt, say); days not in the table are left out.
        memory_limit, temp_dir: DuckDB's ``memory_limit`` and spill folder for GX's
            connection (``CAKUPAN_MEMORY_LIMIT``); DuckDB's defaults when not given.

    Returns:
        One outcome per expectation (per day, with ``partition_column``), in suite order.

    Raises:
        ValueError: malformed suite or table name, an expectation that would report a
            sensitive value.
        FileNotFoundError: no such DuckDB file.
        great_expectations.exceptions.GreatExpectationsError: unknown expectation type or
            invalid kwargs, missing table, unreadable database.
    """
    specs = parse_suite(suite)
    split_table(table)
    gxc.duckdb_url(db_path)  # a path GX cannot open fails before the slow GX import
    if not Path(db_path).is_file():
        raise FileNotFoundError(f"DuckDB file not found: {db_path}")
    docs_dir = Path(data_docs_dir).resolve() if data_docs_dir is not None else None

    gx = gxc.import_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    context = gxc.new_context(gx, docs_dir)
    config = {"memory_limit": memory_limit, "temp_directory": temp_dir and str(temp_dir)}
    config = {k: v for k, v in config.items() if v}
    with gxc.duckdb_datasource(context, db_path, **config) as datasource:
        definition, batches = gxc.batches(datasource, table, partition_column)
        if days is not None:
            if not partition_column:
                raise ValueError("days needs a partition_column")
            wanted = {d if isinstance(d, date) else date.fromisoformat(d) for d in days}
            batches = [(day, parameters) for day, parameters in batches if day in wanted]
        gx_suite = gxc.add_suite(gx, context, suite, specs)
        spec_by_id = {e.id: s for e, s in zip(gx_suite.expectations, specs, strict=True)}
        name = f"{suite['name']}:{table}"
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=definition, suite=gx_suite)
        )
        outcomes: list[ExpectationOutcome] = []
        results = []
        for day, parameters in batches:
            suite_result = validation.run(
                result_format=result_format(specs),
                run_id=RunIdentifier(run_name=run_name),
                batch_parameters=parameters,
            )
            by_name = {}
            for r in suite_result.results:
                spec = spec_by_id[r.expectation_config.id]
                by_name[spec.name] = outcome(spec, r, day)
            failed_rows = [
                s
                for s in specs
                if s.type == UNEXPECTED_ROWS
                and not by_name[s.name].success
                and not by_name[s.name].error
            ]
            if failed_rows:
                add_unexpected_rows_samples(definition, parameters, failed_rows, by_name)
            results.append(suite_result)
            outcomes += [by_name[s.name] for s in specs]
        if docs_dir is not None and results:
            gxc.build_docs(context, gx_suite, results)  # one build for every batch
        return outcomes
