"""Reports and exports made from the published ``coverage.duckdb`` alone (no Dagster, none
of the pipeline's working database): per-city, province and national pages (``pages``) and
spreadsheet exports (``exports``). The run status they show is published with the figures
(:func:`cakupan.publish.record_run_status`)."""
