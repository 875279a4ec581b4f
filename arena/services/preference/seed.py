"""Demo votes, so a visitor of the demo sees a live arena (votes, a human board and τ).

Simulated voters follow a taste that mostly agrees with the automatic board (strength falls
with the board position) plus a per-voter whim, through the real match-making and vote code;
their accounts cannot log in (no password hash matches anything).
"""
from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.models import Competition, PreferenceSummary, User, VoteChoice
from arena.core.settings import Settings
from arena.services.preference.board import arena_entries, rate_competition
from arena.services.addresses import address_hash
from arena.services.preference.votes import VoteLimits, cast_vote, create_match

VOTER_PREFIX = "demo-voter-"
LOCKED_HASH = "!demo-voter-cannot-log-in"


def seed_demo_votes(session: Session, settings: Settings, competition: Competition, voters: int = 40,
                    votes_each: int = 6, seed: int = 17) -> PreferenceSummary | None:
    """Cast simulated votes on ``competition`` once (a rerun adds nothing) and rate it; None if no arena."""
    entries = arena_entries(session, competition)
    if len(entries) < 2:
        return None
    prefix = f"{VOTER_PREFIX}{competition.id}-"
    if session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username.like(prefix + "%"))):
        return rate_competition(session, competition.id)
    rng = np.random.default_rng(seed)
    taste = {e.submission_id: -0.6 * k + rng.normal(0.0, 0.4) for k, e in enumerate(entries)}
    limits = VoteLimits(per_user_hour=votes_each + 1, per_address_hour=voters * votes_each + 1)
    for v in range(voters):
        user = User(username=f"{prefix}{v}", password_hash=LOCKED_HASH)
        session.add(user)
        session.flush()
        whim = rng.normal(0.0, 0.3)
        for _ in range(votes_each):
            match = create_match(session, settings, competition, user, rng)
            if match is None:
                return rate_competition(session, competition.id)
            gap = taste[match.submission_a_id] - taste[match.submission_b_id] + whim * rng.normal()
            roll = rng.random()
            if roll < 0.06:
                choice = VoteChoice.BOTH_BAD
            elif roll < 0.16:
                choice = VoteChoice.TIE
            else:
                choice = VoteChoice.A if rng.random() < 1.0 / (1.0 + np.exp(-gap)) else VoteChoice.B
            cast_vote(session, match, user, choice, address_hash(settings.secret_key, f"demo-{v}"), limits)
    return rate_competition(session, competition.id)
