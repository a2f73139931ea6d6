"""The briefs in a real browser: headless Chromium with the network off opens the pages a
real run wrote (Singkawang, Bangka Belitung, the nation). Nothing else is loaded, nothing
is logged to the console, every figure read back from the DOM equals the published table
(parsed from Indonesian format here), and the charts are drawn, with bars as long as their
values. A screenshot of each page is saved (its path is printed in the test log)."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = pytest.mark.e2e  # a process-level scenario: make test-e2e

pytest_plugins = ["tests.browser"]

LATEST = date(2025, 6, 30)

FIELDS_JS = """
return Array.from(document.querySelectorAll('[data-field]')).map(e => {
  const row = e.closest('tr');
  return {field: e.dataset.field, text: e.innerText.trim(), value: e.dataset.value ?? null,
          code: row ? row.dataset.code ?? null : null,
          segment: row ? row.dataset.segment ?? null : null,
          snapshot: row ? row.dataset.snapshot ?? null : null};
});
"""

CHARTS_JS = """
return Array.from(document.querySelectorAll('svg[data-chart]')).map(svg => {
  const box = svg.getBoundingClientRect();
  const marks = Array.from(svg.querySelectorAll('g.row rect.bar, g.series path.dot')).map(m => {
    const b = m.getBoundingClientRect();
    return {cls: m.getAttribute('class'), value: m.dataset.value, width: b.width,
            height: b.height, code: m.closest('g[data-code]')?.dataset.code ?? null};
  });
  return {name: svg.dataset.chart, width: box.width, height: box.height, marks: marks};
});
"""

END_LABELS_JS = """
return Array.from(document.querySelectorAll('svg[data-chart="trend"] text.end-label')).map(t => {
  const b = t.getBoundingClientRect();
  return {series: t.dataset.series, top: b.top, bottom: b.bottom, left: b.left,
          right: b.right, width: b.width, height: b.height};
});
"""


def parse_id(text: str) -> float | int | None:
    """An Indonesian figure: ``22,78%`` -> 22.78, ``16.684`` -> 16684, ``-`` -> None."""
    if text == "-":
        return None
    if text.endswith("%"):
        return float(text[:-1].replace(".", "").replace(",", "."))
    assert "," not in text, text
    return int(text.replace(".", ""))


def _one(run, query: str, params) -> dict:
    (row,) = run.published(query, params)
    return row


@pytest.fixture(scope="module")
def reports(sample_run):
    run, _ = sample_run
    return run, run.settings.output / "reports"


def _open(browser, path):
    loaded = browser.load(path)
    assert loaded.requested == [path.resolve().as_uri()]  # the page itself, nothing else
    assert loaded.network == [] and loaded.failed == []
    assert loaded.console_errors == []
    return browser.driver.execute_script(FIELDS_JS), browser.driver.execute_script(CHARTS_JS)


def _check_status(run, fields: list[dict]) -> list[dict]:
    """Check the data-quality fields against ops.run_status; return the other fields."""
    status = _one(run, "FROM ops.run_status", [])
    rest = []
    for f in fields:
        if f["field"] == "status":
            assert f["value"] == status["status"]
        elif f["field"] in ("checks", "checks_failed_warn", "checks_failed_error"):
            assert parse_id(f["text"]) == status[f["field"]], f
        else:
            rest.append(f)
    return rest


def _check_chart_marks(chart: dict, values: list[float | None]) -> None:
    """Drawn, non-empty, one mark per value in order, lengths proportional to values."""
    assert chart["width"] > 300 and chart["height"] > 50, chart["name"]
    marks = chart["marks"]
    assert [None if m["value"] == "" else float(m["value"]) for m in marks] == values
    for mark, value in zip(marks, values, strict=True):
        assert (mark["width"] > 0) == bool(value and value > 0), (chart["name"], mark)
    # lengths proportional to the values (bars too short to measure left out)
    ratios = [m["width"] / v for m, v in zip(marks, values, strict=True) if m["width"] >= 5]
    assert ratios, chart["name"]
    assert max(ratios) / min(ratios) < 1.02, (chart["name"], ratios)


def test_singkawang_page(browser, reports):
    run, folder = reports
    fields, charts = _open(browser, folder / "kota" / "61.72.html")
    browser.screenshot("singkawang.png")
    city = run.city("61.72", "2025-06-30")
    province = _one(
        run,
        "FROM reporting.coverage_by_province WHERE snapshot_date = ? AND province_code = '61'",
        [LATEST],
    )
    national = _one(run, "FROM reporting.coverage_national WHERE snapshot_date = ?", [LATEST])
    ranked = _one(
        run,
        "SELECT count(rank_national) AS national, "
        "count(rank_national) FILTER (province_code = '61') AS province "
        "FROM reporting.coverage_by_city WHERE snapshot_date = ?",
        [LATEST],
    )
    headline = {
        "province_coverage_pct": province["coverage_pct"],
        "national_coverage_pct": national["coverage_pct"],
        "ranked_in_province": ranked["province"],
        "ranked_national": ranked["national"],
    }
    checked = 0
    for f in _check_status(run, fields):
        name = f["field"]
        if f["snapshot"]:  # the trend table
            snap = date.fromisoformat(f["snapshot"])
            if name == "province_coverage_pct":
                expected = _one(
                    run,
                    "SELECT coverage_pct FROM reporting.coverage_by_province "
                    "WHERE snapshot_date = ? AND province_code = '61'",
                    [snap],
                )["coverage_pct"]
            elif name == "national_coverage_pct":
                expected = _one(
                    run,
                    "SELECT coverage_pct FROM reporting.coverage_national WHERE snapshot_date = ?",
                    [snap],
                )["coverage_pct"]
            else:
                expected = run.city("61.72", f["snapshot"])[name]
        elif name == "workforce_period":
            assert f["value"] == city["workforce_period"] == "2024-08"
            continue
        else:
            expected = headline[name] if name in headline else city[name]
        assert parse_id(f["text"]) == expected, f
        checked += 1
    assert checked >= 30  # 13 headline and segment figures, 7 per snapshot
    # the figures, as a person reads them
    text = browser.driver.find_element("css selector", "#headline").text
    assert "22,78%" in text and "16.684" in text and "73.236" in text

    charts = {c["name"]: c for c in charts}
    assert set(charts) == {"segments", "trend"}
    segments = charts["segments"]
    _check_chart_marks(
        segments,
        [
            float(v)
            for v in (
                city["potential_pu"],
                city["covered_pu"],
                city["potential_bpu"],
                city["covered_bpu"],
            )
        ],
    )
    trend = charts["trend"]
    assert trend["width"] > 300 and len(trend["marks"]) == 4 * 2  # 4 series x 2 snapshots
    assert {float(m["value"]) for m in trend["marks"]} >= {city["coverage_pct"]}
    # the names at the ends of the lines, as drawn: none overlaps another (the province's
    # and the nation's lines lie on top of each other near 0%)
    boxes = browser.driver.execute_script(END_LABELS_JS)
    assert [b["series"] for b in boxes] == ["city", "province", "national", "target"]
    for i, a in enumerate(boxes):
        assert a["height"] > 5 and a["width"] > 20, a
        for b in boxes[i + 1 :]:
            apart = a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
            assert apart or a["right"] <= b["left"] or b["right"] <= a["left"], (a, b)


def test_bangka_belitung_province_page(browser, reports):
    run, folder = reports
    fields, charts = _open(browser, folder / "provinsi" / "19.html")
    browser.screenshot("bangka_belitung.png")
    province = _one(
        run,
        "FROM reporting.coverage_by_province WHERE snapshot_date = ? AND province_code = '19'",
        [LATEST],
    )
    national = _one(run, "FROM reporting.coverage_national WHERE snapshot_date = ?", [LATEST])
    cities = {
        c["region_code"]: c
        for c in run.published(
            "FROM reporting.coverage_by_city WHERE snapshot_date = ? AND province_code = '19'",
            [LATEST],
        )
    }
    seen = set()
    for f in _check_status(run, fields):
        name, code = f["field"], f["code"]
        if code:
            seen.add(code)
            row = cities[code]
            if name == "region_name":
                assert f["text"] == row["region_name"]
                continue
            assert parse_id(f["text"]) == row[name], f
        else:
            expected = national["coverage_pct"] if name.startswith("national") else province[name]
            assert parse_id(f["text"]) == expected, f
    assert seen == set(cities) and len(cities) == 7
    assert "19.71" in seen  # Pangkalpinang

    (ranking,) = [c for c in charts if c["name"] == "ranking"]
    ordered = sorted(cities.values(), key=lambda c: (c["rank_in_province"], c["region_code"]))
    assert [m["code"] for m in ranking["marks"]] == [c["region_code"] for c in ordered]
    _check_chart_marks(ranking, [c["coverage_pct"] for c in ordered])
    # a bar links to the city's page
    link = browser.driver.find_element("css selector", 'svg[data-chart="ranking"] a')
    assert link.get_dom_attribute("href") == f"../kota/{ordered[0]['region_code']}.html"


def test_national_page(browser, reports):
    run, folder = reports
    fields, charts = _open(browser, folder / "index.html")
    browser.screenshot("national.png")
    national = _one(run, "FROM reporting.coverage_national WHERE snapshot_date = ?", [LATEST])
    provinces = {
        p["province_code"]: p
        for p in run.published(
            "SELECT *, rank() OVER (ORDER BY coverage_pct DESC) AS rank "
            "FROM reporting.coverage_by_province WHERE snapshot_date = ?",
            [LATEST],
        )
    }
    seen = set()
    for f in _check_status(run, fields):
        name, code = f["field"], f["code"]
        if code:
            seen.add(code)
            if name == "province_name":
                assert f["text"] == provinces[code]["province_name"]
                continue
            assert parse_id(f["text"]) == provinces[code][name], f
        elif name == "provinces":
            assert parse_id(f["text"]) == len(provinces) == 38
        else:
            assert parse_id(f["text"]) == national[name], f
    assert seen == set(provinces)

    (ranking,) = [c for c in charts if c["name"] == "ranking"]
    ordered = sorted(provinces.values(), key=lambda p: (-p["coverage_pct"], p["province_code"]))
    assert [m["code"] for m in ranking["marks"]] == [p["province_code"] for p in ordered]
    _check_chart_marks(ranking, [p["coverage_pct"] for p in ordered])
