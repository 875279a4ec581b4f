"""The private board of a finalized competition (issue 15): final standings, public rank and shake-up.

Before finalize the page says when the private board is published and shows no number of the
private part (``arena.services.private_board.private_board`` refuses to read one).
"""
from __future__ import annotations

from flask import jsonify, render_template

from arena.services.leaderboard import resolve_metric
from arena.services.private_board import NotFinalized, private_board
from arena.services.results import round_score
from arena.web.cache import cached_for_visitors
from arena.web.db_session import get_session
from arena.web.public import bp
from arena.web.public.queries import competition_or_404, viewer


@bp.get("/competitions/<slug>/private")
@cached_for_visitors
def private_board_page(slug: str):
    """The finalized private board, or a notice of when it will be published."""
    session = get_session()
    comp = competition_or_404(session, slug, viewer())
    try:
        standings = private_board(session, comp)
    except NotFinalized:
        return render_template("private_board.html", competition=comp, standings=None,
                               metric=resolve_metric(comp, None)), 404
    return render_template("private_board.html", competition=comp, standings=standings,
                           metric=resolve_metric(comp, None))


@bp.get("/competitions/<slug>/private.json")
@cached_for_visitors
def private_board_json(slug: str):
    """The finalized private board as JSON (404 before finalize)."""
    session = get_session()
    comp = competition_or_404(session, slug, viewer())
    try:
        standings = private_board(session, comp)
    except NotFinalized as exc:
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), 404
    return jsonify({"competition": comp.slug, "metric": resolve_metric(comp, None).name,
                    "finalized_at": comp.finalized_at.isoformat(),
                    "entries": [{"private_rank": s.private_rank, "tied": s.tied, "username": s.username,
                                 "submission_id": s.submission_id, "label": s.label, "value": round_score(s.value),
                                 "ci_low": round_score(s.ci_low), "ci_high": round_score(s.ci_high),
                                 "public_rank": s.public_rank, "public_value": round_score(s.public_value), "shake_up": s.shake_up, "chosen": s.chosen}
                                for s in standings]})
