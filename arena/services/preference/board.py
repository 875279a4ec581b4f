"""The arena's entries and its stored ratings (SQL side of ``ratings``).

The entries are the automatic board's (``evaluator.statistics.board.board_entries`` on the
competition's ranking metric: one owner for "an entry"), those with public-split outputs to
show. ``rate_competition`` refits the human board from every valid vote and stores the ratings
and the agreement with the automatic board; pages only read what it stored.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.models import (Competition, PreferenceMatch, PreferenceRating, PreferenceSummary, PreferenceVote,
                               ScoreReplicate, Submission, User, VoteChoice, utcnow)
from arena.services.preference.ratings import PROTOCOL, VoteTable, rate, tau_with_interval
from evaluator.metrics.catalog import METRICS
from evaluator.statistics.board import board_entries, board_order
from evaluator.statistics.ranking import decode

_SCORE = {VoteChoice.A: 1.0, VoteChoice.B: 0.0, VoteChoice.TIE: 0.5}


@dataclass(frozen=True)
class ArenaEntry:
    """One entry the arena can show: its submission, scored evaluation, outputs and metric value."""

    submission_id: int
    evaluation_id: int
    outputs_sha256: str
    metric_value: float
    is_baseline: bool
    owner_id: int


def arena_entries(session: Session, competition: Competition) -> list[ArenaEntry]:
    """The automatic board's entries that have public-split outputs, in board order."""
    metric = METRICS[competition.ranking_metric]
    entries = board_entries(competition, metric)
    rows = session.execute(
        sa.select(entries.c.sid, entries.c.eid, Submission.public_outputs_sha256, entries.c.sort_value,
                  entries.c.is_baseline, entries.c.owner_id)
        .join(Submission, Submission.id == entries.c.sid)
        .where(Submission.public_outputs_sha256.is_not(None))
        .order_by(*board_order(entries, metric)))
    return [ArenaEntry(r[0], r[1], r[2], float(r[3]), bool(r[4]), int(r[5])) for r in rows]


def pair_vote_counts(session: Session, competition_id: int, index: dict[int, int]) -> np.ndarray:
    """[M, M] valid votes (both-bad included: the pair was judged) per pair of entries."""
    counts = np.zeros((len(index), len(index)))
    rows = session.execute(
        sa.select(PreferenceMatch.submission_a_id, PreferenceMatch.submission_b_id, sa.func.count())
        .join(PreferenceVote, PreferenceVote.match_id == PreferenceMatch.id)
        .where(PreferenceMatch.competition_id == competition_id, PreferenceVote.voided.is_(False))
        .group_by(PreferenceMatch.submission_a_id, PreferenceMatch.submission_b_id))
    for a, b, n in rows:
        if a in index and b in index:
            counts[index[a], index[b]] += n
            counts[index[b], index[a]] += n
    return counts


def stored_strengths(session: Session, competition_id: int) -> dict[int, float]:
    """Submission id -> stored log-strength (entries never rated are absent)."""
    return dict(session.execute(sa.select(PreferenceRating.submission_id, PreferenceRating.strength)
                                .where(PreferenceRating.competition_id == competition_id)).all())


def rate_competition(session: Session, competition_id: int) -> PreferenceSummary:
    """Refit and store the human board and τ of one competition (the caller commits)."""
    competition = session.scalars(
        sa.select(Competition).where(Competition.id == competition_id).with_for_update()).one()
    entries = arena_entries(session, competition)
    index = {e.submission_id: k for k, e in enumerate(entries)}
    rows = session.execute(
        sa.select(PreferenceMatch.submission_a_id, PreferenceMatch.submission_b_id, PreferenceVote.choice)
        .join(PreferenceVote, PreferenceVote.match_id == PreferenceMatch.id)
        .where(PreferenceMatch.competition_id == competition_id, PreferenceVote.voided.is_(False))).all()
    # Votes on entries that left the board (disqualified, superseded) no longer count.
    rows = [r for r in rows if r[0] in index and r[1] in index]
    valid = [r for r in rows if r[2] != VoteChoice.BOTH_BAD]
    table = VoteTable(np.array([index[r[0]] for r in valid], dtype=np.int64),
                      np.array([index[r[1]] for r in valid], dtype=np.int64),
                      np.array([_SCORE[r[2]] for r in valid]), len(entries))
    session.execute(sa.delete(PreferenceRating).where(PreferenceRating.competition_id == competition_id),
                    execution_options={"synchronize_session": False})
    now = utcnow()
    tau = tau_low = tau_high = None
    if len(entries) >= 2:
        ratings = rate(table)
        per_entry = _per_entry_counts(rows, index, len(entries))
        session.execute(sa.insert(PreferenceRating), [
            {"competition_id": competition_id, "submission_id": entries[k].submission_id,
             "strength": float(ratings.strength[pos]), "ci_low": float(ratings.low[pos]),
             "ci_high": float(ratings.high[pos]), "rank": int(ratings.ranked.ranks[pos]),
             "tied": bool(ratings.ranked.tied[pos]), "separated": bool(ratings.ranked.separated[pos]),
             "votes": int(per_entry[0][k]), "wins": float(per_entry[1][k]), "both_bad": int(per_entry[2][k]),
             "protocol": PROTOCOL, "computed_at": now}
            for pos, k in enumerate(ratings.order)])
        if len(valid):
            tau, tau_low, tau_high = _agreement(session, competition, entries, ratings)
    summary = session.get(PreferenceSummary, competition_id) or PreferenceSummary(competition_id=competition_id)
    summary.valid_votes, summary.both_bad = len(valid), len(rows) - len(valid)
    summary.entries, summary.tau_entries = len(entries), len(entries) if tau is not None else 0
    summary.tau, summary.tau_low, summary.tau_high = tau, tau_low, tau_high
    summary.ranking_metric, summary.protocol, summary.computed_at = competition.ranking_metric, PROTOCOL, now
    session.add(summary)
    session.flush()
    return summary


def _per_entry_counts(rows, index: dict[int, int], m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    votes, wins, bad = np.zeros(m, dtype=np.int64), np.zeros(m), np.zeros(m, dtype=np.int64)
    for a, b, choice in rows:
        i, j = index[a], index[b]
        votes[i] += 1
        votes[j] += 1
        if choice == VoteChoice.BOTH_BAD:
            bad[i] += 1
            bad[j] += 1
        else:
            wins[i] += _SCORE[choice]
            wins[j] += 1.0 - _SCORE[choice]
    return votes, wins, bad


def _agreement(session: Session, competition: Competition, entries: list[ArenaEntry], ratings) -> tuple[float, float, float]:
    """τ between the human strengths and the automatic metric (signed so higher is better)."""
    metric = METRICS[competition.ranking_metric]
    sign = 1.0 if metric.higher_is_better else -1.0
    order = ratings.order
    auto = sign * np.array([entries[k].metric_value for k in order])
    eids = [entries[k].evaluation_id for k in order]
    stored = dict(session.execute(sa.select(ScoreReplicate.evaluation_id, ScoreReplicate.data)
                                  .where(ScoreReplicate.metric == metric.name,
                                         ScoreReplicate.evaluation_id.in_(eids))).all())
    auto_reps = None
    if all(eid in stored for eid in eids):
        reps = [decode(stored[eid]) for eid in eids]
        if len({len(r) for r in reps}) == 1:
            auto_reps = sign * np.stack(reps)
    return tau_with_interval(ratings.strength, ratings.replicates, auto, auto_reps)


@dataclass(frozen=True)
class HumanRow:
    """One row of the human board as pages show it."""

    rank: int
    tied: bool
    submission_id: int
    username: str
    label: str
    is_baseline: bool
    strength: float
    ci_low: float
    ci_high: float
    votes: int
    wins: float
    both_bad: int


def human_board(session: Session, competition_id: int) -> list[HumanRow]:
    """The stored human board, strongest first (nothing is computed here)."""
    rows = session.execute(
        sa.select(PreferenceRating, Submission.label, Submission.is_baseline, User.username)
        .join(Submission, Submission.id == PreferenceRating.submission_id)
        .join(User, User.id == Submission.owner_id)
        .where(PreferenceRating.competition_id == competition_id)
        .order_by(PreferenceRating.rank, PreferenceRating.strength.desc(), PreferenceRating.submission_id))
    return [HumanRow(r.rank, r.tied, r.submission_id, username, label, baseline, r.strength, r.ci_low, r.ci_high,
                     r.votes, r.wins, r.both_bad) for r, label, baseline, username in rows]


def summary_of(session: Session, competition_id: int) -> PreferenceSummary | None:
    """The stored vote counts and τ of a competition, or None before its first rating."""
    return session.get(PreferenceSummary, competition_id)
