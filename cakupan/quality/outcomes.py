"""GX validation results as plain :class:`ExpectationOutcome` objects, with bounded samples
of failing rows and no personal data.

Samples are bounded by ``LIMIT``s: column-map expectations run with GX's ``SUMMARY``
result format (``partial_unexpected_count`` = :data:`SAMPLE_SIZE`); a failed
``unexpected_rows_expectation`` is re-run with ``COMPLETE`` (GX keeps at most 200 of its
rows) and :data:`SAMPLE_SIZE` rows are kept.

Personal data (:data:`cakupan.privacy.SENSITIVE_COLUMNS`: ``nik``, ``person_key``): a suite
with an expectation on such a column runs without any value sample (``BASIC`` result
format, ``partial_unexpected_count`` 0: GX fetches no unexpected value, so none reaches its
stores or the Data Docs). Samples leave those columns out, and every text (observed
value, error, sample value) goes through :func:`cakupan.privacy.redact`.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from cakupan.privacy import SENSITIVE_COLUMNS, redact
from cakupan.quality.suites import UNEXPECTED_ROWS, Severity, Spec, summary_query

SAMPLE_SIZE = 5
# Result format of a suite touching a sensitive column: counts only, no value fetched.
_NO_VALUES = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "exclude_unexpected_values": True,
}
_SUMMARY = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation, in plain Python types."""

    expectation: str
    """Readable, suite-unique id: ``meta.name`` or derived (``[A-Za-z0-9_]``)."""
    expectation_type: str
    severity: Severity
    success: bool
    observed_value: str
    """For people, in the unit of the check: ``"2 unexpected of 20 rows (10.00%)"``,
    ``"4 files"`` (``meta.unit``), ``"549 rows with an invalid NIK in 3 files (0.20% of
    275,360 rows)"`` (``meta.summary``), GX's own ``observed_value`` otherwise."""
    unexpected_count: int | None
    sample: list[dict[str, Any]] = field(default_factory=list)
    """Up to :data:`SAMPLE_SIZE` failing rows (column-map and unexpected-rows only)."""
    description: str | None = None
    error: str | None = None
    """Set when GX raised while computing the expectation (then ``success`` is False)."""
    partition: date | None = None
    """The day validated when the suite ran per day of its partition column, else None."""


def result_format(specs: list[Spec]) -> dict[str, Any]:
    """GX's result format for a suite: value samples unless it touches personal data."""
    return dict(_NO_VALUES if any(s.sensitive for s in specs) else _SUMMARY)


def outcome(spec: Spec, r: Any, partition: date | None) -> ExpectationOutcome:
    """The outcome of one GX ``ExpectationValidationResult``."""
    result: dict[str, Any] = dict(r.result or {})
    error = _error_message(r.exception_info)

    unexpected = result.get("unexpected_count")
    if spec.type == UNEXPECTED_ROWS:
        unexpected = result.get("observed_value")
    unexpected_count = int(unexpected) if isinstance(unexpected, int | float) else None

    if error is not None:
        observed = f"error: {error}"
    elif spec.type == UNEXPECTED_ROWS and unexpected_count is not None:
        observed = f"{unexpected_count:,} {_word(unexpected_count, *spec.unit)}"
    elif "observed_value" in result:
        observed = _to_text(result["observed_value"])
    elif unexpected_count is not None:
        observed = f"{unexpected_count:,} unexpected of {_count(result.get('element_count'))} rows"
        if isinstance(result.get("unexpected_percent"), int | float):
            observed += f" ({result['unexpected_percent']:.2f}%)"
        if result.get("missing_count"):
            observed += f" ({_count(result['missing_count'])} null, ignored)"
    else:
        observed = ""

    return ExpectationOutcome(
        expectation=spec.name,
        expectation_type=spec.type,
        severity=spec.severity,
        success=bool(r.success) and error is None,
        observed_value=redact(observed),
        unexpected_count=unexpected_count,
        sample=_column_map_sample(spec, result),
        description=spec.description,
        error=None if error is None else redact(error),
        partition=partition,
    )


def add_unexpected_rows_samples(
    batch_definition: Any,
    batch_parameters: dict | None,
    specs: list[Spec],
    by_name: dict[str, ExpectationOutcome],
) -> None:
    """Fetch failing rows, and the summary (``meta.summary``), of the failed
    UnexpectedRowsExpectations ``specs``.

    The suite runs with SUMMARY so column-map expectations fetch at most SAMPLE_SIZE values
    (COMPLETE would fetch *all* unexpected values); UnexpectedRowsExpectation only returns
    its rows under COMPLETE, so the failed ones are re-run with COMPLETE, together with
    their summary queries. GX streams each query and keeps at most 200 rows
    (``MAX_RESULT_RECORDS``); we keep SAMPLE_SIZE.
    """
    import great_expectations as gx

    queries = {s.query: (s, "sample") for s in specs}
    queries |= {summary_query(s): (s, "summary") for s in specs if s.summary}
    suite = gx.ExpectationSuite(
        name="_cakupan_unexpected_rows_samples",
        expectations=[
            gx.expectations.UnexpectedRowsExpectation(unexpected_rows_query=q) for q in queries
        ],
    )
    batch = batch_definition.get_batch(batch_parameters=batch_parameters)
    for r in batch.validate(suite, result_format="COMPLETE").results:
        spec, role = queries[r.expectation_config.kwargs["unexpected_rows_query"]]
        found = (r.result or {}).get("details", {}).get("unexpected_rows") or []
        rows = [row for row in found if isinstance(row, Mapping)]
        before = by_name[spec.name]
        if role == "sample":
            update = {"sample": [_jsonable_row(row) for row in rows[:SAMPLE_SIZE]]}
        else:  # a faulty summary keeps the count, and says why
            try:
                text = _summary(spec, rows, _error_message(r.exception_info))
            except ValueError as e:
                text = f"{before.observed_value} (no summary: {e})"
            update = {"observed_value": redact(text)}
        by_name[spec.name] = replace(before, **update)


class _Text(string.Formatter):
    """``str.format`` plus ``{n:|row|rows}``: the word for the count ``n``."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith("|"):
            one, _, many = format_spec[1:].partition("|")
            return _word(value, one, many or one)
        return super().format_field(value, format_spec)


def _summary(spec: Spec, rows: list[Mapping[str, Any]], error: str | None) -> str:
    """``meta.summary`` filled from the one row of ``meta.summary_query``."""
    assert spec.summary is not None
    if error:
        raise ValueError(f"summary_query failed: {error}")
    if len(rows) != 1:
        raise ValueError(f"summary_query gave {len(rows)} rows, not 1")
    try:
        return _Text().format(spec.summary[1], **rows[0])
    except (KeyError, IndexError, ValueError, TypeError) as e:
        raise ValueError(f"summary does not fit {sorted(rows[0])}: {e!r}") from e


def _word(n: Any, one: str, many: str) -> str:
    return one if n == 1 else many


def _count(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def _error_message(info: Any) -> str | None:
    """GX puts either one exception dict or a dict of them (keyed by metric) here."""
    if not isinstance(info, Mapping):
        return None
    entries: Iterable[Any] = [info] if "raised_exception" in info else info.values()
    messages = [
        str(e.get("exception_message"))
        for e in entries
        if isinstance(e, Mapping) and e.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(messages)) or None


def _column_map_sample(spec: Spec, result: Mapping[str, Any]) -> list[dict[str, Any]]:
    values = result.get("partial_unexpected_list")
    if not isinstance(values, list):
        return []
    kwargs = spec.config["kwargs"]
    out: list[dict[str, Any]] = []
    for v in values[:SAMPLE_SIZE]:
        if isinstance(v, Mapping):  # multicolumn expectations report whole rows
            out.append(_jsonable_row(v))
        elif "column_A" in kwargs and isinstance(v, list | tuple) and len(v) == 2:
            out.append(_jsonable_row({kwargs["column_A"]: v[0], kwargs["column_B"]: v[1]}))
        else:
            out.append(_jsonable_row({str(kwargs.get("column", "value")): v}))
    return out


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else str(v)
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return str(v)


def _jsonable_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A sample row without sensitive columns, its text redacted."""
    return {
        str(k): redact(v) if isinstance(v, str) else v
        for k, v in ((k, _jsonable(v)) for k, v in row.items())
        if str(k).lower() not in SENSITIVE_COLUMNS
    }


def _to_text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, default=str)
