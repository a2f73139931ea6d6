"""The GX side: an ephemeral context, the DuckDB datasource and its batches, the suite,
Data Docs. Great Expectations is imported by :func:`import_gx` (7-14 s), never at import.

DuckDB access: GX opens the file **read-only** (``?access_mode=read_only``) so any number
of validating processes can read it at once and a validation can never modify the
warehouse. Consequences (DuckDB rules):

* across processes, a read-only open fails ("Could not set lock on file") while another
  process holds the file read-write, and a writer cannot open it while a validation
  runs - run checks after the writer has closed its connection;
* within one process, every open connection to one file must use the same
  configuration. duckdb-engine adds ``custom_user_agent`` to its config, so *any* other
  DuckDB connection to the file that is open in this process while a suite runs
  (read-write or even ``read_only=True``) makes GX fail with ``TestConnectionError: ...
  Can't open a connection to same database file with a different configuration``.
  Close it first.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from cakupan.quality.suites import Spec, split_table

_DATASOURCE = "cakupan_duckdb"
_DOCS_SITE = "cakupan"
# Column-level expectations that are not row-by-row but report only counts or types.
_COUNT_ONLY = frozenset(
    {
        "expect_column_to_exist",
        "expect_column_unique_value_count_to_be_between",
        "expect_column_proportion_of_unique_values_to_be_between",
    }
)


def import_gx() -> Any:
    """Import GX (slow), with analytics off, and apply the DuckDB fix."""
    # GX 1.24 ships no analytics client at all; the variable (and analytics_enabled=False
    # in the context config) keep it off should a later version bring one back.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    from cakupan.quality import gx_duckdb

    gx_duckdb.apply()
    return gx


# Parquet files this big take longer to ingest than GX to import (64 MB is about 5 million
# membership rows, 10 s of ingest): their ingest imports GX beside it.
EARLY_IMPORT_BYTES = 64 << 20


@contextmanager
def gx_imported_beside(parquet_bytes: int) -> Iterator[None]:
    """Import GX (7-14 s of Python) in a thread while the block reads ``parquet_bytes`` of
    Parquet files, when they are at least EARLY_IMPORT_BYTES, and wait for it at the end:
    the ingest's DuckDB queries leave the interpreter free, and the first suite then finds
    GX imported. Otherwise GX waits for the first suite: a short ingest's thread would only
    take turns with the step's Python, a CSV file's ingest has a Python thread of its own
    (the blank-line scan: 20M CSV.gz rows gained nothing from GX beside it), and a run
    that rejects a file never imports GX."""
    if "great_expectations" in sys.modules or parquet_bytes < EARLY_IMPORT_BYTES:
        yield
        return
    thread = threading.Thread(target=_import_quietly, name="cakupan-import-gx", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _import_quietly() -> None:
    try:
        import_gx()
    except Exception:  # noqa: BLE001 - the first suite imports it again and says why
        pass


def duckdb_url(db_path: str | os.PathLike[str], **config: str) -> str:
    """SQLAlchemy URL opening ``db_path`` read-only through duckdb-engine; ``config`` are
    DuckDB settings (``memory_limit``, ``temp_directory``), which duckdb-engine passes to
    ``duckdb.connect(config=...)`` from the URL's query."""
    import sqlalchemy as sa

    path = str(Path(db_path).resolve())
    if "?" in path:  # SQLAlchemy's URL parser would cut the path at the query string
        raise ValueError(f"DuckDB path must not contain '?': {path}")
    url = sa.engine.URL.create(
        "duckdb", database=path, query={"access_mode": "read_only", **config}
    )
    return url.render_as_string(hide_password=False)


def new_context(gx: Any, docs_dir: Path | None) -> Any:
    """An ephemeral context; with ``docs_dir``, Data Docs are built there from suites and
    results kept in ``docs_dir/_gx_store`` (GX's index builder deletes the pages whose
    source is not in the stores: keeping them lets one folder collect every suite)."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults()
    sites: dict[str, Any] = {}
    if docs_dir is not None:
        for store_name, sub in (
            (defaults.expectations_store_name, "expectations"),
            (defaults.validation_results_store_name, "validations"),
        ):
            defaults.stores[store_name]["store_backend"] = {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir / "_gx_store" / sub),
            }
        sites[_DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        data_docs_sites=sites,
        analytics_enabled=False,
        # Silences the "Calculating Metrics" tqdm bars (read by Validator._determine_progress_bars).
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


@contextmanager
def duckdb_datasource(
    context: Any, db_path: str | os.PathLike[str], **config: str
) -> Iterator[Any]:
    """The DuckDB file as a GX SQL datasource (``config``: DuckDB settings, see
    :func:`duckdb_url`); both its engines are disposed on exit, so the file is not left
    open."""
    url = duckdb_url(db_path, **config)
    # add_sql() already opens a connection (test_connection()).
    datasource = context.data_sources.add_sql(_DATASOURCE, connection_string=url)
    try:
        yield datasource
    finally:
        # get_execution_engine() runs the metrics (StaticPool after gx_duckdb.apply());
        # get_engine() is a separate engine used by TableAsset.test_connection().
        datasource.get_execution_engine().close()
        datasource.get_engine().dispose()


def batches(
    datasource: Any, table: str, partition_column: str | None
) -> tuple[Any, list[tuple[date | None, dict | None]]]:
    """The batch definition of ``table`` and its batches: the whole table, or one per day
    of ``partition_column`` as ``(day, batch_parameters)``."""
    schema, name = split_table(table)
    with warnings.catch_warnings():
        # GX 1.14 deprecated TableAsset.schema_name in favour of a schema in the
        # connection config, which a DuckDB URL cannot carry. Still supported in 1.24.
        warnings.filterwarnings("ignore", "`schema_name` is deprecated", DeprecationWarning)
        asset = datasource.add_table_asset(table, table_name=name, schema_name=schema)
    if not partition_column:
        return asset.add_batch_definition_whole_table("whole_table"), [(None, None)]
    definition = asset.add_batch_definition_daily("daily", column=partition_column)
    days = asset.get_batch_identifiers_list(definition.build_batch_request())
    return definition, [(date(b["year"], b["month"], b["day"]), b) for b in days]


def add_suite(gx: Any, context: Any, suite: Mapping[str, Any], specs: list[Spec]) -> Any:
    """Register ``suite`` in ``context``; refuses an expectation that could report a
    sensitive value. Returns GX's suite (its expectations in the order of ``specs``)."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

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
    return gx_suite


def build_docs(context: Any, gx_suite: Any, suite_results: list[Any]) -> None:
    """(Re)build the Data Docs pages of ``gx_suite`` and of its validation results, in one
    build (each build renders the index again, with templates GX compiles each time)."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    suite_id = ExpectationSuiteIdentifier(name=gx_suite.name)
    context.build_data_docs(
        site_names=[_DOCS_SITE],
        resource_identifiers=[
            suite_id,
            *(
                ValidationResultIdentifier(
                    expectation_suite_identifier=suite_id,
                    run_id=result.meta["run_id"],
                    batch_identifier=result.batch_id,
                )
                for result in suite_results
            ),
        ],
    )


def _check_sensitive(suite_name: str, specs: list[Spec], expectations: list) -> None:
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
