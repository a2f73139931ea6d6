"""Data-quality checks: Great Expectations suites run against the DuckDB warehouse.

``catalogue`` reads the catalogues of table checks and makes their suites, ``suites``
checks a suite, ``context`` holds the GX side (context, datasource,
batches, Data Docs), ``outcomes`` turns GX results into plain outcomes, ``runner`` runs
a suite, ``gx_duckdb`` is the one fix of GX internals. Importing this package is cheap;
Great Expectations is imported on the first :func:`run_suite` call.
"""

from cakupan.quality.outcomes import ExpectationOutcome
from cakupan.quality.runner import run_suite
from cakupan.quality.suites import load_suite

__all__ = ["ExpectationOutcome", "load_suite", "run_suite"]
