"""Data-quality checks: Great Expectations suites run against the DuckDB warehouse.

Importing this package is cheap; Great Expectations is imported on first use.
"""

from cakupan.quality.gx_runner import ExpectationOutcome, load_suite, run_suite

__all__ = ["ExpectationOutcome", "load_suite", "run_suite"]
