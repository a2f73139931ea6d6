"""Chart geometry for the pages' inline SVG (drawn by ``templates/charts.html.j2``): plain
SVG, no script, readable in print. Every mark carries its value (``data-value``) and a
``<title>`` with the formatted figure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cakupan.reports.fmt import Formatter

WIDTH = 680
LABEL_WIDTH = 200  # room for the names, left of the bars
VALUE_WIDTH = 110  # room for the value, right of the longest bar
ROW = 20
BAR = 13
TOP = 26  # room for the axis above the bars
LEGEND = 22  # room for the legend below the bars


@dataclass
class Tick:
    position: float
    text: str


@dataclass
class Bar:
    label: str
    value: float | None
    text: str
    x: float
    y: float
    width: float
    height: float
    css: str = "bar"
    href: str | None = None
    code: str | None = None
    highlight: bool = False
    target: float | None = None  # x of the target marker
    target_text: str | None = None
    show_label: bool = True
    show_value: bool = True


@dataclass
class BarChart:
    title: str
    width: int
    height: int
    x0: float
    x1: float
    top: float
    ticks: list[Tick]
    bars: list[Bar]
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, text)


@dataclass
class Point:
    x: float
    y: float
    value: float
    text: str


@dataclass
class Series:
    name: str
    css: str
    points: list[Point]
    legend_x: float = 0

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass
class LineChart:
    title: str
    width: int
    height: int
    x0: float
    x1: float
    y0: float
    y1: float
    ticks: list[Tick]
    labels: list[Tick]
    series: list[Series]


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (steps of 1, 2, 2.5 or 5 x 10^k)."""
    top = top if top > 0 else 1
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in (1, 2, 2.5, 5, 10) if s * magnitude >= raw)
    steps = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def _scale_text(fmt: Formatter, value: float, pct: bool) -> str:
    decimals = 0 if float(value).is_integer() else 1
    return fmt.pct(value, decimals) if pct else fmt.count(round(value))


def ranking(
    title: str, rows: list[dict], fmt: Formatter, highlight: str | None = None, href=None, legend=()
) -> BarChart:
    """Horizontal bars of ``coverage_pct`` per row (a kab/kota or a province), highest first,
    with the row's target marked when it has one. ``rows``: dicts with ``code``, ``name``,
    ``coverage_pct`` and optionally ``target_pct``."""
    values = [r["coverage_pct"] for r in rows] + [r.get("target_pct") for r in rows]
    ticks = nice_ticks(max((v for v in values if v is not None), default=0))
    x0, x1 = LABEL_WIDTH, WIDTH - VALUE_WIDTH
    scale = (x1 - x0) / ticks[-1]
    bars = []
    for i, row in enumerate(rows):
        pct, target = row["coverage_pct"], row.get("target_pct")
        bars.append(
            Bar(
                label=row["name"],
                value=pct,
                text=fmt.pct(pct),
                x=x0,
                y=TOP + i * ROW + (ROW - BAR) / 2,
                width=0 if pct is None else max(pct * scale, 0.5),
                height=BAR,
                href=href(row) if href else None,
                code=row["code"],
                highlight=row["code"] == highlight,
                target=None if target is None else x0 + target * scale,
                target_text=None if target is None else fmt.pct(target),
            )
        )
    return BarChart(
        title=title,
        width=WIDTH,
        height=int(TOP + len(rows) * ROW + 6 + (LEGEND if legend else 0)),
        x0=x0,
        x1=x1,
        top=TOP,
        ticks=[Tick(x0 + t * scale, _scale_text(fmt, t, pct=True)) for t in ticks],
        bars=bars,
        legend=list(legend),
    )


def segments(
    title: str, rows: list[tuple[str, int | None, int | None]], fmt: Formatter, legend=()
) -> BarChart:
    """Covered against potential per segment: ``rows`` of (segment, covered, potential);
    the potential as a pale bar, the covered as a dark bar over it."""
    values = [v for _, covered, potential in rows for v in (covered, potential) if v is not None]
    ticks = nice_ticks(max(values, default=0))
    x0, x1 = 90, WIDTH - 200
    scale = (x1 - x0) / ticks[-1]
    bars, height = [], 2 * BAR + 8
    for i, (segment, covered, potential) in enumerate(rows):
        y = TOP + i * (height + 10)
        for value, css, dy, h in (
            (potential, "potential", 0, height),
            (covered, "covered", (height - BAR) / 2, BAR),
        ):
            bars.append(
                Bar(
                    label=segment,
                    value=value,
                    text=fmt.count(value)
                    if css == "potential"
                    else f"{fmt.count(covered)} / {fmt.count(potential)}",
                    x=x0,
                    y=y + dy,
                    width=0 if value is None else max(value * scale, 0.5),
                    height=h,
                    css=f"bar {css}",
                    code=segment,
                    show_label=css == "potential",
                    show_value=css == "covered",
                )
            )
    return BarChart(
        title=title,
        width=WIDTH,
        height=int(TOP + len(rows) * (height + 10) + (LEGEND if legend else 0)),
        x0=x0,
        x1=x1,
        top=TOP,
        ticks=[Tick(x0 + t * scale, _scale_text(fmt, t, pct=False)) for t in ticks],
        bars=bars,
        legend=list(legend),
    )


def trend(
    title: str, labels: list[str], series: list[tuple[str, str, list[float | None]]], fmt: Formatter
) -> LineChart:
    """UCJ % per snapshot: ``series`` of (name, css class, one value per label or None)."""
    values = [v for _, _, vs in series for v in vs if v is not None]
    ticks = nice_ticks(max(values, default=0), 4)
    width, height = WIDTH, 250
    x0, x1, y0, y1 = 60, WIDTH - 40, height - 50, 16  # y0: the baseline (0%)
    step = (x1 - x0) / max(len(labels) - 1, 1)
    xs = [x0 + i * step for i in range(len(labels))] if len(labels) > 1 else [(x0 + x1) / 2]
    yscale = (y0 - y1) / ticks[-1]
    drawn = [
        Series(
            name,
            css,
            [
                Point(xs[i], y0 - v * yscale, v, fmt.pct(v))
                for i, v in enumerate(vs)
                if v is not None
            ],
        )
        for name, css, vs in series
    ]
    return LineChart(
        title=title,
        width=width,
        height=height,
        x0=x0,
        x1=x1,
        y0=y0,
        y1=y1,
        ticks=[Tick(y0 - t * yscale, _scale_text(fmt, t, pct=True)) for t in ticks],
        labels=[Tick(x, text) for x, text in zip(xs, labels, strict=True)],
        series=_legend([s for s in drawn if s.points], x0),
    )


def _legend(series: list[Series], x: float) -> list[Series]:
    """Place the legend entries one after another (about 6.5 px per character)."""
    for s in series:
        s.legend_x = x
        x += 20 + 6.5 * len(s.name) + 18
    return series
