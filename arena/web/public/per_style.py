"""Per-style pages: the heatmap (entries × styles) and one style's leaderboard.

The table behind both (``arena.services.per_style.style_table``) reads every entry's per-pair
values, so it is built once per board target and served from the app cache; handlers only
slice it. The submission page's per-style section reads one evaluation through the template
global ``per_style_of``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, redirect, render_template, request, url_for

from arena.core.models import Competition, Evaluation
from arena.services.per_style import (
    SET_METRIC_MIN_REFERENCES,
    DatasetStyles,
    EntryStyles,
    StyleTable,
    default_metric,
    evaluation_style_sets,
    evaluation_styles,
    per_pair_columns,
    style_table,
)
from arena.web.board_version import board_version, cached_board_for_visitors, max_age
from arena.web.cache import app_cache
from arena.web.db_session import get_session, get_settings
from arena.web.public.board import parse_page
from arena.web.public.queries import competition_or_404, viewer
from evaluator.metrics.catalog import METRICS, PER_PAIR_METRICS, MetricInfo
from evaluator.metrics.per_style_sets import FID_MIN_IMAGES, KID_MIN_IMAGES

SET_METRIC_THRESHOLDS = {"fid": FID_MIN_IMAGES, "kid": KID_MIN_IMAGES}

bp = Blueprint("per_style", __name__)

ROWS_PER_PAGE = 50
HEAT_LEVELS = 5  # CSS classes heat-0 (best of its column) .. heat-4 (worst)


@dataclass(frozen=True)
class Heatmap:
    """One page of heatmap rows and each cell's colour level (submission id -> level per style)."""

    table: StyleTable
    metric: MetricInfo
    rows: tuple[EntryStyles, ...]
    page: int
    pages: int
    levels: dict[int, tuple[int | None, ...]]
    ranks: dict[int, tuple[int | None, ...]]


def _table(comp: Competition) -> StyleTable | None:
    # Keyed like the main board: a new hidden version or scorer never reads an older table.
    key = ("per-style", comp.id, comp.hidden_dataset_id, comp.scorer_version)
    return app_cache().get_or_set(key, lambda: style_table(get_session(), get_settings(), comp),
                                  keep=lambda t: t is not None, version=board_version(comp.slug), ttl=max_age())


def _metric(comp: Competition) -> MetricInfo:
    name = request.args.get("metric") or default_metric(comp)
    if name not in PER_PAIR_METRICS:
        # Only per-pair metrics have per-style values; an unknown name falls back, it never errors.
        name = default_metric(comp)
    return METRICS[name]


def _level(rank: int | None, ranked: int) -> int | None:
    if rank is None:
        return None
    return 0 if ranked <= 1 else round((HEAT_LEVELS - 1) * (rank - 1) / (ranked - 1))


@bp.get("/competitions/<slug>/styles")
@cached_board_for_visitors
def heatmap(slug: str):
    """Entries (rows, main-board order) × styles (columns); a cell is the style's mean, coloured by rank."""
    comp = competition_or_404(get_session(), slug, viewer())
    metric = _metric(comp)
    if request.args.get("style"):
        # The style picker is a plain GET form; its choice becomes the style's own URL.
        return redirect(url_for("per_style.style_board", slug=slug, style=request.args.get("style", type=int) or 1,
                                metric=metric.name))
    table = _table(comp)
    heat = None
    if table is not None:
        ranks = table.ranks[metric.name]
        pages = max(1, -(-len(table.entries) // ROWS_PER_PAGE))
        page = min(parse_page(request.args.get("page")), pages)
        offset = (page - 1) * ROWS_PER_PAGE
        shown = table.entries[offset:offset + ROWS_PER_PAGE]
        by_rank = {e.row.submission_id: tuple(col.get(e.row.submission_id) for col in ranks) for e in shown}
        levels = {sid: tuple(_level(r, len(ranks[i])) for i, r in enumerate(rs)) for sid, rs in by_rank.items()}
        heat = Heatmap(table, metric, shown, page, pages, levels, by_rank)
    return render_template("per_style_heatmap.html", competition=comp, heat=heat, metric=metric,
                           columns=per_pair_columns(), min_references=SET_METRIC_MIN_REFERENCES)


@bp.get("/competitions/<slug>/styles/<int:style>")
@cached_board_for_visitors
def style_board(slug: str, style: int):
    """One style's leaderboard: the board's entries ranked by their mean on that style's pairs."""
    comp = competition_or_404(get_session(), slug, viewer())
    metric = _metric(comp)
    table = _table(comp)
    if table is None or not 1 <= style <= len(table.styles.styles):
        abort(404)
    index = style - 1
    # Paged like the heatmap: a board of thousands of entries is not one page (nor one phone screen).
    ranked = table.style_board(metric.name, index)
    pages = max(1, -(-len(ranked) // ROWS_PER_PAGE))
    page = min(parse_page(request.args.get("page")), pages)
    rows = ranked[(page - 1) * ROWS_PER_PAGE:page * ROWS_PER_PAGE]
    return render_template("per_style_board.html", competition=comp, table=table, metric=metric,
                           style=table.styles.styles[index], index=index, rows=rows, page=page, pages=pages,
                           entries=len(ranked), columns=per_pair_columns(), min_references=SET_METRIC_MIN_REFERENCES)


@bp.app_template_global()
def per_style_columns() -> tuple[MetricInfo, ...]:
    """The per-pair metrics, for the submission page's per-style section."""
    return per_pair_columns()


@bp.app_context_processor
def _threshold() -> dict[str, int]:
    return {"SET_METRIC_MIN_REFERENCES": SET_METRIC_MIN_REFERENCES, "SET_METRIC_THRESHOLDS": SET_METRIC_THRESHOLDS}


@bp.app_template_global()
def per_style_sets_of(evaluation: Evaluation, styles: DatasetStyles):
    """Per style its stored FID/KID (``StyleSets`` or None), or None when the scorer did not compute them."""
    return evaluation_style_sets(evaluation, styles)


@bp.app_template_global()
def per_style_of(evaluation: Evaluation | None) -> tuple[DatasetStyles, dict] | None:
    """An evaluation's styles and per-style statistics for its submission page (None: nothing to show)."""
    if evaluation is None:
        return None
    return evaluation_styles(get_settings(), evaluation)
