"""Dagster resources of cakupan."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource

from pipelines import runlock


class Warehouse(DuckDBResource):
    """The pipeline's working DuckDB database (``$CAKUPAN_OUTPUT_DIR/warehouse.duckdb``).

    Same as ``DuckDBResource``, except that:

    - a run that uses it holds the run lock of the database's folder from its first step to
      its last (``pipelines.runlock``): one run at a time, whether started by ``cakupan
      run``, the schedule, the UI or ``dagster job execute``;
    - the connection is closed when the block raises too (dagster-duckdb 0.29 leaves it
      open, and DuckDB then refuses connections with another configuration to the same
      file for the rest of the process).
    """

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        log, run_id = context.log, context.run.run_id if context.run else None
        with runlock.hold(
            Path(self.database).parent, run_id, on_wait=log.warning if log else None
        ) as held:
            if context.instance is not None:
                abandoned = runlock.fail_abandoned_run(context.instance, held.previous)
                if abandoned and log:
                    log.warning(f"run {abandoned} had been killed: marked failed")
            with super().yield_for_execution(context) as resource:
                yield resource

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
