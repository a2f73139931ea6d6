"""The offline data-quality page, ``$CAKUPAN_OUTPUT_DIR/quality/index.html``.

One table per validated warehouse table, from ``quality.validation_results`` of the run.
The page is self-contained: inline CSS, no script, font, image or link to load, and a
Content-Security-Policy that forbids loading anything, so it reads the same without internet.
GX Data Docs (``quality/data_docs``) load Bootstrap, jQuery and Vega from CDNs and render
empty offline. Rendered with Jinja2 (autoescaped); observed values are redacted like
every other text meant for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import jinja2

from cakupan.files import atomic_write
from cakupan.privacy import redact

PAGE_NAME = "index.html"
_STAGES = ("raw", "staging", "coverage", "reporting")
_TEMPLATE = "report.html.j2"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class _Row:
    expectation: str
    severity: str
    snapshot: date | None
    success: bool
    observed_value: str
    unexpected_count: int | None


def page_path(quality_dir: Path) -> Path:
    """Where the page of a quality folder is."""
    return quality_dir / PAGE_NAME


def write_page(con: duckdb.DuckDBPyConnection, quality_dir: Path, run_id: str) -> Path:
    """(Re)write the page from the rows of ``quality.validation_results`` (each table's
    current results: a snapshot not validated again keeps those of the run that validated
    it), headed by ``run_id`` (the whole run: its ingest run's id)."""
    cursor = con.execute(
        "SELECT table_name, expectation, severity, snapshot_date, success, observed_value, "
        "unexpected_count FROM quality.validation_results "
        "ORDER BY table_name, expectation, snapshot_date NULLS FIRST"
    )
    tables: dict[str, list[_Row]] = {}
    for table, *values in cursor.fetchall():
        tables.setdefault(table, []).append(_Row(*values))
    html = render(run_id, tables, datetime.now(UTC))
    quality_dir.mkdir(parents=True, exist_ok=True)
    target = page_path(quality_dir)
    with atomic_write(target, encoding="utf-8") as handle:
        handle.write(html)
    return target


def render(run_id: str, tables: dict[str, list[_Row]], generated: datetime) -> str:
    """The page's HTML: tables in pipeline order (raw, staging, coverage), then by name."""

    def order(name: str) -> tuple[int, str]:
        stage = name.split(".")[0]
        return (_STAGES.index(stage) if stage in _STAGES else len(_STAGES), name)

    sections = [
        {
            "table": name,
            "rows": tables[name],
            "failed_error": sum(not r.success and r.severity == "ERROR" for r in tables[name]),
            "failed_warn": sum(not r.success and r.severity != "ERROR" for r in tables[name]),
        }
        for name in sorted(tables, key=order)
    ]
    return _ENV.get_template(_TEMPLATE).render(
        run_id=run_id,
        generated=generated.strftime("%Y-%m-%d %H:%M:%S UTC"),
        sections=sections,
        checks=sum(len(rows) for rows in tables.values()),
        failed_error=sum(s["failed_error"] for s in sections),
        failed_warn=sum(s["failed_warn"] for s in sections),
        redact=redact,
    )
