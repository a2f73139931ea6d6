"""The briefs: one self-contained HTML page per kab/kota, per province and for the nation,
rendered from the published ``coverage.duckdb`` alone.

Layout of ``$CAKUPAN_OUTPUT_DIR/reports/`` (the latest snapshot, in Indonesian)::

    index.html            national page: every province, ranked, with links
    provinsi/61.html      a province: its kab/kota, ranked, with links
    kota/61.72.html       a kab/kota: UCJ against target, province and nation, segments,
                          trend, workers to target, ranks, Sakernas round, data quality

Each page is one file: inline CSS and SVG charts, no script, font or image to load (a
Content-Security-Policy forbids loading anything), printable on A4. Each states the run
and the snapshot it shows. The folder is rebuilt beside the old one and swapped in.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import jinja2

from cakupan.privacy import redact
from cakupan.reports import charts
from cakupan.reports.data import Published, load
from cakupan.reports.fmt import JAKARTA, Formatter
from cakupan.reports.labels import CHECKS, LABELS, STALE_AFTER_DAYS, TABLES
from cakupan.reports.swap import rebuilt

NATIONAL_PAGE = "index.html"
PROVINCE_DIR = "provinsi"
CITY_DIR = "kota"

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Written:
    """What :func:`write_reports` wrote."""

    folder: Path
    run_id: str
    snapshot: date
    cities: int
    provinces: int

    @property
    def national_page(self) -> Path:
        return self.folder / NATIONAL_PAGE


class Renderer:
    """Renders the pages of one published database in one language; ``today`` (default:
    today in Asia/Jakarta) dates the notice of a snapshot more than 40 days old."""

    def __init__(self, data: Published, lang: str = "id", today: date | None = None):
        self.data = data
        self.fmt = Formatter(lang)
        self.t = LABELS[lang]
        self.lang = lang
        self.today = today or datetime.now(JAKARTA).date()

    def stale(self, snapshot: date) -> str | None:
        """The notice of a snapshot more than ``STALE_AFTER_DAYS`` old, or None."""
        days = (self.today - snapshot).days
        if days <= STALE_AFTER_DAYS:
            return None
        return self.t["stale"].format(date=self.fmt.date(snapshot), days=self.fmt.count(days))

    def check(self, row: dict) -> dict:
        """A failed check as the page shows it: its table's and its own plain names, and
        what it found (in Indonesian from the structured columns, not the English text)."""
        key = (row["table_name"], row["expectation"])
        known = CHECKS.get(key, {})
        return {
            **row,
            "table_label": TABLES.get(row["table_name"], {}).get(self.lang, ""),
            "label": known.get(self.lang, ""),
            "observed": self._observed(row, known.get("observed")),
        }

    def _observed(self, row: dict, template: str | None) -> str:
        text = row["observed_value"] or ""
        if self.lang != "id":
            return redact(text)
        if text.startswith("error:"):
            return self.t["check_error"]
        n = row["unexpected_count"]
        fields = {
            "n": None if n is None else self.fmt.count(n),
            "value": self.fmt.count(int(text)) if text.strip().isdigit() else None,
            "latest": self.fmt.date(self.data.latest),
            "limit": self.fmt.count(STALE_AFTER_DAYS),
        }
        if template and all(fields[k] is not None for k in _placeholders(template)):
            return template.format(**fields)
        return self.t["check_failed"] if n is None else self.t["check_rows"].format(n=fields["n"])

    def _render(self, template: str, page: str, snapshot: date, root: str, **values) -> str:
        return _ENV.get_template(template).render(
            lang=self.lang,
            t=self.t,
            fmt=self.fmt,
            redact=redact,
            status=self.data.status,
            failed_checks=[self.check(c) for c in self.data.failed_checks],
            stale=self.stale(snapshot),
            stale_after=STALE_AFTER_DAYS,
            rejected=self.data.rejected,
            snapshot=snapshot,
            page=page,
            root=root,
            national=self.data.national[snapshot],
            **values,
        )

    def _labels(self) -> list[str]:
        return [self.fmt.date(s) for s in self.data.snapshots]

    def city(self, code: str, snapshot: date, root: str = "../") -> str:
        """The page of kab/kota ``code``; ``root``: the reports folder, relative to it."""
        data, t = self.data, self.t
        city = data.city(code, snapshot)
        province_code = city["province_code"]
        trend = [
            {
                "snapshot": s,
                "city": data.cities[(s, code)],
                "province": data.provinces[(s, province_code)],
                "national": data.national[s],
            }
            for s in data.snapshots
        ]
        series = [
            (city["region_name"], "city", [r["city"]["coverage_pct"] for r in trend]),
            (city["province_name"], "province", [r["province"]["coverage_pct"] for r in trend]),
            (t["indonesia"], "national", [r["national"]["coverage_pct"] for r in trend]),
            (t["target"], "target", [r["city"]["target_pct"] for r in trend]),
        ]
        segment_rows = [
            ("PU", city["covered_pu"], city["potential_pu"]),
            ("BPU", city["covered_bpu"], city["potential_bpu"]),
        ]
        # each person once in covered_total, in each segment in its row (counting rules 5-6)
        in_segments = city["covered_pu"] + city["covered_bpu"] + city["covered_jakon"]
        return self._render(
            "city.html.j2",
            f"city:{code}",
            snapshot,
            root,
            city=city,
            in_segments=in_segments,
            province=data.provinces[(snapshot, province_code)],
            ranked_in_province=data.ranked(snapshot, province_code),
            ranked_national=data.ranked(snapshot),
            trend=trend,
            trend_chart=charts.trend(t["trend"], self._labels(), series, self.fmt),
            segment_chart=charts.segments(
                t["segments"],
                segment_rows,
                self.fmt,
                legend=[
                    ("bar potential", t["legend_potential"]),
                    ("bar covered", t["legend_covered"]),
                ],
            ),
        )

    def province(self, code: str, snapshot: date, root: str = "../") -> str:
        """The page of province ``code`` with its kab/kota ranked."""
        data, t = self.data, self.t
        province = data.provinces[(snapshot, code)]
        cities = data.cities_of(code, snapshot)
        bars = [
            {
                "code": c["region_code"],
                "name": c["region_name"],
                "coverage_pct": c["coverage_pct"],
                "target_pct": c["target_pct"],
            }
            for c in cities
        ]
        series = [
            (
                province["province_name"],
                "province",
                [data.provinces[(s, code)]["coverage_pct"] for s in data.snapshots],
            ),
            (
                t["indonesia"],
                "national",
                [data.national[s]["coverage_pct"] for s in data.snapshots],
            ),
        ]
        return self._render(
            "province.html.j2",
            f"province:{code}",
            snapshot,
            root,
            province=province,
            cities=cities,
            ranking_chart=charts.ranking(
                t["ranking_cities"],
                bars,
                self.fmt,
                href=lambda b: f"{root}{CITY_DIR}/{b['code']}.html",
                legend=[("bar", t["ucj"]), ("target", t["legend_target"])],
            ),
            trend_chart=charts.trend(t["trend"], self._labels(), series, self.fmt),
        )

    def national(self, snapshot: date, root: str = "") -> str:
        """The national page with the provinces ranked."""
        data, t = self.data, self.t
        provinces = data.ranked_provinces(snapshot)
        pcts = [p["coverage_pct"] for p in provinces if p["coverage_pct"] is not None]
        provinces = [  # RANK(): 1 + the provinces with a higher UCJ %
            {
                **p,
                "rank": None
                if p["coverage_pct"] is None
                else 1 + sum(v > p["coverage_pct"] for v in pcts),
            }
            for p in provinces
        ]
        bars = [
            {
                "code": p["province_code"],
                "name": p["province_name"],
                "coverage_pct": p["coverage_pct"],
            }
            for p in provinces
        ]
        series = [
            (t["indonesia"], "national", [data.national[s]["coverage_pct"] for s in data.snapshots])
        ]
        return self._render(
            "national.html.j2",
            "national",
            snapshot,
            root,
            provinces=provinces,
            ranking_chart=charts.ranking(
                t["ranking_provinces"],
                bars,
                self.fmt,
                href=lambda b: f"{root}{PROVINCE_DIR}/{b['code']}.html",
                legend=[("bar", t["ucj"])],
            ),
            trend_chart=charts.trend(t["trend"], self._labels(), series, self.fmt),
        )


def write_reports(published: Path, folder: Path, lang: str = "id") -> Written:
    """Write every page of the latest snapshot of ``published`` into ``folder`` (rebuilt
    beside it and swapped in)."""
    data = load(published)
    renderer = Renderer(data, lang)
    snapshot = data.latest
    provinces = data.province_codes(snapshot)
    cities = sorted(code for s, code in data.cities if s == snapshot)
    with rebuilt(folder) as tmp:
        (tmp / PROVINCE_DIR).mkdir()
        (tmp / CITY_DIR).mkdir()
        _write(tmp / NATIONAL_PAGE, renderer.national(snapshot))
        for code in provinces:
            _write(tmp / PROVINCE_DIR / f"{code}.html", renderer.province(code, snapshot))
        for code in cities:
            _write(tmp / CITY_DIR / f"{code}.html", renderer.city(code, snapshot))
    return Written(folder, data.status["run_id"], snapshot, len(cities), len(provinces))


def brief_path(briefs: Path, code: str, lang: str, snapshot: str | None) -> Path:
    """``briefs/61.72.html``, ``briefs/61.72.en.html``, ``briefs/61.72_2024-12-31.html``."""
    name = code + (f"_{snapshot}" if snapshot else "") + ("" if lang == "id" else f".{lang}")
    return briefs / f"{name}.html"


def write_brief(
    published: Path,
    reports: Path,
    code: str,
    dest: Path,
    lang: str = "id",
    snapshot: str | None = None,
) -> Path:
    """Write the page of one kab/kota (``PP.KK``) or province (``PP``) to ``dest`` (any
    snapshot, any language), linking to the pages of the ``reports`` folder."""
    data = load(published)
    renderer = Renderer(data, lang)
    root = os.path.relpath(reports, dest.parent).replace(os.sep, "/") + "/"
    page = renderer.city if "." in code else renderer.province
    html = page(code, data.snapshot(snapshot), root=root)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _write(dest, html)
    return dest


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _write(path: Path, html: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
