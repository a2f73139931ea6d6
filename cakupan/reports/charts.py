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
    dash: str = ""  # stroke-dasharray; "" is a solid line
    shape: str = "circle"  # the marker of each point
    legend_x: float = 0
    end_y: float = 0  # the baseline-centre of the name at the end of the line
    end_label: str = ""

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    def marker(self, x: float, y: float, r: float = 4) -> str:
        return marker(self.shape, x, y, r)


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


@dataclass(frozen=True)
class Scale:
    """Axis ticks at a round step, and the decimals their labels need to differ."""

    ticks: list[float]
    decimals: int

    @property
    def lo(self) -> float:
        return self.ticks[0]

    @property
    def hi(self) -> float:
        return self.ticks[-1]

    def texts(self, fmt: Formatter, pct: bool) -> list[str]:
        if pct:
            return [fmt.pct(t, self.decimals) for t in self.ticks]
        return [fmt.number(t, self.decimals) for t in self.ticks]


def nice_scale(lo: float, hi: float, count: int = 5, integer: bool = False) -> Scale:
    """Ticks from at most ``lo`` to at least ``hi``, about ``count`` intervals of 1, 2 or 5
    x 10^k (at least 1 when ``integer``), labelled with the decimals of the step, so every
    label differs. An empty range (a constant series, one point) is widened around it, not
    below 0 when it is not negative."""
    lo, hi = min(lo, hi), max(lo, hi)
    if hi == lo:
        pad = abs(lo) / 10 or 1
        lo, hi = (lo - pad if lo - pad >= 0 or lo < 0 else 0), hi + pad
    raw = (hi - lo) / count
    exponent = math.floor(math.log10(raw))
    mantissa = next((m for m in (1, 2, 5) if m * 10**exponent >= raw * (1 - 1e-9)), 10)
    if mantissa == 10:
        mantissa, exponent = 1, exponent + 1
    if integer and exponent < 0:
        mantissa, exponent = 1, 0
    decimals = max(0, -exponent)
    step = mantissa * 10**exponent
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return Scale([round(i * step, decimals + 1) for i in range(first, last + 1)], decimals)


def ranking(
    title: str, rows: list[dict], fmt: Formatter, highlight: str | None = None, href=None, legend=()
) -> BarChart:
    """Horizontal bars of ``coverage_pct`` per row (a kab/kota or a province), highest first,
    with the row's target marked when it has one. ``rows``: dicts with ``code``, ``name``,
    ``coverage_pct`` and optionally ``target_pct``."""
    values = [r["coverage_pct"] for r in rows] + [r.get("target_pct") for r in rows]
    axis = nice_scale(0, max((v for v in values if v is not None), default=0))
    x0, x1 = LABEL_WIDTH, WIDTH - VALUE_WIDTH
    scale = (x1 - x0) / axis.hi
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
        ticks=_ticks(axis, fmt, True, lambda t: x0 + t * scale),
        bars=bars,
        legend=list(legend),
    )


def segments(
    title: str, rows: list[tuple[str, int | None, int | None]], fmt: Formatter, legend=()
) -> BarChart:
    """Covered against potential per segment: ``rows`` of (segment, covered, potential);
    the potential as a pale bar, the covered as a dark bar over it."""
    values = [v for _, covered, potential in rows for v in (covered, potential) if v is not None]
    axis = nice_scale(0, max(values, default=0), integer=True)
    x0, x1 = 90, WIDTH - 200
    scale = (x1 - x0) / axis.hi
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
        ticks=_ticks(axis, fmt, False, lambda t: x0 + t * scale),
        bars=bars,
        legend=list(legend),
    )


def _ticks(axis: Scale, fmt: Formatter, pct: bool, position) -> list[Tick]:
    return [
        Tick(position(t), text) for t, text in zip(axis.ticks, axis.texts(fmt, pct), strict=True)
    ]


# Each series of a trend is told apart without its colour: its own dash and marker.
STYLES = {  # css class: (stroke-dasharray, marker)
    "city": ("", "circle"),
    "province": ("7 4", "square"),
    "national": ("2 3", "diamond"),
    "target": ("10 3 2 3", "triangle"),
}
OTHER_STYLES = [("4 2 4 6", "circle"), ("1 5", "square")]
FONT_HEIGHT = 11  # px, the charts' text
END_LABEL_GAP = FONT_HEIGHT + 2  # least distance between two end-of-line labels
END_LABEL_CHARS = 24  # longer names are shortened with an ellipsis


def marker(shape: str, x: float, y: float, r: float = 4) -> str:
    """SVG path data of a marker centred on (x, y)."""
    if shape == "square":
        r *= 0.85
        return f"M{x - r:.1f},{y - r:.1f}h{2 * r:.1f}v{2 * r:.1f}h{-2 * r:.1f}Z"
    if shape == "diamond":
        r *= 1.2
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}L{x - r:.1f},{y:.1f}Z"
    if shape == "triangle":
        r *= 1.15
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y + 0.8 * r:.1f}L{x - r:.1f},{y + 0.8 * r:.1f}Z"
    return f"M{x - r:.1f},{y:.1f}a{r},{r} 0 1,0 {2 * r:.1f},0a{r},{r} 0 1,0 {-2 * r:.1f},0Z"


def spread(wanted: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Positions as near as may be to ``wanted`` (in its order when equal), each at least
    ``gap`` from the others and within ``lo``..``hi`` when there is room."""
    order = sorted(range(len(wanted)), key=lambda i: (wanted[i], i))
    placed = [wanted[i] for i in order]
    for k in range(1, len(placed)):  # push down the ones too close to the one above
        placed[k] = max(placed[k], placed[k - 1] + gap)
    if placed and placed[-1] > hi:  # then up from the bottom, as far as the top allows
        placed[-1] = max(hi, lo + gap * (len(placed) - 1))
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    result = [0.0] * len(wanted)
    for k, i in enumerate(order):
        result[i] = placed[k]
    return result


def trend(
    title: str, labels: list[str], series: list[tuple[str, str, list[float | None]]], fmt: Formatter
) -> LineChart:
    """UCJ % per snapshot: ``series`` of (name, css class, one value per label or None).
    The y axis runs from 0; each series has its own dash and marker, and its name at the
    end of its line (names moved apart where lines meet)."""
    values = [v for _, _, vs in series for v in vs if v is not None]
    axis = nice_scale(min(values + [0]), max(values, default=0), 4)
    width, height = WIDTH, 250
    x0, x1, y0, y1 = 60, WIDTH - 180, height - 50, 16  # y0: the bottom of the axis
    step = (x1 - x0) / max(len(labels) - 1, 1)
    xs = [x0 + i * step for i in range(len(labels))] if len(labels) > 1 else [(x0 + x1) / 2]
    yscale = (y0 - y1) / (axis.hi - axis.lo)

    def y(value: float) -> float:
        return y0 - (value - axis.lo) * yscale

    others = iter(OTHER_STYLES * len(series))
    drawn = []
    for name, css, vs in series:
        points = [Point(xs[i], y(v), v, fmt.pct(v)) for i, v in enumerate(vs) if v is not None]
        if points:
            dash, shape = STYLES.get(css) or next(others)
            drawn.append(Series(name, css, points, dash=dash, shape=shape))
    ends = spread([s.points[-1].y for s in drawn], END_LABEL_GAP, y1, y0)
    for s, end in zip(drawn, ends, strict=True):
        s.end_y = end
        s.end_label = _shorten(s.name, END_LABEL_CHARS)
    return LineChart(
        title=title,
        width=width,
        height=height,
        x0=x0,
        x1=x1,
        y0=y0,
        y1=y1,
        ticks=_ticks(axis, fmt, True, y),
        labels=[Tick(x, text) for x, text in zip(xs, labels, strict=True)],
        series=_legend(drawn, x0),
    )


def _shorten(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _legend(series: list[Series], x: float) -> list[Series]:
    """Place the legend entries one after another (about 6.5 px per character)."""
    for s in series:
        s.legend_x = x
        x += 30 + 6.5 * len(s.name) + 18
    return series
