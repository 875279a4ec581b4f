"""Views of the public blueprint (no login needed; drafts and private submissions hidden)."""
from __future__ import annotations

from flask import Response, abort, jsonify, render_template, request, send_file
from flask_login import current_user

from arena.core.enums import CompetitionStatus
from arena.core.settings import PROJECT_ROOT
from arena.web.board_version import cached_board_for_visitors
from arena.web.cache import app_cache, cached_for_visitors
from arena.web.downloads import dev_set_response
from arena.web.db_session import get_session, get_settings
from arena.services import efficiency
from arena.services.pareto import layout as pareto_layout, pareto_data
from arena.services.phases import timeline as phase_timeline
from arena.core.models import utcnow
from arena.web.gallery import gallery_file, gallery_images, gallery_triplets
from arena.web.public import bp
from arena.web.public.guide import build_guide
from arena.web.public.board import board_page, board_to_csv, board_to_json, parse_page, requested_phase
from arena.web.public.queries import (
    may_read_notes,
    competition_or_404,
    current_evaluation,
    entrant_counts,
    public_submission_or_404,
    quota_status,
    viewer,
    visible_competitions,
)


# The generator contract's one statement; the submit page and the guide link here.
CONTRACT_PATH = PROJECT_ROOT / "sandbox" / "contract.md"


@bp.get("/")
@cached_for_visitors
def index():
    """All competitions a visitor may browse."""
    session = get_session()
    return render_template(
        "index.html",
        competitions=visible_competitions(session, viewer()),
        entrants=entrant_counts(session),
        CompetitionStatus=CompetitionStatus,
    )


@bp.get("/competitions/<slug>")
@cached_board_for_visitors
def competition(slug: str):
    """A competition's description, rules, metrics, dev-set download and the top of its board."""
    session = get_session()
    comp = competition_or_404(session, slug, viewer())
    quota = quota_status(session, current_user, comp) if current_user.is_authenticated else None
    top = board_page(session, comp, None, 1, per_page=5, cache=app_cache())
    return render_template("competition.html", competition=comp, quota=quota, board=top,
                           pareto=pareto_data(session, comp), pareto_layout=pareto_layout,
                           timeline=phase_timeline(comp, utcnow()))


@bp.get("/competitions/<slug>/leaderboard")
@cached_board_for_visitors
def leaderboard(slug: str):
    """The full leaderboard, sortable by any metric, paginated."""
    session = get_session()
    comp = competition_or_404(session, slug, viewer())
    board = _requested_board(session, comp)
    # Cost columns are opt-in (?cost=1): one run's measurements, never a ranking.
    return render_template("leaderboard.html", competition=comp, board=board, show_cost=request.args.get("cost") == "1",
                           cost_columns=efficiency.BOARD_COLUMNS, compact_count=efficiency.compact_count)


@bp.get("/competitions/<slug>/leaderboard.json")
@cached_board_for_visitors
def leaderboard_json(slug: str):
    """The leaderboard page as JSON (same query parameters as the HTML page)."""
    session = get_session()
    comp = competition_or_404(session, slug, viewer())
    board = _requested_board(session, comp)
    return jsonify(board_to_json(board))


@bp.get("/competitions/<slug>/leaderboard.csv")
@cached_board_for_visitors
def leaderboard_csv(slug: str):
    """The leaderboard page as a CSV download."""
    session = get_session()
    comp = competition_or_404(session, slug, viewer())
    board = _requested_board(session, comp)
    return Response(
        board_to_csv(board),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{comp.slug}-leaderboard.csv"'},
    )


@bp.get("/competitions/<slug>/guide")
@cached_for_visitors
def guide(slug: str):
    """The participant guide: environment, limits, contract, data sizes, charging, failures."""
    session = get_session()
    comp = competition_or_404(session, slug, viewer())
    return render_template("guide.html", competition=comp, guide=build_guide(get_settings(), comp))


@bp.get("/contract")
@cached_for_visitors
def contract():
    """The generator contract, rendered from the one file that states it (``sandbox/contract.md``)."""
    return render_template("contract.html", text=CONTRACT_PATH.read_text(encoding="utf-8"))


@bp.get("/competitions/<slug>/dev-set.zip")
def dataset_download(slug: str):
    """The competition's public dev set (never the hidden one)."""
    return dev_set_response(competition_or_404(get_session(), slug, viewer()))


@bp.get("/submissions/<int:submission_id>")
def submission(submission_id: int):
    """A submission's public page: scores with provenance and the public-split gallery."""
    session = get_session()
    sub = public_submission_or_404(session, submission_id, viewer())
    evaluation = current_evaluation(sub)
    scores = sorted(evaluation.scores, key=lambda s: s.metric) if evaluation else []
    return render_template(
        "submission_public.html", submission=sub, evaluation=evaluation, scores=scores,
        images=gallery_images(get_settings(), sub), show_notes=may_read_notes(sub, viewer()),
        triplets=gallery_triplets(get_settings(), sub),
        cost=efficiency.for_evaluation(session, evaluation.id if evaluation else None),
    )


@bp.get("/submissions/<int:submission_id>/outputs/<name>")
def gallery_image(submission_id: int, name: str):
    """One public-split output image of a submission its viewer may see."""
    sub = public_submission_or_404(get_session(), submission_id, viewer())
    path = gallery_file(get_settings(), sub, name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", max_age=86400)


def _requested_board(session, comp):
    """The leaderboard page named by ``?metric=``, ``?page=`` and ``?phase=`` (a phase's board)."""
    return board_page(session, comp, request.args.get("metric"), parse_page(request.args.get("page")),
                      cache=app_cache(), phase=requested_phase(comp, request.args.get("phase")))
