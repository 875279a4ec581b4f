"""Quality against speed: the ranking metric vs median latency, one point per board entry, and its Pareto front.

An entry is Pareto-optimal when no other entry is at least as fast and at least as good, and
strictly one of them. Only entries measured under the same limits (device, CPUs, memory) are
compared: the plot takes the limits most entries ran under and lists the others apart. The
layout (``layout``) is plain geometry for a hand-written SVG template, so the web process
draws it without matplotlib or torch; the same points are the JSON (``to_json``).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from arena.core.models import Competition
from arena.services import efficiency
from arena.services.leaderboard import MAX_PAGE_SIZE, leaderboard_rows, resolve_metric
from arena.services.results import round_score

# Latencies spanning at least this ratio are drawn on a log axis.
LOG_RATIO = 30.0


@dataclass(frozen=True)
class Point:
    submission_id: int
    participant: str
    label: str
    baseline: bool
    value: float
    interval: tuple[float, float] | None
    latency_ms: float
    p95_ms: float
    comparable: bool  # ran under the plot's limits
    pareto: bool = False

    @property
    def name(self) -> str:
        return f"{self.participant} · {self.label}" if self.label else self.participant


@dataclass(frozen=True)
class Pareto:
    competition: Competition
    metric_name: str
    metric_label: str
    higher_is_better: bool
    limits: efficiency.Limits | None
    points: list[Point]
    unmeasured: int  # entries on the board without figures

    @property
    def plotted(self) -> list[Point]:
        return [p for p in self.points if p.comparable]

    @property
    def front(self) -> list[Point]:
        return sorted((p for p in self.points if p.pareto), key=lambda p: p.latency_ms)

    @property
    def log_x(self) -> bool:
        lat = [p.latency_ms for p in self.plotted if p.latency_ms > 0]
        return bool(lat) and max(lat) / min(lat) >= LOG_RATIO


def pareto_front(points: list[Point], higher_is_better: bool) -> set[int]:
    """Submission ids of the points no other point dominates (faster-or-equal and better-or-equal, one strictly)."""
    sign = -1.0 if higher_is_better else 1.0  # "goodness" as a cost: lower is better
    ordered = sorted(points, key=lambda p: (p.latency_ms, sign * p.value))
    best, front = math.inf, set()
    for p in ordered:
        if sign * p.value < best:
            front.add(p.submission_id)
            best = sign * p.value
    return front


def pareto_data(session: Session, competition: Competition) -> Pareto:
    """Every board entry with its latency (one page of up to MAX_PAGE_SIZE entries), front marked."""
    metric = resolve_metric(competition, None)
    rows = leaderboard_rows(session, competition, metric.name, limit=MAX_PAGE_SIZE)
    costs = efficiency.for_submissions(session, competition, (r.submission_id for r in rows))
    measured = [(r, costs[r.submission_id]) for r in rows
                if r.submission_id in costs and r.metrics.get(metric.name) is not None]
    groups = Counter(efficiency.limits_of(c) for _, c in measured)
    limits = groups.most_common(1)[0][0] if groups else None
    points = [
        Point(submission_id=r.submission_id, participant=r.username, label=r.label, baseline=r.is_baseline,
              value=float(r.metrics[metric.name]), interval=r.intervals.get(metric.name),
              latency_ms=float(c.latency_median_ms), p95_ms=float(c.latency_p95_ms),
              comparable=efficiency.limits_of(c) == limits)
        for r, c in measured
    ]
    front = pareto_front([p for p in points if p.comparable], metric.higher_is_better)
    points = [Point(**{**p.__dict__, "pareto": p.submission_id in front}) for p in points]
    return Pareto(competition, metric.name, metric.label, metric.higher_is_better, limits, points,
                  unmeasured=len(rows) - len(measured))


def to_json(data: Pareto) -> dict[str, Any]:
    """The plot's data as the API gives it (values at the board's precision)."""
    return {
        "competition": data.competition.slug,
        "metric": data.metric_name,
        "direction": "higher_is_better" if data.higher_is_better else "lower_is_better",
        "x": "latency_median_ms",
        "log_x": data.log_x,
        "limits": data.limits.__dict__ if data.limits else None,
        "unmeasured_entries": data.unmeasured,
        "points": [{
            "submission_id": p.submission_id, "participant": p.participant, "label": p.label,
            "baseline": p.baseline, "value": round_score(p.value),
            "interval": [round_score(p.interval[0]), round_score(p.interval[1])] if p.interval else None,
            "latency_median_ms": p.latency_ms, "latency_p95_ms": p.p95_ms,
            "spread": round(p.p95_ms / p.latency_ms, 2) if p.latency_ms else None,
            "pareto": p.pareto, "comparable": p.comparable,
        } for p in data.points],
    }


# --- layout: geometry for the SVG template ------------------------------------------------------

@dataclass
class Layout:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    font: int
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    dots: list[dict[str, Any]] = field(default_factory=list)
    front_path: str = ""


def layout(data: Pareto, width: int, height: int, font: int = 12) -> Layout:
    """Pixel positions of ticks, points, interval bars, the front and its labels.

    Better is up whatever the metric's direction; x is latency (log when it spans LOG_RATIO).
    """
    plot = Layout(width, height, left=int(font * 5), top=int(font * 1.5), right=width - int(font * 1.2),
                  bottom=height - int(font * 3.4), font=font)
    points = data.plotted
    if not points:
        return plot
    log = data.log_x
    xs = [p.latency_ms for p in points]
    lo_x, hi_x = min(xs), max(xs)
    if log:
        lo_x, hi_x = 10 ** math.floor(math.log10(lo_x) - 0.05), 10 ** math.ceil(math.log10(hi_x) + 0.05)
        fx = lambda v: (math.log10(v) - math.log10(lo_x)) / (math.log10(hi_x) - math.log10(lo_x))
        plot.x_ticks = _log_ticks(lo_x, hi_x)
    else:
        ticks = _nice_ticks(0.0, hi_x * 1.08 or 1.0)
        lo_x, hi_x = ticks[0], ticks[-1]
        fx = lambda v: (v - lo_x) / (hi_x - lo_x)
        plot.x_ticks = [(t, _fmt(t)) for t in ticks]
    ys = [v for p in points for v in ((p.interval or (p.value, p.value)) + (p.value,))]
    y_min, y_max = min(ys), max(ys)
    if y_max - y_min <= 1e-9 * max(1.0, abs(y_max)):
        # One value on the axis (a single entry without an interval): give it room, or the
        # scale below divides by zero.
        pad = abs(y_max) * 0.1 or 1.0
        y_min, y_max = y_min - pad, y_max + pad
    y_ticks = _nice_ticks(y_min, y_max)
    if len(y_ticks) < 2 or y_ticks[-1] <= y_ticks[0]:
        y_ticks = [y_min, y_max]
    lo_y, hi_y = y_ticks[0], y_ticks[-1]
    up = (lambda v: (v - lo_y) / (hi_y - lo_y)) if data.higher_is_better else (lambda v: (hi_y - v) / (hi_y - lo_y))
    px = lambda v: round(plot.left + fx(v) * (plot.right - plot.left), 1)
    py = lambda v: round(plot.bottom - up(v) * (plot.bottom - plot.top), 1)
    plot.x_ticks = [(px(v), text) for v, text in plot.x_ticks]
    plot.y_ticks = [(py(v), _fmt(v)) for v in y_ticks]
    front = data.front
    placed: list[tuple[float, float, float, float]] = []
    for p in sorted(points, key=lambda p: p.latency_ms):
        x, y = px(p.latency_ms), py(p.value)
        dot = {"x": x, "y": y, "point": p, "bar": (py(p.interval[0]), py(p.interval[1])) if p.interval else None}
        if p.pareto:
            dot["label"] = _place_label(_short(p.label or p.participant, 22), x, y, plot, placed)
        plot.dots.append(dot)
    plot.front_path = " ".join(f"{'M' if i == 0 else 'L'}{px(p.latency_ms)},{py(p.value)}" for i, p in enumerate(front))
    return plot


def _place_label(text: str, x: float, y: float, plot: Layout, placed: list) -> dict[str, Any]:
    """The first of eight spots around the point whose text box stays in the plot and clear of earlier labels.

    Text width is estimated (0.6 em per character), which is enough to keep labels apart.
    """
    font, width = plot.font, 0.6 * plot.font * len(text)
    gap = font * 0.7
    spots = [(gap, -gap * 0.6), (gap, font * 1.2), (-gap, -gap * 0.6), (-gap, font * 1.2),
             (gap, -font * 1.6), (-gap, -font * 1.6), (gap, font * 2.2), (-gap, font * 2.2)]
    fallback = None
    for dx, dy in spots:
        left = x + dx if dx > 0 else x + dx - width
        box = (left, y + dy - font, width, font * 1.2)
        inside = plot.left <= box[0] and box[0] + box[2] <= plot.right and plot.top <= box[1] and box[1] + box[3] <= plot.bottom
        clear = all(box[0] + box[2] <= b[0] or b[0] + b[2] <= box[0] or box[1] + box[3] <= b[1] or b[1] + b[3] <= box[1]
                    for b in placed)
        spot = {"x": round(x + dx, 1), "y": round(y + dy, 1), "anchor": "start" if dx > 0 else "end", "text": text}
        if inside and fallback is None:
            fallback = (spot, box)
        if inside and clear:
            placed.append(box)
            return spot
    spot, box = fallback or (spot, box)
    placed.append(box)
    return spot


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (about ``count`` of them)."""
    if high <= low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if raw <= m * step)
    start = math.floor(low / step) * step
    ticks = [start]
    while ticks[-1] < high - 1e-12 * step:
        ticks.append(ticks[-1] + step)
    return [round(t, 12) for t in ticks]


def _log_ticks(low: float, high: float) -> list[tuple[float, str]]:
    decades = range(round(math.log10(low)), round(math.log10(high)) + 1)
    many = len(decades) > 4
    ticks = []
    for d in decades:
        for m in ((1,) if many else (1, 2, 5)):
            v = m * 10.0**d
            if low <= v <= high:
                ticks.append((v, _fmt(v)))
    return ticks


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:.3g}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
