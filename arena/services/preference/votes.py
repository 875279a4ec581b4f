"""Matches, votes, rate limits, voiding and the anonymised research export.

A match is made for one voter when the vote page opens: the pair of entries from
``matchmaking``, a coin for the A/B order, and a public-split pair both entries have an output
for. A vote names the match; the voter must be the one it was shown to, once. Limits are
counted in SQL (the source of truth, shared by every web process): votes per user and per
address hash in the last hour.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arena.core.datasets.staging import stored_manifest
from arena.core.enums import DatasetSplit
from arena.core.errors import ArenaError, Forbidden, NotFound
from arena.core.models import Competition, PreferenceMatch, PreferenceVote, User, VoteChoice, utcnow
from arena.core.settings import Settings
from arena.core.store.outputs import outputs_path
from arena.services.preference.board import arena_entries, pair_vote_counts, stored_strengths
from arena.services.preference.matchmaking import EPSILON, choose_pair


class RateLimited(ArenaError):
    http_status = 429


class AlreadyVoted(ArenaError):
    http_status = 409


@dataclass(frozen=True)
class VoteLimits:
    """Votes allowed in any hour, per account and per client address."""

    per_user_hour: int = 120
    per_address_hour: int = 300


def public_pairs(settings: Settings, competition: Competition) -> list[dict]:
    """The pairs of the competition's public dev set (never the hidden one)."""
    version = competition.public_dataset
    if version is None or version.split != DatasetSplit.PUBLIC:
        return []
    return list(stored_manifest(settings, version)["pairs"])


def create_match(session: Session, settings: Settings, competition: Competition, user: User,
                 rng: np.random.Generator, epsilon: float = EPSILON) -> PreferenceMatch | None:
    """A new match for ``user`` (flushed), or None when fewer than two others' entries have outputs to show."""
    # Nobody judges their own entry: the voter's submissions are left out of their matches.
    entries = [e for e in arena_entries(session, competition) if e.owner_id != user.id]
    pairs = public_pairs(settings, competition)
    if len(entries) < 2 or not pairs:
        return None
    index = {e.submission_id: k for k, e in enumerate(entries)}
    strengths = stored_strengths(session, competition.id)
    theta = np.array([strengths.get(e.submission_id, 0.0) for e in entries])
    i, j = choose_pair(rng, theta, pair_vote_counts(session, competition.id, index), epsilon)
    if rng.random() < 0.5:
        i, j = j, i
    a, b = entries[i], entries[j]
    shown = [p for p in pairs
             if (outputs_path(settings, a.outputs_sha256) / f"{p['pair_id']}.png").is_file()
             and (outputs_path(settings, b.outputs_sha256) / f"{p['pair_id']}.png").is_file()]
    if not shown:
        return None
    pair = shown[int(rng.integers(len(shown)))]
    match = PreferenceMatch(
        competition_id=competition.id, dataset_version_id=competition.public_dataset_id,
        pair_id=pair["pair_id"], content_file=pair["content"], style_file=pair["style"],
        submission_a_id=a.submission_id, submission_b_id=b.submission_id,
        outputs_a_sha256=a.outputs_sha256, outputs_b_sha256=b.outputs_sha256, shown_to_id=user.id)
    session.add(match)
    session.flush()
    return match


def pending_match(session: Session, competition: Competition, user: User) -> PreferenceMatch | None:
    """The voter's newest match without a vote, if both its entries are still in the arena.

    The vote page shows it again instead of making a new one, so reloading cannot be used to
    pick which pair one votes on (say, until one's own model's output turns up).
    """
    voted = sa.select(PreferenceVote.match_id).where(PreferenceVote.user_id == user.id)
    match = session.scalar(
        sa.select(PreferenceMatch)
        .where(PreferenceMatch.competition_id == competition.id, PreferenceMatch.shown_to_id == user.id,
               PreferenceMatch.id.not_in(voted))
        .order_by(PreferenceMatch.id.desc()).limit(1))
    if match is None:
        return None
    live = {e.submission_id for e in arena_entries(session, competition)}
    return match if {match.submission_a_id, match.submission_b_id} <= live else None


def match_for(session: Session, competition: Competition, match_id: int) -> PreferenceMatch:
    """A match of this competition, or NotFound."""
    match = session.get(PreferenceMatch, match_id)
    if match is None or match.competition_id != competition.id:
        raise NotFound("match_not_found", "That match does not exist; open the arena for a new one.")
    return match


def check_limits(session: Session, user: User, address: str, limits: VoteLimits) -> None:
    """Raise RateLimited (with what to do) when the user or the address voted too often this hour."""
    since = utcnow() - timedelta(hours=1)
    recent = sa.select(sa.func.count()).select_from(PreferenceVote).where(PreferenceVote.created_at >= since)
    if session.scalar(recent.where(PreferenceVote.user_id == user.id)) >= limits.per_user_hour:
        raise RateLimited("vote_rate_limited",
                          f"You have cast {limits.per_user_hour} votes in the last hour, the most an account may; "
                          "thank you! Come back in an hour to vote again.")
    if session.scalar(recent.where(PreferenceVote.address_hash == address)) >= limits.per_address_hour:
        raise RateLimited("vote_rate_limited",
                          f"{limits.per_address_hour} votes came from your network in the last hour, the most one "
                          "address may; please come back in an hour.")


def cast_vote(session: Session, match: PreferenceMatch, user: User, choice: VoteChoice, address: str,
              limits: VoteLimits) -> PreferenceVote:
    """Record one vote (flushed); raises Forbidden, AlreadyVoted or RateLimited."""
    if match.shown_to_id != user.id:
        raise Forbidden("match_not_yours", "This match was shown to someone else; open the arena for your own.")
    existing = session.scalar(sa.select(PreferenceVote.id).where(PreferenceVote.match_id == match.id,
                                                                 PreferenceVote.user_id == user.id))
    if existing is not None:
        raise AlreadyVoted("already_voted", "You already voted on this match; here is a new one.")
    check_limits(session, user, address, limits)
    vote = PreferenceVote(match_id=match.id, user_id=user.id, choice=choice, address_hash=address)
    try:
        with session.begin_nested():
            session.add(vote)
    except IntegrityError as exc:  # the same vote sent twice at once: the unique key decides
        raise AlreadyVoted("already_voted", "You already voted on this match; here is a new one.") from exc
    return vote


def void_votes(session: Session, competition: Competition, user: User) -> int:
    """Void every valid vote ``user`` cast in ``competition``; returns how many (re-rate afterwards)."""
    match_ids = sa.select(PreferenceMatch.id).where(PreferenceMatch.competition_id == competition.id)
    result = session.execute(
        sa.update(PreferenceVote)
        .where(PreferenceVote.user_id == user.id, PreferenceVote.voided.is_(False),
               PreferenceVote.match_id.in_(match_ids))
        .values(voided=True, voided_at=utcnow()),
        execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)


EXPORT_COLUMNS = ("vote", "voter", "cast_at", "competition", "dataset_version", "pair_id", "content", "style",
                  "submission_a", "submission_b", "outputs_a", "outputs_b", "choice", "voided")


def export_votes(session: Session, competition: Competition, secret: str, include_voided: bool = False) -> str:
    """The competition's votes as CSV for research: voters pseudonymous, no address, no account names."""
    query = (sa.select(PreferenceVote, PreferenceMatch)
             .join(PreferenceMatch, PreferenceMatch.id == PreferenceVote.match_id)
             .where(PreferenceMatch.competition_id == competition.id)
             .order_by(PreferenceVote.created_at, PreferenceVote.id))
    if not include_voided:
        query = query.where(PreferenceVote.voided.is_(False))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for n, (vote, match) in enumerate(session.execute(query), start=1):
        # Keyed per competition, so one voter's rows link within an export but not across them.
        voter = hmac.new(secret.encode(), f"{competition.id}:{vote.user_id}".encode(), hashlib.sha256).hexdigest()[:16]
        writer.writerow([n, voter, vote.created_at.isoformat(), competition.slug,
                         match.dataset_version_id, match.pair_id, match.content_file, match.style_file,
                         match.submission_a_id, match.submission_b_id, match.outputs_a_sha256,
                         match.outputs_b_sha256, vote.choice.value, int(vote.voided)])
    return out.getvalue()
