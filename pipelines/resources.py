"""Dagster resources of cakupan."""

from __future__ import annotations

from contextlib import contextmanager

import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource


class Warehouse(DuckDBResource):
    """The pipeline's working DuckDB database (``$CAKUPAN_OUTPUT_DIR/warehouse.duckdb``).

    Same as ``DuckDBResource``, except that the connection is closed when the block raises
    too (dagster-duckdb 0.29 leaves it open, and DuckDB then refuses connections with
    another configuration to the same file for the rest of the process).
    """

    @contextmanager
    def get_connection(self):
        con = backoff(
            fn=duckdb.connect,
            retry_on=(RuntimeError, duckdb.IOException),
            kwargs={
                "database": self.database,
                "read_only": False,
                "config": {"custom_user_agent": "cakupan", **self.connection_config},
            },
            max_retries=10,
        )
        try:
            yield con
        finally:
            con.close()
