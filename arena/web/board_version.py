"""What a public board page's cached copy is checked against: the board's version.

Every board route (page, JSON, CSV, API, heatmap, per-style board, the competition page's top
rows) is cached per process while its version is unchanged, so an unchanged board is never
recomputed however often it expires, and a changed one is recomputed once
(``arena.web.cache``). The version is a fingerprint of everything those pages read:

- the competition's row, whole: its ``board_revision`` (bumped by every score landing on the
  current target and every re-rank: ``evaluator.statistics.board.bump_board_revision``), its
  target, ranking metric, optional metrics, visibility and text;
- its phases' rows (a phase's board, the timeline);
- the latest change of any of its submissions (labels, moderation), one index lookup.

A visitor sees a change within ``BOARD_REVALIDATE_SECONDS`` (how long a process trusts the
fingerprint it read). What no fingerprint sees (a participant renaming their account) is
shown within ``BOARD_MAX_AGE_SECONDS``, the longest any copy lives.
"""
from __future__ import annotations

from typing import Any, Hashable

import sqlalchemy as sa
from flask import copy_current_request_context, current_app

from arena.core.models import Competition, Phase, Submission
from arena.web.cache import app_cache, cached_for_visitors
from arena.web.db_session import get_session

REVALIDATE_SECONDS = 1.0
MAX_AGE_SECONDS = 120.0


def board_version(slug: str) -> Hashable | None:
    """The fingerprint of the board of the competition called ``slug`` (None: no such competition).

    Read at most once per ``BOARD_REVALIDATE_SECONDS`` per process, in a background thread: the
    request that finds it old, and any concurrent one, get the previous fingerprint meanwhile.
    """
    ttl = float(current_app.config.get("BOARD_REVALIDATE_SECONDS", REVALIDATE_SECONDS))
    cache = app_cache()
    if ttl <= 0:
        return read_board_version(slug)
    # Read in the background like the copies themselves: no request waits on the database here.
    background = copy_current_request_context if current_app.config.get("REFRESH_IN_BACKGROUND", True) else None
    return cache.get_or_set(("board-version", slug), lambda: read_board_version(slug), ttl=ttl, background=background)


def read_board_version(slug: str) -> tuple[Any, ...] | None:
    """The fingerprint, from the database (three indexed reads)."""
    session = get_session()
    competition = session.execute(sa.select(Competition.__table__).where(Competition.slug == slug)).first()
    if competition is None:
        return None
    phases = session.execute(sa.select(Phase.__table__).where(Phase.competition_id == competition.id)
                             .order_by(Phase.id)).all()
    latest = session.scalar(sa.select(sa.func.max(Submission.updated_at))
                            .where(Submission.competition_id == competition.id))
    return tuple(competition), tuple(tuple(p) for p in phases), latest


def max_age() -> float:
    """The longest a versioned board copy lives, whatever its version."""
    return float(current_app.config.get("BOARD_MAX_AGE_SECONDS", MAX_AGE_SECONDS))


def cached_board_for_visitors(view):
    """``cached_for_visitors`` for a view of one competition's board (its ``slug`` argument)."""
    return cached_for_visitors(view, version=lambda slug, **_: board_version(slug), max_age=max_age)
