"""The data-quality page opens without internet: headless Chromium with the network off
loads ``quality/index.html`` of a real run, and what the page shows is what
``quality.validation_results`` holds. GX's own Data Docs, loaded the same way, ask for
CDN files and fail: that is what the page replaces (and proves the browser is offline)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from urllib.parse import unquote, urlparse

import dagster as dg
import duckdb
import pytest
from selenium.webdriver.common.by import By

from assets.freshness import FRESHNESS_CHECK_KEYS
from cakupan.config import Settings
from cakupan.quality.catalogue import catalogues
from cakupan.quality.report_html import _Row, render
from pipelines.definitions import build_definitions
from tests.conftest import Landing, both_segments, nik, run_job

pytest_plugins = ["tests.browser"]

SNAP = "2025-06-30"


def _member(n, region="61.72", **kw):
    return [SNAP, kw.get("nik", nik(n)), "PU", region, "AKTIF", "JKK,JKM", "2020-01-01"]


@pytest.fixture(scope="module")
def warned(tmp_path_factory):
    """A small landing that publishes with WARN failures: an invalid NIK, two targets for
    one region and year, coverage above 100% in Kota Singkawang."""
    root = tmp_path_factory.mktemp("offline")
    landing = Landing(root / "landing")
    landing.workforce(
        both_segments("2024-08", "61.72", 100, 100) + both_segments("2024-08", "61.71", 1, 1)
    )
    rows = [_member(i) for i in range(150)] + [_member(950 + i, "61.71") for i in range(3)]
    rows += [_member(0, nik="6172010101900")]  # 13 digits: invalid
    landing.membership(rows)
    landing.targets([[2025, "61.72", "35"], [2025, "61.72", "36"]])
    run = run_job(landing.root, root / "output", data_docs=True)
    assert run.success
    return run


def _page_rows(browser) -> dict[tuple[str, str, str], dict]:
    """Every result row of the page, keyed by (table, expectation, snapshot)."""
    out = {}
    for section in browser.driver.find_elements(By.CSS_SELECTOR, "section[data-table]"):
        for tr in section.find_elements(By.CSS_SELECTOR, "tbody tr"):
            cells = {c.get_attribute("class"): c.text for c in tr.find_elements(By.TAG_NAME, "td")}
            key = (
                section.get_attribute("data-table"),
                tr.get_attribute("data-expectation"),
                tr.get_attribute("data-snapshot"),
            )
            assert key not in out, key
            out[key] = cells
    return out


def _expected(rows: list[dict]) -> dict[tuple[str, str, str], dict]:
    """What the page must show for rows of quality.validation_results, written out here."""
    return {
        (
            r["table_name"],
            r["expectation"],
            r["snapshot_date"].isoformat() if r["snapshot_date"] else "",
        ): {
            "expectation": r["expectation"],
            "severity": r["severity"],
            "snapshot": r["snapshot_date"].isoformat() if r["snapshot_date"] else "whole table",
            "result": "passed" if r["success"] else "FAILED",
            "observed": r["observed_value"] or "",
            "unexpected": "" if r["unexpected_count"] is None else str(r["unexpected_count"]),
        }
        for r in rows
    }


def test_page_shows_the_published_results_offline(browser, warned):
    run = warned
    page = run.settings.quality_dir / "index.html"
    loaded = browser.load(page)
    browser.screenshot("quality.png")

    assert loaded.requested == [page.resolve().as_uri()]  # the page itself, nothing else
    assert loaded.network == [] and loaded.failed == [] and loaded.console_errors == []
    assert browser.driver.find_element(By.ID, "run-id").text == run.result.run_id

    published = run.published("SELECT * FROM quality.validation_results")
    # one row per expectation of every suite (one snapshot in this landing), the
    # snapshot-age check and the published file's checks: every check of the run
    suites = [c.suite() for c in catalogues().values() if c.gx_checks]
    suite_tables = {s["meta"]["table"] for s in suites}
    by_suites = [
        r
        for r in published
        if r["table_name"] in suite_tables and r["expectation"] != "latest_snapshot_age"
    ]
    assert len(by_suites) == sum(len(s["expectations"]) for s in suites)
    assert len(published) == len(by_suites) + 1 + 8  # rows_per_snapshot, unique_key x 3, sums x 2
    assert _page_rows(browser) == _expected(published)
    # one row named outright: the invalid NIK, a WARN failure with its count
    nik_row = next(r for r in published if r["expectation"] == "no_invalid_nik")
    assert not nik_row["success"] and nik_row["unexpected_count"] == 1
    tr = browser.driver.find_element(
        By.CSS_SELECTOR,
        'section[data-table="raw.membership"] tr[data-expectation="no_invalid_nik"]',
    )
    assert tr.find_element(By.CLASS_NAME, "result").text == "FAILED"
    assert tr.find_element(By.CLASS_NAME, "unexpected").text == "1"
    assert tr.find_element(By.CLASS_NAME, "observed").text == nik_row["observed_value"]

    # the inline styles applied (browser defaults: separate borders, transparent th)
    table = browser.driver.find_element(By.CSS_SELECTOR, "table.results")
    assert table.value_of_css_property("border-collapse") == "collapse"
    th = browser.driver.find_element(By.CSS_SELECTOR, "table.results th")
    assert th.value_of_css_property("background-color") == "rgba(47, 62, 85, 1)"
    failed_cell = tr.find_element(By.TAG_NAME, "td")
    assert failed_cell.value_of_css_property("background-color") == "rgba(255, 245, 220, 1)"

    summary = browser.driver.find_element(By.ID, "summary").text
    warnings = sum(not r["success"] for r in published)
    assert f"0 blocking (ERROR) failure(s), {warnings} warning(s)" in summary


def test_dagster_check_links_to_the_page(browser, warned):
    """Each check's "data docs" is a URL (the UI renders it as a link) to the page."""
    evaluations = [  # the suites' checks (the published tables' and the snapshot age's
        # checks are not GX's)
        e
        for e in warned.result.get_asset_check_evaluations()
        if e.asset_key.path[0] != "reporting" and e.asset_check_key not in FRESHNESS_CHECK_KEYS
    ]
    page = (warned.settings.quality_dir / "index.html").resolve()
    links = {e.metadata["data docs"] for e in evaluations}
    assert links == {dg.MetadataValue.url(page.as_uri())}
    url = next(iter(links)).url
    assert urlparse(url).scheme == "file" and unquote(urlparse(url).path) == str(page)
    loaded = browser.load(url)
    assert loaded.failed == [] and loaded.console_errors == []
    assert browser.driver.find_element(By.ID, "run-id").text == warned.result.run_id


def test_gx_data_docs_need_internet(browser, warned):
    """The pages this replaces: offline, GX's Data Docs ask for CDN files that fail."""
    loaded = browser.load(warned.settings.quality_dir / "data_docs" / "index.html")
    hosts = {urlparse(u).hostname for u in loaded.network}
    assert {"cdn.jsdelivr.net", "unpkg.com", "code.jquery.com"} <= hosts
    assert {urlparse(u).hostname for u, _ in loaded.failed} >= {"code.jquery.com"}
    assert all(error.startswith("net::ERR_") for _, error in loaded.failed)


def test_blocked_run_rewrites_the_page(browser, warned, tmp_path):
    """A run blocked by an ERROR check writes its page too: its results replace those of
    the table it validated; the other tables keep the results of the run that validated them
    (the page shows what the warehouse holds now)."""
    output = tmp_path / "output"
    shutil.copytree(warned.settings.output_dir, output)
    settings = Settings(landing_dir=warned.settings.landing_dir, output_dir=str(output))
    browser.load(settings.quality_dir / "index.html")
    before = _page_rows(browser)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("UPDATE raw.targets SET region_code = '99.99' WHERE target_pct = 36")
    key = dg.AssetKey(["raw", "targets"])
    job = dg.define_asset_job(
        "targets_checks",
        selection=dg.AssetSelection.checks_for_assets(key),
        executor_def=dg.in_process_executor,
    )
    defs = dg.Definitions.merge(build_definitions(settings), dg.Definitions(jobs=[job]))
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("targets_checks").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success

    loaded = browser.load(settings.quality_dir / "index.html")
    assert loaded.network == [] and loaded.console_errors == []
    assert browser.driver.find_element(By.ID, "run-id").text == result.run_id
    rows = _page_rows(browser)
    others = {k: v for k, v in rows.items() if k[0] != "raw.targets"}
    assert others and others == {k: v for k, v in before.items() if k[0] != "raw.targets"}
    assert rows["raw.targets", "region_maps_to_a_current_kabkota", ""]["result"] == "FAILED"
    summary = browser.driver.find_element(By.ID, "summary")
    assert "1 blocking (ERROR) failure(s)" in summary.text
    assert summary.value_of_css_property("background-color") == "rgba(251, 233, 233, 1)"


def test_text_is_escaped_and_niks_masked(browser, tmp_path):
    """Values are shown as text, never as markup; a 16-digit number is masked."""
    hostile = '<script>document.title="x"</script><b>bold</b> & "q" ' + nik(7)
    row = _Row("e<1>", "WARN", date(2025, 6, 30), False, hostile, 3)
    page = tmp_path / "index.html"
    page.write_text(
        render("run<&>", {"raw.t<x>": [row]}, datetime(2025, 7, 1, tzinfo=UTC)), "utf-8"
    )
    loaded = browser.load(page)
    assert loaded.console_errors == []
    driver = browser.driver
    assert driver.find_elements(By.CSS_SELECTOR, "body script, td b") == []
    assert driver.find_element(By.ID, "run-id").text == "run<&>"
    observed = driver.find_element(By.CSS_SELECTOR, "td.observed").text
    assert observed == '<script>document.title="x"</script><b>bold</b> & "q" <16 digits>'
    assert driver.find_element(By.CSS_SELECTOR, "section").get_attribute("data-table") == (
        "raw.t<x>"
    )
    assert driver.title == "cakupan data quality - run run<&>"
