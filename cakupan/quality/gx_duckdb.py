"""The one place where cakupan adjusts Great Expectations internals to run on DuckDB.

The bug
-------
GX 1.24 runs every SQL metric through
``SqlAlchemyExecutionEngine.execute_query`` (great_expectations/execution_engine/
sqlalchemy_execution_engine.py)::

    with self.get_connection() as connection:
        result = self._execute_query_with_recovery(connection, query)
    return result          # callers then do result.fetchall() / fetchmany()

so the rows are read *after* the SQLAlchemy connection has been closed. For most
dialects ``get_connection`` is ``with self.engine.connect() as connection: yield
connection``, and closing it rolls back the transaction the duckdb-engine dialect
opened (``do_begin`` runs ``BEGIN`` on every checkout). duckdb-engine's DB-API cursor is
the DuckDB connection itself (``CursorWrapper`` delegates to the
``DuckDBPyConnection``), and a DuckDB connection holds only one pending result: the
``ROLLBACK`` replaces it. ``fetchall()`` then returns ``[]`` and
``resolve_metric_bundle`` fails on ``res[0]`` with ``IndexError``, surfaced as
``MetricResolutionError: list index out of range`` for every bundled metric
(``table.row_count``, ``column_values.nonnull.unexpected_count``, ...). Pool settings do
not help: the rollback comes from ``Connection.close()``, not from the pool's reset.

Why the patch works
-------------------
GX already has an escape hatch for dialects whose state must outlive a single
``with`` block (sqlite and SQL Server temp tables, BigQuery, Databricks): the module
constant ``_PERSISTED_CONNECTION_DIALECTS``. It is read at call time in two places:

* ``_dialect_requires_persisted_connection`` (matches ``connection_string`` /
  ``url`` / ``drivername`` against each entry's ``.value`` with ``startswith``): the
  engine is then built with ``poolclass=StaticPool``;
* ``SqlAlchemyExecutionEngine.get_connection`` (``self.dialect_name in
  _PERSISTED_CONNECTION_DIALECTS``): one SQLAlchemy connection is opened once, kept in
  ``self._connection`` and yielded without being closed.

With ``duckdb`` in that tuple nothing runs on the DuckDB connection between
``execute`` and ``fetch*``, so the result is intact. ``SqlAlchemyExecutionEngine.close()``
(``engine.dispose()``) still closes the single StaticPool connection, which releases
the DuckDB file.

The entry is a ``str`` subclass with a ``.value`` attribute because the two readers
need different things: ``"duckdb" in (...)`` (string equality) and
``entry.value`` (the ``GXSqlDialect`` interface). ``GXSqlDialect`` is an ``Enum`` and
has no DuckDB member, and adding one would change ``GXSqlDialect.get_all_dialects()``
for the rest of GX.

``apply()`` checks the internals it relies on and raises ``GXInternalsChanged`` if they
moved, so a GX upgrade fails loudly instead of silently re-introducing the bug.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["GXInternalsChanged", "apply", "is_applied"]

#: Module that holds the patched constant.
PATCHED_MODULE = "great_expectations.execution_engine.sqlalchemy_execution_engine"
#: The GX symbol this module rebinds.
PATCHED_ATTRIBUTE = "_PERSISTED_CONNECTION_DIALECTS"
DUCKDB_DIALECT = "duckdb"

_lock = threading.Lock()


class GXInternalsChanged(RuntimeError):
    """The GX internals patched by :func:`apply` are not what this module expects."""


class _DialectName(str):
    """A dialect name usable where GX expects a ``GXSqlDialect`` member.

    Compares equal to the plain string (``get_connection`` does
    ``dialect_name in _PERSISTED_CONNECTION_DIALECTS``) and exposes ``.value``
    (``_dialect_requires_persisted_connection`` does ``url.startswith(d.value)``).
    """

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)


def _module() -> Any:
    import importlib

    return importlib.import_module(PATCHED_MODULE)


def check_internals(module: Any | None = None) -> tuple[Any, ...]:
    """Return the current ``_PERSISTED_CONNECTION_DIALECTS`` after checking its shape.

    Raises:
        GXInternalsChanged: if the constant is gone or no longer a tuple of
            ``.value``-carrying dialects, or if the two functions that must read it at call
            time no longer reference it.
    """
    mod = module if module is not None else _module()
    where = f"{PATCHED_MODULE}.{PATCHED_ATTRIBUTE}"
    if not hasattr(mod, PATCHED_ATTRIBUTE):
        raise GXInternalsChanged(f"{where} no longer exists; the DuckDB fix cannot be applied")
    current = getattr(mod, PATCHED_ATTRIBUTE)
    if not isinstance(current, tuple) or not all(
        isinstance(getattr(d, "value", None), str) for d in current
    ):
        raise GXInternalsChanged(
            f"{where} is no longer a tuple of dialects with a string .value: {current!r}"
        )

    readers: dict[str, Any] = {
        "_dialect_requires_persisted_connection": getattr(
            mod, "_dialect_requires_persisted_connection", None
        ),
        "SqlAlchemyExecutionEngine.get_connection": getattr(
            getattr(mod, "SqlAlchemyExecutionEngine", None), "get_connection", None
        ),
    }
    for name, func in readers.items():
        # get_connection is a @contextmanager: the generator function sits in __wrapped__.
        code = getattr(getattr(func, "__wrapped__", func), "__code__", None)
        if code is None or PATCHED_ATTRIBUTE not in code.co_names:
            raise GXInternalsChanged(
                f"{PATCHED_MODULE}.{name} no longer reads {PATCHED_ATTRIBUTE} at call time; "
                "re-check the DuckDB fix against this GX version"
            )
    return current


def is_applied() -> bool:
    """Whether ``duckdb`` is currently registered as a persisted-connection dialect."""
    return DUCKDB_DIALECT in check_internals()


def apply() -> None:
    """Register DuckDB in GX's persisted-connection dialects. Idempotent and thread-safe.

    Must run before GX builds the SQLAlchemy engine of a DuckDB data source (the engine's
    pool class is chosen at construction). Imports GX (slow on first call).

    Raises:
        GXInternalsChanged: if the patched GX internals changed (see :func:`check_internals`).
    """
    with _lock:
        mod = _module()
        current = check_internals(mod)
        if DUCKDB_DIALECT in current:
            return
        setattr(mod, PATCHED_ATTRIBUTE, (*current, _DialectName(DUCKDB_DIALECT)))
