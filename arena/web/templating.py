"""Jinja setup: safe Markdown, number and date filters, and values every page needs."""
from __future__ import annotations

from datetime import datetime, timezone

import markdown as markdown_lib
import nh3
from flask import Flask
from markupsafe import Markup

from arena.core.sizes import human_size
from evaluator.metrics.catalog import UNCALIBRATED_NOTE
from evaluator.metrics.optional_catalog import WEIGHT_FREE, WEIGHT_FREE_NOTE
from arena.services.leaderboard import metric_columns
from arena.services.results import SCORE_SIGNIFICANT_DIGITS, round_score

# Markdown may produce these; everything else (script, style, iframes, on* attributes) is
# stripped by nh3, so an organizer's description cannot run code in a visitor's browser.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}}


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML that is safe to embed (sanitized after rendering)."""
    html = markdown_lib.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


def format_metric(value: float | None) -> str:
    """A metric value to ``SCORE_SIGNIFICANT_DIGITS`` significant digits (thousands separated), or an em dash."""
    value = round_score(value)
    if value is None:
        return "—"
    # Exponent notation ("1.864e+04") reads badly in a table; large values get separators.
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{SCORE_SIGNIFICANT_DIGITS}g}"


def format_time(value: datetime | None) -> str:
    """A UTC timestamp as ``2026-01-31 14:05 UTC``."""
    if value is None:
        return "—"
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def iso_time(value: datetime | None) -> str:
    """A UTC timestamp in ISO 8601 (for ``<time datetime>`` and JSON)."""
    return "" if value is None else value.astimezone(timezone.utc).isoformat()


def init_app(app: Flask) -> None:
    """Register the filters and the template globals."""
    app.jinja_env.filters.update(
        markdown=render_markdown, metric=format_metric, time=format_time, iso=iso_time,
        # One size format everywhere (arena.core.sizes); ``size`` is the older name of the same filter.
        human_size=human_size, size=human_size,
    )
    app.jinja_env.globals.update(metric_columns=metric_columns, UNCALIBRATED_NOTE=UNCALIBRATED_NOTE,
                                 WEIGHT_FREE=WEIGHT_FREE, WEIGHT_FREE_NOTE=WEIGHT_FREE_NOTE)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
