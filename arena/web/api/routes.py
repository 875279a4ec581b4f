"""Views of the API blueprint. Errors are ``{"error": {"code", "message"}}`` (see errors.py)."""
from __future__ import annotations


from flask import current_app, g, jsonify, request, url_for

from arena.core.errors import ArenaError
from arena.web.api import bp
from arena.web.api.openapi import openapi_document
from arena.web.auth import token_required
from arena.web.cache import app_cache, cached_for_visitors
from arena.web.db_session import get_session, get_settings
from arena.web.extensions import limiter
from arena.web.me.status import submission_status
from arena.web.public.board import board_page, board_to_json, parse_page
from arena.web.public.queries import (
    competition_or_404,
    entrant_counts,
    own_submissions,
    owned_submission_or_404,
    visible_competitions,
)
from arena.web.uploads import accept_upload



@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(request.host_url.rstrip("/") + bp.url_prefix))


@bp.get("/me")
@token_required
def me():
    """The token's owner."""
    user = g.api_user
    return jsonify(id=user.id, username=user.username, role=user.role.value)


@bp.get("/competitions")
@cached_for_visitors
def competitions():
    """Competitions open to the public."""
    session = get_session()
    entrants = entrant_counts(session)
    return jsonify(competitions=[
        {
            "slug": c.slug, "title": c.title, "status": c.status.value,
            "ranking_metric": c.ranking_metric, "daily_quota": c.daily_quota,
            "entrants": entrants.get(c.id, 0),
            "leaderboard_url": url_for("api.leaderboard", slug=c.slug, _external=True),
        }
        for c in visible_competitions(session, None)
    ])


@bp.get("/competitions/<slug>/leaderboard")
@cached_for_visitors
def leaderboard(slug: str):
    """One page of a leaderboard (``?metric=`` and ``?page=``)."""
    session = get_session()
    comp = competition_or_404(session, slug, None)
    board = board_page(session, comp, request.args.get("metric"), parse_page(request.args.get("page")),
                       cache=app_cache())
    return jsonify(board_to_json(board))


@bp.post("/competitions/<slug>/submissions")
@token_required
@limiter.limit(lambda: current_app.config["RATELIMIT_UPLOAD"])
def submit(slug: str):
    """Upload a generator (multipart field ``file``, optional ``label`` and ``notes``)."""
    session = get_session()
    comp = competition_or_404(session, slug, g.api_user)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ArenaError("missing_file", "Send the generator as the multipart field 'file'.")
    # The service checks the rest (open competition, label, notes, extension, quota, file).
    sub = accept_upload(session, get_settings(), g.api_user, comp, upload,
                        request.form.get("label", ""), request.form.get("notes", ""))
    response = jsonify(submission_status(sub))
    response.status_code = 201
    response.headers["Location"] = url_for("api.submission", submission_id=sub.id)
    return response


@bp.get("/submissions")
@token_required
def submissions():
    """The token owner's submissions, newest first."""
    return jsonify(submissions=[submission_status(s)
                                for s in own_submissions(get_session(), g.api_user)])


@bp.get("/submissions/<int:submission_id>")
@token_required
def submission(submission_id: int):
    """Status and scores of one of the token owner's submissions."""
    return jsonify(submission_status(owned_submission_or_404(get_session(), submission_id, g.api_user)))

