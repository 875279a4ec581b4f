"""Views of the API blueprint. Errors are ``{"error": {"code", "message"}}`` (see errors.py)."""
from __future__ import annotations


from flask import current_app, g, jsonify, request, url_for

from arena.core.errors import ArenaError
from arena.core.models import Competition, utcnow
from arena.core.sizes import MB, human_size
from arena.services.rules import has_rules, rules_state
from arena.services.final_choices import mark_final
from arena.services.submissions import charging_rule
from arena.services.upload_rules import MAX_LABEL_CHARS, MAX_NOTES_CHARS, UPLOAD_SUFFIXES
from arena.web.api import bp
from arena.web.api.openapi import openapi_document
from arena.web.api.rules import rules_json
from arena.web.auth import token_optional, token_required
from arena.web.board_version import cached_board_for_visitors
from arena.web.cache import app_cache, cached_for_visitors
from arena.web.db_session import get_session, get_settings
from arena.web.downloads import dev_set_response
from arena.web.extensions import limiter
from arena.web.me.routes import _no_log_text as no_log_text  # the owner's log page says the same
from arena.web.me.status import submission_status
from arena.web.public.board import board_page, board_to_json, parse_page, requested_phase
from arena.web.public.guide import build_guide
from arena.web.public.queries import (
    competition_or_404,
    entrant_counts,
    own_submissions,
    owned_or_organized_submission_or_404,
    owned_submission_or_404,
    visible_competitions,
)
from arena.web.submit.availability import availability
from arena.web.uploads import accept_upload


def _dev_set_url(competition: Competition) -> str | None:
    if competition.public_dataset is None:
        return None
    return url_for("api.dev_set", slug=competition.slug, _external=True)



@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(request.host_url.rstrip("/") + bp.url_prefix))


@bp.get("/me")
@token_required
def me():
    """The token's owner."""
    user = g.api_user
    return jsonify(id=user.id, username=user.username, role=user.role.value, email=user.email,
                   notify_on_result=user.notify_on_result)


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
            "limits_url": url_for("api.limits", slug=c.slug, _external=True),
            "rules_url": url_for("api.rules", slug=c.slug, _external=True), "rules_required": has_rules(c),
            "dev_set_url": _dev_set_url(c),
        }
        for c in visible_competitions(session, None)
    ])


@bp.get("/competitions/<slug>/leaderboard")
@cached_board_for_visitors
def leaderboard(slug: str):
    """One page of a leaderboard (``?metric=``, ``?page=``, ``?phase=`` for a phase's board)."""
    session = get_session()
    comp = competition_or_404(session, slug, None)
    board = board_page(session, comp, request.args.get("metric"), parse_page(request.args.get("page")),
                       cache=app_cache(), phase=requested_phase(comp, request.args.get("phase")))
    return jsonify(board_to_json(board))


@bp.get("/competitions/<slug>/limits")
@token_optional
def limits(slug: str):
    """Upload and sandbox limits, the charging rule and (with a token) the caller's quota left today."""
    session, settings = get_session(), get_settings()
    comp = competition_or_404(session, slug, g.api_user)
    guide = build_guide(settings, comp)
    can = availability(session, g.api_user, comp)
    reason = can.reason
    if can.code == "not_signed_in":
        reason = "Send your API token (Authorization: Bearer <token>) to see your quota."
    quota = None
    if can.quota is not None:
        quota = {"limit": can.quota.limit, "used": can.quota.used, "remaining": can.quota.remaining,
                 "smoke_failures_used": can.smoke_failures_used, "smoke_failures_left": can.smoke_failures_left,
                 "resets_at": can.quota.resets_at.isoformat()}
    response = jsonify({
        "competition": comp.slug, "status": comp.status.value,
        "can_submit": can.can_submit, "reason_code": can.code, "reason": reason,
        "daily_quota": comp.daily_quota, "smoke_failure_cap": can.smoke_failure_cap,
        "charging_rule": charging_rule(comp), "quota": quota,
        "upload": {"max_bytes": settings.max_upload_mb * MB, "max_size": human_size(settings.max_upload_mb * MB),
                   "formats": list(UPLOAD_SUFFIXES), "max_label_chars": MAX_LABEL_CHARS,
                   "max_notes_chars": MAX_NOTES_CHARS},
        "sandbox": {"torch_version": guide.torch_version, "device": "cuda" if settings.sandbox.use_gpu else "cpu",
                    "smoke_timeout_s": guide.smoke_timeout_s, "timeout_s": guide.timeout_s,
                    "memory_mb": guide.memory_mb, "cpus": guide.cpus, "output_mb": guide.output_mb,
                    "runtime_image": guide.runtime, "environment": guide.environment},
        "dev_set_url": _dev_set_url(comp),
        "guide_url": url_for("public.guide", slug=comp.slug, _external=True),
        "rules": rules_json(comp, rules_state(session, g.api_user, comp)),
    })
    response.headers["Cache-Control"] = "no-store"  # the quota changes with every upload
    return response


@bp.get("/competitions/<slug>/dev-set")
def dev_set(slug: str):
    """The competition's public dev set as a zip (the same file as the competition page's download)."""
    return dev_set_response(competition_or_404(get_session(), slug, None))


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



@bp.post("/submissions/<int:submission_id>/final")
@token_required
def submission_final(submission_id: int):
    """Mark (``{"final": true}``) or unmark one of the token owner's submissions as final."""
    session = get_session()
    sub = owned_submission_or_404(session, submission_id, g.api_user)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("final"), bool):
        raise ArenaError("invalid_body", 'Send a JSON body {"final": true} to mark it, or {"final": false} to unmark it.')
    # A refusal (409, its message says what to do) leaves the session uncommitted: teardown rolls it back.
    mark_final(session, g.api_user, sub, body["final"], utcnow())
    session.commit()
    return jsonify(submission_status(sub))


@bp.get("/submissions/<int:submission_id>/log")
@token_required
def submission_log(submission_id: int):
    """The public smoke run's log of a submission (owner and organizers; 404 for anyone else)."""
    sub = owned_or_organized_submission_or_404(get_session(), submission_id, g.api_user)
    log = sub.public_log or None
    response = jsonify(id=sub.id, split="public", available=log is not None, log=log,
                       message=None if log is not None else no_log_text(sub).strip())
    response.headers["Cache-Control"] = "no-store"
    return response
