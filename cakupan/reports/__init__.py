"""Reports and exports made from the published ``coverage.duckdb`` alone (no Dagster):
per-city, province and national pages (``pages``), spreadsheet exports (``exports``), and
the run status published with the figures (``status``)."""
