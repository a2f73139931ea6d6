"""The briefs: rendered by a real run of the job over the embedded sample, from the
published ``coverage.duckdb`` alone. Figures on the pages are compared with the published
tables through a formatter written here (not the one under test), and with the sample's
known figures (Singkawang 61.72: UCJ 22.78%, 16,684 covered of 73,236)."""

from __future__ import annotations

import math
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cakupan.reports.data import PublishedDatabaseError, load
from cakupan.reports.fmt import Formatter
from cakupan.reports.pages import Renderer, write_brief, write_reports
from cakupan.reports.swap import rebuilt
from pipelines.cli import main

LATEST = date(2025, 6, 30)


# --- an independent formatter: Indonesian numbers as the issue spells them -----------------


def id_count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}".replace(",", ".")


def id_pct(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") + "%"


def test_formatter_examples():
    f = Formatter("id")
    assert f.pct(22.78) == "22,78%"
    assert f.count(16684) == "16.684"
    assert f.count(1234567) == "1.234.567"
    assert f.count(-1234567) == "-1.234.567"
    assert f.pct(-0.5) == "-0,50%"
    assert f.pct(5) == "5,00%"
    assert f.pct(1234.5) == "1.234,50%"
    assert f.count(0) == "0"
    assert f.count(None) == f.pct(None) == f.date(None) == f.period(None) == "-"
    assert f.date(date(2025, 6, 30)) == "30 Juni 2025"
    assert f.period("2024-08") == "Agustus 2024"
    e = Formatter("en")
    assert (e.pct(22.78), e.count(16684), e.count(-1234567)) == ("22.78%", "16,684", "-1,234,567")
    assert e.date(date(2025, 6, 30)) == "30 June 2025"
    with pytest.raises(ValueError, match="language 'fr'"):
        Formatter("fr")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_formatter_counts_match_an_independent_rule(n):
    assert Formatter("id").count(n) == id_count(n)
    assert Formatter("en").count(n) == f"{n:,}"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_formatter_percentages_of_two_decimals(cents):
    value = cents / 100  # published percentages carry 2 decimals
    assert Formatter("id").pct(value) == id_pct(value)
    assert Formatter("en").pct(value) == f"{value:,.2f}%"


# --- reading the pages -------------------------------------------------------------------


class Fields(HTMLParser):
    """Text of every element with a ``data-field`` (first occurrence per section and row),
    and the attributes of the body, rows and links."""

    def __init__(self, html: str):
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.fields: list[tuple[tuple, str, str]] = []  # (row context, field, text)
        self.body: dict = {}
        self.links: list[str] = []
        self._open: list[list] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag in ("meta", "br", "line", "rect", "circle", "polyline"):
            return
        self.stack.append((tag, attrs))
        if "data-field" in attrs:
            self._open.append([self._context(), attrs["data-field"], "", len(self.stack)])

    def handle_endtag(self, tag):
        if not self.stack or tag in ("meta", "br", "line", "rect", "circle", "polyline"):
            return
        depth = len(self.stack)
        while self._open and self._open[-1][3] == depth:
            context, name, text, _ = self._open.pop()
            self.fields.append((context, name, " ".join(text.split())))
        self.stack.pop()

    def handle_data(self, data):
        for item in self._open:
            item[2] += data

    def _context(self) -> tuple:
        keys = ("data-code", "data-segment", "data-snapshot")
        return tuple((k, a[k]) for tag, a in self.stack if tag != "body" for k in keys if k in a)

    def at(self, name: str, **context) -> str:
        wanted = tuple((f"data-{k}", v) for k, v in context.items())
        found = [t for c, n, t in self.fields if n == name and c == wanted]
        assert found, (name, context)
        return found[0]


def page(path: Path) -> Fields:
    return Fields(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample(sample_run):
    run, instance = sample_run
    return run, instance, run.settings.output / "reports"


def _row(run, table: str, where: str, params) -> dict:
    rows = run.published(f"SELECT * FROM reporting.{table} WHERE {where}", params)
    assert len(rows) == 1
    return rows[0]


def test_run_status_is_published(sample):
    run, _, _ = sample
    (status,) = run.published("SELECT * FROM ops.run_status")
    results = run.published("SELECT * FROM quality.validation_results")
    assert status["run_id"] == run.result.run_id
    assert status["checks"] == len(results) > 0
    assert status["checks_failed_warn"] == sum(not r["success"] for r in results) >= 1
    assert status["checks_failed_error"] == 0 and status["rejected_files"] == 0
    assert status["status"] == "WARN"  # the sample's invalid NIKs fail a WARN check
    assert status["snapshots"] == [date(2024, 12, 31), LATEST]
    assert status["latest_snapshot"] == LATEST
    assert status["started_at"] is not None
    assert status["started_at"] <= status["published_at"]
    # the embedded sample declares itself (data/sample/landing/cakupan-sample.json)
    assert (status["sample"], status["landing_label"]) == (True, "embedded sample (synthetic)")
    assert run.published("SELECT * FROM ops.rejected_files") == []
    comments = run.published(
        "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'ops'"
    )
    assert {r["table_name"] for r in comments} == {"run_status", "rejected_files"}
    assert all(r["comment"] for r in comments), comments


def test_city_page_shows_the_published_figures(sample):
    run, _, reports = sample
    html = (reports / "kota" / "61.72.html").read_text(encoding="utf-8")
    p = Fields(html)
    city = run.city("61.72", "2025-06-30")
    province = _row(
        run, "coverage_by_province", "snapshot_date = ? AND province_code = '61'", [LATEST]
    )
    national = _row(run, "coverage_national", "snapshot_date = ?", [LATEST])
    # the sample's known figures, spelled as the issue spells them
    assert p.at("coverage_pct") == "22,78%"
    assert p.at("covered_total") == "16.684"
    assert p.at("potential_total") == "73.236"
    assert p.at("uncovered") == "56.552"
    # every other figure against the published tables
    assert p.at("target_pct") == id_pct(city["target_pct"])
    assert p.at("province_coverage_pct") == id_pct(province["coverage_pct"])
    assert p.at("national_coverage_pct") == id_pct(national["coverage_pct"])
    assert p.at("workers_to_target") == id_count(city["workers_to_target"])
    assert p.at("rank_in_province") == id_count(city["rank_in_province"])
    assert p.at("rank_national") == id_count(city["rank_national"])
    ranked = run.published(
        "SELECT count(rank_national) AS n, count(rank_national) FILTER (province_code = '61') "
        "AS p FROM reporting.coverage_by_city WHERE snapshot_date = ?",
        [LATEST],
    )[0]
    assert (p.at("ranked_national"), p.at("ranked_in_province")) == (
        id_count(ranked["n"]),
        id_count(ranked["p"]),
    )
    assert p.at("workforce_period") == "Agustus 2024" and city["workforce_period"] == "2024-08"
    for segment, covered, potential, pct in (
        ("PU", "covered_pu", "potential_pu", "pu_coverage_pct"),
        ("BPU", "covered_bpu", "potential_bpu", "bpu_coverage_pct"),
    ):
        assert p.at(covered, segment=segment) == id_count(city[covered])
        assert p.at(potential, segment=segment) == id_count(city[potential])
        assert p.at(pct, segment=segment) == id_pct(city[pct])
    assert p.at("covered_jakon", segment="JAKON") == id_count(city["covered_jakon"])
    assert p.at("covered_pmi", segment="PMI") == id_count(city["covered_pmi"])
    # the trend: one row per snapshot, the city's, its province's and the nation's UCJ
    for snap in ("2024-12-31", "2025-06-30"):
        c = run.city("61.72", snap)
        prov = _row(
            run,
            "coverage_by_province",
            "snapshot_date = CAST(? AS DATE) AND province_code = '61'",
            [snap],
        )
        nat = _row(run, "coverage_national", "snapshot_date = CAST(? AS DATE)", [snap])
        assert p.at("coverage_pct", snapshot=snap) == id_pct(c["coverage_pct"])
        assert p.at("province_coverage_pct", snapshot=snap) == id_pct(prov["coverage_pct"])
        assert p.at("national_coverage_pct", snapshot=snap) == id_pct(nat["coverage_pct"])
        assert p.at("covered_total", snapshot=snap) == id_count(c["covered_total"])
    # the run and snapshot it shows, and its data quality
    assert p.body["data-run-id"] == run.result.run_id
    assert p.body["data-snapshot"] == "2025-06-30"
    assert 'lang="id"' in html and "30 Juni 2025" in html
    assert p.at("status") == (
        "PERINGATAN: ada pemeriksaan yang gagal, tetapi tidak memblokir penerbitan"
    )
    assert 'data-expectation="no_invalid_nik"' in html
    assert "Tidak ada berkas yang ditolak." in html
    # the charts: inline SVG with one mark per figure
    assert html.count('<svg class="chart" data-chart="segments"') == 1
    assert html.count('<svg class="chart" data-chart="trend"') == 1
    assert f'data-value="{city["covered_pu"]}"' in html
    assert f'data-value="{city["coverage_pct"]}"' in html


def test_every_page_is_written_self_contained_and_states_run_and_snapshot(sample):
    run, _, reports = sample
    codes = {
        r["region_code"]
        for r in run.published(
            "SELECT region_code FROM reporting.coverage_by_city WHERE snapshot_date = ?", [LATEST]
        )
    }
    provinces = {
        r["province_code"]
        for r in run.published("SELECT DISTINCT province_code FROM reporting.coverage_by_province")
    }
    assert len(codes) == 514 and len(provinces) == 38
    assert {p.stem for p in (reports / "kota").glob("*.html")} == codes
    assert {p.stem for p in (reports / "provinsi").glob("*.html")} == provinces
    pages = [reports / "index.html", *reports.glob("provinsi/*.html"), *reports.glob("kota/*.html")]
    assert sorted(p.name for p in reports.iterdir()) == ["index.html", "kota", "provinsi"]
    head = f'data-run-id="{run.result.run_id}" data-snapshot="2025-06-30" data-lang="id"'
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert head in html, path
        assert "<script" not in html and " src=" not in html, path
        assert not re.search(r'href="(https?:|//)', html), path
        assert "Content-Security-Policy" in html, path
        for link in re.findall(r'href="([^"]+)"', html):
            assert (path.parent / link).resolve().is_file(), (path, link)


def test_province_page_ranks_and_links_its_cities(sample):
    run, _, reports = sample
    p = page(reports / "provinsi" / "19.html")
    cities = run.published(
        "SELECT * FROM reporting.coverage_by_city WHERE snapshot_date = ? "
        "AND province_code = '19' ORDER BY rank_in_province, region_code",
        [LATEST],
    )
    assert cities[0]["region_code"] == "19.71"  # Pangkalpinang: 41.23%, the best of 19
    rows = [dict(c)["data-code"] for c, n, _ in p.fields if n == "rank_in_province"]
    assert rows == [c["region_code"] for c in cities]
    for c in cities:
        code = c["region_code"]
        assert p.at("coverage_pct", code=code) == id_pct(c["coverage_pct"])
        assert p.at("covered_total", code=code) == id_count(c["covered_total"])
        assert p.at("potential_total", code=code) == id_count(c["potential_total"])
        assert p.at("rank_in_province", code=code) == id_count(c["rank_in_province"])
        assert p.at("region_name", code=code) == c["region_name"]
    assert {f"../kota/{c['region_code']}.html" for c in cities} <= set(p.links)
    province = _row(
        run, "coverage_by_province", "snapshot_date = ? AND province_code = '19'", [LATEST]
    )
    assert p.at("coverage_pct") == id_pct(province["coverage_pct"])
    assert p.at("covered_total") == id_count(province["covered_total"])


def test_national_page_ranks_and_links_the_provinces(sample):
    run, _, reports = sample
    p = page(reports / "index.html")
    provinces = run.published(
        "SELECT *, rank() OVER (ORDER BY coverage_pct DESC) AS rank "
        "FROM reporting.coverage_by_province WHERE snapshot_date = ? "
        "ORDER BY coverage_pct DESC, province_code",
        [LATEST],
    )
    rows = [dict(c)["data-code"] for c, n, _ in p.fields if n == "rank"]
    assert rows == [r["province_code"] for r in provinces]
    assert rows[0] == "31"  # DKI Jakarta: its five kota are all main cities in the sample
    for r in provinces:
        assert p.at("rank", code=r["province_code"]) == id_count(r["rank"])
        assert p.at("coverage_pct", code=r["province_code"]) == id_pct(r["coverage_pct"])
    assert {f"provinsi/{r['province_code']}.html" for r in provinces} <= set(p.links)
    national = _row(run, "coverage_national", "snapshot_date = ?", [LATEST])
    assert p.at("coverage_pct") == id_pct(national["coverage_pct"])
    assert p.at("potential_total") == id_count(national["potential_total"])


def test_briefs_asset_links_the_pages_and_previews_the_city_table(sample):
    run, instance, reports = sample
    event = instance.get_latest_materialization_event(dg.AssetKey(["reports", "briefs"]))
    metadata = event.asset_materialization.metadata
    assert metadata["national page"].value == (reports / "index.html").resolve().as_uri()
    assert metadata["snapshot"].value == "2025-06-30"
    assert metadata["published by run"].value == run.result.run_id
    assert metadata["city pages"].value == 514
    preview = metadata["top 25 kab/kota (2025-06-30)"].value
    (first,) = run.published(
        "SELECT region_code, region_name, province_name, coverage_pct "
        "FROM reporting.coverage_by_city WHERE snapshot_date = '2025-06-30' "
        "AND rank_national = 1"
    )
    # Kota Tangerang, industrial: (605,701 + 87,901 + 4,664) / 709,411 in the files: 98.43%
    assert first["region_code"] == "36.71"
    line = f"| 1 | 36.71 | {first['region_name']} | {first['province_name']} | 98.43 |"
    assert first["coverage_pct"] == 98.43 and line in preview


def test_cli_brief_english_and_other_snapshot(sample, capsys):
    run, _, reports = sample
    output = str(run.settings.output)
    before = sorted(p.relative_to(reports) for p in reports.rglob("*"))
    assert main(["brief", "61.72", "--lang", "en", "--output", output]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == (run.settings.output / "briefs" / "61.72.en.html").resolve()
    p = page(path)
    assert p.body["data-lang"] == "en" and p.body["data-run-id"] == run.result.run_id
    assert (p.at("coverage_pct"), p.at("covered_total")) == ("22.78%", "16,684")
    assert p.at("workforce_period") == "August 2024"
    for link in p.links:  # to the province and national pages of the nightly folder
        assert (path.parent / link).resolve().is_file(), link
    # the nightly folder is left as it was: no English page in it
    assert sorted(p.relative_to(reports) for p in reports.rglob("*")) == before

    assert main(["brief", "61.72", "--snapshot", "2024-12-31", "--output", output]) == 0
    path = Path(capsys.readouterr().out.strip())
    p = page(path)
    old = run.city("61.72", "2024-12-31")
    assert p.body["data-snapshot"] == "2024-12-31"
    assert p.at("coverage_pct") == id_pct(old["coverage_pct"]) != "22,78%"
    assert p.at("covered_total") == id_count(old["covered_total"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["61.99"], "no kab/kota '61.99'"),
        (["61.72", "--snapshot", "2024-12-30"], "snapshot 2024-12-30 is not published"),
        (["61.72", "--snapshot", "30-12-2024"], "snapshot '30-12-2024' is not a date"),
    ],
)
def test_cli_brief_errors(sample, capsys, args, message):
    run, _, _ = sample
    assert main(["brief", *args, "--output", str(run.settings.output)]) == 1
    assert message in capsys.readouterr().err


def test_brief_needs_the_published_tables(tmp_path):
    with pytest.raises(PublishedDatabaseError, match="does not exist yet"):
        load(tmp_path / "coverage.duckdb")
    with duckdb.connect(str(tmp_path / "coverage.duckdb")) as con:  # an older publication
        con.execute("CREATE SCHEMA reporting; CREATE TABLE reporting.coverage_by_city (x INT)")
    with pytest.raises(PublishedDatabaseError, match="lacks reporting.coverage_by_province"):
        write_brief(tmp_path / "coverage.duckdb", tmp_path, "61.72", tmp_path / "b.html")


def test_rebuilt_folder_replaces_the_old_one_whole_or_not_at_all(tmp_path):
    target = tmp_path / "reports"
    target.mkdir()
    (target / "old.html").write_text("old")
    (tmp_path / ".reports.dead.tmp").mkdir()  # left by a killed build
    with pytest.raises(RuntimeError), rebuilt(target) as new:
        (new / "half.html").write_text("half")
        raise RuntimeError("failed while writing")
    assert [p.name for p in target.iterdir()] == ["old.html"]
    with rebuilt(target) as new:
        (new / "new.html").write_text("new")
        assert (target / "old.html").exists()  # the old one stays until the swap
    assert [p.name for p in target.iterdir()] == ["new.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_reports_rewritten_from_the_published_file_only(sample, tmp_path):
    """Pages are made from coverage.duckdb alone: a copy of it elsewhere gives the same."""
    run, _, reports = sample
    copy = tmp_path / "coverage.duckdb"
    copy.write_bytes(run.settings.published_path.read_bytes())
    written = write_reports(copy, tmp_path / "reports")
    assert (written.cities, written.provinces, written.snapshot) == (514, 38, LATEST)
    for name in ("index.html", "provinsi/19.html", "kota/61.72.html"):
        assert _dated((tmp_path / "reports" / name).read_text()) == _dated(
            (reports / name).read_text()
        )


def _dated(html: str) -> str:
    """A page without its notice of the data's age (in days on the day it was written: the
    run may have been written before midnight in Jakarta, and this after)."""
    return re.sub(r'<div class="notice" id="data-age".*?</div>', "", html, flags=re.S)


def test_pages_of_a_small_landing_with_missing_figures(tmp_path):
    """One snapshot; Pangkalpinang has members but no Sakernas round and no target: its
    page says so instead of inventing figures, and every page is still written."""
    from tests.conftest import Landing, both_segments, nik, run_job

    landing = Landing(tmp_path / "landing")
    landing.workforce(both_segments("2024-08", "61.72", 300, 100))
    landing.membership(
        [["2025-06-30", nik(i), "PU", "61.72", "AKTIF", "JKK,JKM", ""] for i in range(50)]
        + [["2025-06-30", nik(900 + i), "BPU", "19.71", "AKTIF", "JKK,JKM", ""] for i in range(7)]
    )
    landing.targets([[2025, "61.72", "20"]])
    run = run_job(landing.root, tmp_path / "output")
    assert run.success
    reports = run.settings.output / "reports"
    assert len(list((reports / "kota").glob("*.html"))) == 514

    p = page(reports / "kota" / "61.72.html")
    assert (p.at("coverage_pct"), p.at("covered_total"), p.at("potential_total")) == (
        "12,50%",  # 50 of 400, by hand
        "50",
        "400",
    )
    assert (p.at("target_pct"), p.at("workers_to_target")) == ("20,00%", "30")  # 80 - 50
    assert (p.at("rank_in_province"), p.at("ranked_in_province")) == ("1", "1")
    html = (reports / "kota" / "61.72.html").read_text(encoding="utf-8")
    assert "PU + BPU + JAKON = jumlah tercakup (50): tidak ada orang yang dihitung" in html

    html = (reports / "kota" / "19.71.html").read_text(encoding="utf-8")
    p = Fields(html)
    assert (p.at("coverage_pct"), p.at("covered_total"), p.at("potential_total")) == (
        "-",
        "7",
        "-",
    )
    assert p.at("target_pct") == "tanpa target"
    assert p.at("workforce_period") == "tidak ada putaran Sakernas"
    assert "tanpa peringkat (tidak ada potensi)" in html
    p = page(reports / "provinsi" / "19.html")
    assert p.at("coverage_pct") == "-" and p.at("covered_total") == "7"
    p = page(reports / "index.html")
    assert p.at("coverage_pct", code="61") != "-" and p.at("coverage_pct", code="19") == "-"


# --- the charts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lo, hi, count, ticks, texts",
    [  # by hand: the step is the smallest of 1, 2, 5 x 10^k at least (hi - lo) / count
        (0, 0.07, 4, [0, 0.02, 0.04, 0.06, 0.08], ["0,00%", "0,02%", "0,04%", "0,06%", "0,08%"]),
        (0, 0.3, 4, [0, 0.1, 0.2, 0.3], ["0,0%", "0,1%", "0,2%", "0,3%"]),
        (0, 0.3, 5, [0, 0.1, 0.2, 0.3], ["0,0%", "0,1%", "0,2%", "0,3%"]),
        (20, 25, 4, [20, 22, 24, 26], ["20%", "22%", "24%", "26%"]),
        (20, 25, 5, [20, 21, 22, 23, 24, 25], ["20%", "21%", "22%", "23%", "24%", "25%"]),
        (0, 100, 5, [0, 20, 40, 60, 80, 100], ["0%", "20%", "40%", "60%", "80%", "100%"]),
        (0, 22.78, 4, [0, 10, 20, 30], ["0%", "10%", "20%", "30%"]),
        # a constant series (one point): widened by a tenth of its value, 22.78 +- 2.278
        (22.78, 22.78, 4, [20, 22, 24, 26], ["20%", "22%", "24%", "26%"]),
        (
            0.07,
            0.07,
            4,
            [0.06, 0.065, 0.07, 0.075, 0.08],
            ["0,060%", "0,065%", "0,070%", "0,075%", "0,080%"],
        ),
        (0, 0, 4, [0, 0.5, 1], ["0,0%", "0,5%", "1,0%"]),  # all zero: 0 to 1, not below 0
    ],
)
def test_axis_ticks_are_round_and_distinct(lo, hi, count, ticks, texts):
    from cakupan.reports.charts import nice_scale

    axis = nice_scale(lo, hi, count)
    assert axis.ticks == pytest.approx(ticks)
    assert axis.texts(Formatter("id"), pct=True) == texts


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**8),
    st.integers(min_value=0, max_value=10**8),
    st.integers(min_value=2, max_value=8),
    st.booleans(),
)
def test_axis_ticks_cover_the_range_at_a_round_step_with_distinct_labels(a, b, count, integer):
    """Any range of published values (2 decimals)."""
    from cakupan.reports.charts import nice_scale

    lo, hi = min(a, b) / 100, max(a, b) / 100
    axis = nice_scale(lo, hi, count, integer)
    assert axis.lo <= lo and axis.hi >= hi
    steps = {round(y - x, 9) for x, y in zip(axis.ticks, axis.ticks[1:], strict=False)}
    assert len(steps) == 1 and len(axis.ticks) >= 2
    (step,) = steps
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    assert round(mantissa, 6) in (1, 2, 5)
    assert not integer or step >= 1
    for lang in ("id", "en"):
        for pct in (True, False):
            texts = axis.texts(Formatter(lang), pct)
            assert len(set(texts)) == len(texts), texts


def test_counts_axis_has_whole_steps():
    """Counts of 0 to 3 are not drawn as 0, 0,6, 1,2, ... (nor rounded to 0 0 1 1 2)."""
    from cakupan.reports.charts import segments

    chart = segments("s", [("PU", 1, 3), ("BPU", 0, 2)], Formatter("id"))
    assert [t.text for t in chart.ticks] == ["0", "1", "2", "3"]


def test_trend_of_small_values_has_distinct_labels():
    from cakupan.reports.charts import trend

    chart = trend("t", ["a", "b"], [("Indonesia", "national", [0.05, 0.07])], Formatter("id"))
    texts = [t.text for t in chart.ticks]
    assert texts == ["0,00%", "0,02%", "0,04%", "0,06%", "0,08%"]


def test_trend_lines_that_overlap_stay_readable():
    """Series on top of each other: each has its own dash and marker, and the names at the
    ends of the lines are at least a font height apart, within the chart."""
    from cakupan.reports.charts import FONT_HEIGHT, trend

    series = [
        ("Kota Singkawang", "city", [21.58, 22.78]),
        ("Kalimantan Barat", "province", [0.07, 0.07]),
        ("Indonesia", "national", [0.07, 0.07]),
        ("Target", "target", [0.0, 0.0]),
    ]
    chart = trend("t", ["31 Desember 2024", "30 Juni 2025"], series, Formatter("id"))
    assert [s.name for s in chart.series] == [name for name, _, _ in series]
    assert len({(s.dash, s.shape) for s in chart.series}) == 4
    assert len({s.dash for s in chart.series}) == 4 and len({s.shape for s in chart.series}) == 4
    ends = sorted(s.end_y for s in chart.series)
    assert all(b - a >= FONT_HEIGHT for a, b in zip(ends, ends[1:], strict=False)), ends
    assert chart.y1 <= ends[0] and ends[-1] <= chart.y0
    city = chart.series[0]
    assert city.end_y == city.points[-1].y  # a label with room stays at its line's end
    # two identical series: the second label moves, by at least the font height
    twins = trend("t", ["a"], [("A", "city", [5.0]), ("B", "province", [5.0])], Formatter("id"))
    a, b = twins.series
    assert abs(a.end_y - b.end_y) >= FONT_HEIGHT
    assert (a.dash, a.shape) != (b.dash, b.shape)


def test_spread_keeps_labels_apart_and_in_bounds():
    from cakupan.reports.charts import spread

    assert spread([100, 100, 100], 13, 0, 200) == [100, 113, 126]
    assert spread([200, 200, 50], 13, 0, 200) == [187, 200, 50]  # pushed up at the bottom
    assert spread([10, 190], 13, 0, 200) == [10, 190]  # far apart: left where they are


def test_singkawang_trend_chart_is_readable(sample):
    """On the page: distinct axis labels; the province and nation (both near 0%) have their
    own dash and marker and end labels a font height apart; a legend names every line."""
    _, _, reports = sample
    html = (reports / "kota" / "61.72.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg class="chart" data-chart="trend".*?</svg>', html, re.S).group(0)
    axis = re.search(r'<g class="axis">(.*?)</g>', svg, re.S).group(1)
    ticks = re.findall(r'text-anchor="end">([^<]+)</text>', axis)
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks), ticks
    styles = re.findall(
        r'<g class="series" data-series="(\w+)" data-dash="([^"]*)" '
        r'data-marker="(\w+)"',
        svg,
    )
    assert [s for s, _, _ in styles] == ["city", "province", "national", "target"]
    assert len({(d, m) for _, d, m in styles}) == 4
    ends = {
        s: float(y)
        for y, s in re.findall(
            r'<text class="end-label" x="[\d.]+" y="([\d.]+)" '
            r'data-series="(\w+)">',
            svg,
        )
    }
    assert abs(ends["province"] - ends["national"]) >= 11  # the charts' font: 11 px
    legend = re.search(r'<g class="legend">(.*?)</g>', svg, re.S).group(1)
    for name in ("Kota Singkawang", "Kalimantan Barat", "Indonesia", "Target"):
        assert f">{name}</text>" in legend


# --- what the briefs explain -------------------------------------------------------------


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_segments_note_says_why_they_do_not_add_up(sample):
    """Singkawang: PU 11.104 + BPU 5.290 + JAKON 395 = 16.789, 105 more than the 16.684
    covered (by hand, from the issue's figures)."""
    run, _, reports = sample
    html = (reports / "kota" / "61.72.html").read_text(encoding="utf-8")
    note = re.search(r'<p class="note" id="segments-note"([^>]*)>(.*?)</p>', html, re.S)
    assert 'data-sum="16789" data-extra="105"' in note.group(1)
    assert note.group(2).startswith(
        "PU + BPU + JAKON = 16.789, 105 lebih banyak dari jumlah tercakup (16.684). "
        "Orang yang terdaftar di lebih dari satu segmen dihitung sekali dalam jumlah tercakup, "
        "di wilayah utamanya (wilayah PU-nya;"
    )
    section = re.search(r'<section id="segments">.*?</section>', html, re.S).group(0)
    assert section.index("</table>") < section.index('id="segments-note"')  # beside the table
    english = Renderer(load(run.settings.published_path), "en").city("61.72", LATEST)
    assert (
        "PU + BPU + JAKON = 16,789, 105 more than the covered total (16,684). A person "
        "registered in more than one segment counts once in the covered total, in their home "
        "region (their PU region;" in english
    )


@pytest.mark.parametrize(
    "today, lang, notice",
    [  # ages by hand from 30 June 2025: 1 year (365 days) to 30 June 2026, + 160 to 7 Dec
        (date(2026, 12, 7), "id", "Data per 30 Juni 2025, 525 hari yang lalu"),
        (date(2026, 12, 7), "en", "Data as of 30 June 2025, 525 days ago"),
        (date(2025, 8, 10), "id", "Data per 30 Juni 2025, 41 hari yang lalu"),  # 31 + 10
        (date(2025, 8, 9), "id", None),  # 40 days: not yet
        (date(2025, 7, 1), "en", None),
    ],
)
def test_notice_of_old_data_at_the_top(sample, today, lang, notice):
    run, _, _ = sample
    html = Renderer(load(run.settings.published_path), lang, today=today).city("61.72", LATEST)
    found = re.search(r'<div class="notice" id="data-age"[^>]*><strong>(.*?)\.</strong>', html)
    if notice is None:
        assert found is None and 'id="data-age"' not in html
    else:
        assert found and found.group(1) == notice
        assert html.index('id="data-age"') < html.index('id="headline"')  # at the top


def test_notice_limit_is_the_freshness_checks():
    from assets.freshness import MAX_SNAPSHOT_AGE
    from cakupan.reports.labels import STALE_AFTER_DAYS

    assert STALE_AFTER_DAYS == MAX_SNAPSHOT_AGE.days


ENGLISH = [
    "rows",
    "row",
    "invalid",
    "files",
    "file",
    "more than",
    "latest snapshot",
    "days",
    "old",
    "within",
    "checks",
    "failed",
    "warning",
    "WARN",
    "ERROR",
    "of",
]


def test_indonesian_quality_section_speaks_indonesian(sample):
    """The sample's failed checks: no English word and no English number, internal names
    only in code font beside their plain names."""
    run, _, reports = sample
    html = (reports / "kota" / "61.72.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="quality">.*?</section>', html, re.S).group(0)
    text = _text(re.sub(r"<code>[^<]*</code>", " ", section))
    for word in ENGLISH:
        assert not re.search(rf"\b{word}\b", text, re.I), (word, text)
    assert not re.search(r"\d,\d{3}", text), text
    (failed,) = run.published(
        "SELECT unexpected_count FROM quality.validation_results "
        "WHERE expectation = 'no_invalid_nik' AND NOT success"
    )
    assert failed["unexpected_count"] == 549  # the sample's (test_quality_checks recounts it)
    row = re.search(r'<tr data-expectation="no_invalid_nik".*?</tr>', section, re.S).group(0)
    assert "<code>raw.membership</code>" in row and "<code>no_invalid_nik</code>" in row
    assert "NIK terdiri dari 16 digit" in row
    assert '<td class="observed">549 baris dengan NIK tidak valid</td>' in row
    row = re.search(r'<tr data-expectation="latest_snapshot_age".*?</tr>', section, re.S).group(0)
    assert "posisi data terakhir 30 Juni 2025: lebih dari 40 hari" in row
    # the English brief keeps the pipeline's sentence
    english = Renderer(load(run.settings.published_path), "en").city("61.72", LATEST)
    assert "549 rows with an invalid NIK in 3 files (0.20% of 275,360 rows)" in english


def test_observed_value_of_other_checks_in_indonesian(sample):
    run, _, _ = sample
    r = Renderer(load(run.settings.published_path), "id")
    row = {
        "table_name": "raw.workforce",
        "expectation": "potential_change_within_30_pct",
        "observed_value": "1,234 changes of more than 30%",
        "unexpected_count": 1234,
    }
    assert r.check(row)["observed"] == "1.234 perubahan lebih dari 30% antarputaran"
    unknown = {
        "table_name": "raw.other",
        "expectation": "new_check",
        "observed_value": "12,345 rows bad",
        "unexpected_count": 12345,
    }
    assert r.check(unknown)["observed"] == "12.345 baris tidak sesuai"
    assert r.check({**unknown, "unexpected_count": None})["observed"] == "pemeriksaan tidak lolos"
    errored = {**unknown, "observed_value": "error: Catalog Error: no table"}
    assert (
        r.check(errored)["observed"] == "pemeriksaan tidak dapat dijalankan (rinciannya di log run)"
    )
    count = {
        "table_name": "coverage.coverage_by_city",
        "expectation": "all_514_kabkota",
        "observed_value": "1028",
        "unexpected_count": None,
    }
    assert r.check(count)["observed"] == "1.028 baris kab/kota (seharusnya 514)"


def test_every_check_has_plain_names_in_both_languages(sample):
    """Every check of the GX suites (expectations/*.yml), the published file's checks,
    latest_snapshot_age, and every check the sample's run recorded."""
    from assets.checks import published_specs
    from assets.freshness import NAME, TABLE
    from cakupan.quality.catalogue import catalogues
    from cakupan.reports.labels import CHECKS, TABLES

    run, _, _ = sample
    known = {
        (table, e["meta"]["name"])
        for table, catalogue in catalogues().items()
        for e in catalogue.suite()["expectations"]
    }
    assert len(known) >= 20
    known |= {(".".join(s.asset_key.path), s.name) for s in published_specs()}
    known.add((TABLE, NAME))
    recorded = run.published(
        "SELECT DISTINCT table_name, expectation FROM quality.validation_results"
    )
    known |= {(r["table_name"], r["expectation"]) for r in recorded}
    for table, expectation in known:
        labels = CHECKS.get((table, expectation), {})
        assert labels.get("id") and labels.get("en") and labels.get("observed"), (
            table,
            expectation,
        )
        assert TABLES[table]["id"] and TABLES[table]["en"], table
    assert set(CHECKS) == known  # no label of a check that does not exist
