"""Dagster assets of cakupan, one module per stage: reference, raw, staging, coverage,
reporting. Asset keys mirror ``schema/table`` in the warehouse (reporting: the published
database)."""
