"""Views of the arena blueprint. Nothing here fits or resamples: ratings are read as stored."""
from __future__ import annotations

import secrets

import numpy as np
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from arena.core.enums import DatasetSplit
from arena.core.imageset import CONTENT_DIR, STYLE_DIR
from arena.core.models import VoteChoice
from arena.core.store.datasets import dataset_path
from arena.core.store.outputs import outputs_path
from arena.services.preference.board import human_board, summary_of
from arena.services.preference.jobs import enqueue_rating
from arena.services.addresses import address_hash
from arena.services.preference.votes import (AlreadyVoted, RateLimited, VoteLimits, cast_vote, create_match,
                                             match_for, pending_match)
from arena.web.arena import bp
from arena.web.cache import app_cache
from arena.web.db_session import get_session, get_settings
from arena.web.public.board import board_page
from arena.web.public.queries import competition_or_404, viewer

CHOICES = {"a": VoteChoice.A, "b": VoteChoice.B, "tie": VoteChoice.TIE, "both_bad": VoteChoice.BOTH_BAD}


@bp.record_once
def _defaults(state) -> None:
    # Limits live in the app's config so a deployment (or a test) can tighten them.
    state.app.config.setdefault("ARENA_VOTES_PER_USER_HOUR", VoteLimits.per_user_hour)
    state.app.config.setdefault("ARENA_VOTES_PER_ADDRESS_HOUR", VoteLimits.per_address_hour)


@bp.app_template_global()
def preference_summary(competition):
    """The stored vote counts and τ of a competition (for the competition page's card)."""
    return summary_of(get_session(), competition.id)


def _limits() -> VoteLimits:
    return VoteLimits(current_app.config["ARENA_VOTES_PER_USER_HOUR"], current_app.config["ARENA_VOTES_PER_ADDRESS_HOUR"])


@bp.get("/competitions/<slug>/arena")
@login_required
def vote_page(slug: str):
    """One new match for the logged-in voter: a public pair and two anonymous outputs."""
    session = get_session()
    competition = competition_or_404(session, slug, viewer())
    match = pending_match(session, competition, current_user)
    if match is None:
        rng = np.random.default_rng(secrets.randbits(64))
        match = create_match(session, get_settings(), competition, current_user, rng)
        session.commit()
    return render_template("arena/vote.html", competition=competition, match=match,
                           summary=summary_of(session, competition.id))


@bp.post("/competitions/<slug>/arena/<int:match_id>/vote")
@login_required
def vote(slug: str, match_id: int):
    """Record the voter's choice on their match, then show the next one."""
    session = get_session()
    competition = competition_or_404(session, slug, viewer())
    match = match_for(session, competition, match_id)
    choice = CHOICES.get(request.form.get("choice", ""))
    if choice is None:
        abort(400, "Pick one of: A is better, B is better, tie, both bad.")
    settings = get_settings()
    try:
        cast_vote(session, match, current_user, choice, address_hash(settings.secret_key, request.remote_addr),
                  _limits())
    except AlreadyVoted as exc:
        session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("arena.vote_page", slug=slug))
    except RateLimited as exc:
        session.rollback()
        return render_template("arena/limited.html", competition=competition, message=exc.message), 429
    session.commit()
    # After the commit: the job must find the vote.
    enqueue_rating(settings, competition.id)
    flash("Thanks — your vote counts. Here is another pair.", "success")
    return redirect(url_for("arena.vote_page", slug=slug))


@bp.get("/competitions/<slug>/arena/<int:match_id>/<which>.png")
@login_required
def match_image(slug: str, match_id: int, which: str):
    """An image of the voter's own match: content, style, or output A or B (public split only).

    URLs name the match, never a submission, so a voter cannot tell whose output is whose.
    """
    session = get_session()
    competition = competition_or_404(session, slug, viewer())
    match = match_for(session, competition, match_id)
    if match.shown_to_id != current_user.id:
        abort(404)
    settings = get_settings()
    version = competition.public_dataset
    if which in ("content", "style"):
        if version is None or version.id != match.dataset_version_id or version.split != DatasetSplit.PUBLIC:
            abort(404)
        folder, name = (CONTENT_DIR, match.content_file) if which == "content" else (STYLE_DIR, match.style_file)
        path = dataset_path(settings, version) / folder / name
    elif which in ("a", "b"):
        sha = match.outputs_a_sha256 if which == "a" else match.outputs_b_sha256
        path = outputs_path(settings, sha) / f"{match.pair_id}.png"
    else:
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(path, max_age=3600)


@bp.get("/competitions/<slug>/human-board")
def human_board_page(slug: str):
    """The human preference board beside the automatic one, with τ between them."""
    session = get_session()
    competition = competition_or_404(session, slug, viewer())
    automatic = board_page(session, competition, None, 1, per_page=20, cache=app_cache())
    return render_template("arena/boards.html", competition=competition, rows=human_board(session, competition.id),
                           summary=summary_of(session, competition.id), board=automatic)
