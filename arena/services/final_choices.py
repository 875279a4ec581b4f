"""Final submissions (issue 15): which of a participant's submissions the private board ranks.

Each participant may mark up to ``competition.final_submissions_k`` (K) of their submissions
as final, until the competition's end date. ``final_submissions`` is the one answer to "which
submissions are final" (``stylearena competition finalize`` calls it):

- a participant with at least one eligible marked submission gets exactly those (at most K,
  the earliest marked first when an organizer lowered K after they chose);
- a participant who marked none gets their best K by public-board score, as Kaggle does:
  the competition's ranking metric in the ``Score`` row of the counted evaluation
  (``EvaluationTarget``), in the metric's direction, the earlier submission first on equal
  values.

Eligible = not a baseline, not a rehearsal upload, not disqualified, with a scored counted
evaluation: the board's own rule (``evaluator.statistics.board.board_entries``).

Only scored submissions can be marked: a queued one may still fail, and a failed mark would
silently cost the participant one of their K (they can mark it as soon as it is scored).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.errors import ArenaError, Forbidden
from arena.core.models import Competition, Evaluation, PrivateBoardEntry, Score, Submission, User
from arena.core.target import EvaluationTarget
from arena.services.leaderboard import resolve_metric
from evaluator.metrics.optional_catalog import OPTIONAL_METRICS


class FinalChoiceRefused(ArenaError):
    """A mark or unmark the rules do not allow now; the message says what to do instead."""

    http_status = 409


@dataclass(frozen=True)
class FinalChoiceSummary:
    """One participant's final choice in one competition, for their pages and the API."""

    competition: Competition
    k: int
    marked_ids: tuple[int, ...]  # the ones they marked that still count
    final_ids: tuple[int, ...]  # what finalize would take now (the marked ones, or the best K)
    open: bool  # whether they may still change it
    # After finalize: their standing on the private board (None: not on it, or not finalized).
    standing: PrivateBoardEntry | None = None

    @property
    def chosen(self) -> int:
        return len(self.marked_ids)

    @property
    def by_default(self) -> bool:
        """Nothing marked: the best K by public-board score are taken."""
        return not self.marked_ids


def final_rule(competition: Competition) -> str:
    """The rule in one paragraph, for the guide (the one statement of it a participant reads)."""
    k = competition.final_submissions_k
    until = (f"until the competition ends ({competition.ends_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC)"
             if competition.ends_at
             else "until the competition ends")
    return (f"The private board ranks only your final submissions. Mark up to {k} of your scored submissions as "
            f"final on your submissions page or through the API, {until}; to change your choice at the limit, "
            f"unmark one first. If you mark none, your best {k} by public-board score are taken (the earlier "
            "one on equal scores). Baselines and disqualified submissions are never final.")


def choice_closed_reason(competition: Competition, now: datetime) -> str | None:
    """Why final choices of ``competition`` can no longer change, or None while they can."""
    if competition.finalized_at is not None:
        return "The competition has been finalized: final submissions can no longer change."
    if competition.ends_at is not None and now >= competition.ends_at:
        return "The competition has ended: final submissions can no longer change."
    return None


def mark_final(session: Session, user: User, submission: Submission, final: bool, now: datetime) -> Submission:
    """Mark (``final=True``) or unmark one of ``user``'s submissions as final; the caller commits.

    Raises Forbidden for someone else's submission and FinalChoiceRefused when the rules say no.
    Marking a marked one (or unmarking an unmarked one) changes nothing and is not an error.
    """
    if submission.owner_id != user.id:
        raise Forbidden("not_your_submission", "Only the participant who uploaded a submission can mark it final.")
    competition = submission.competition
    closed = choice_closed_reason(competition, now)
    if closed:
        raise FinalChoiceRefused("final_choice_closed", closed)
    if not final:
        submission.marked_final_at = None
        session.flush()
        return submission
    if submission.marked_final_at is not None:
        return submission
    _check_markable(submission)
    _lock_participant(session, user.id)
    k = competition.final_submissions_k
    if len(_marked_ids(session, competition, user.id)) >= k:
        raise FinalChoiceRefused(
            "final_limit_reached",
            f"You have already marked {k} submission{'s' if k != 1 else ''} as final, the most this competition "
            "allows; unmark one first, then mark this one.")
    submission.marked_final_at = now
    session.flush()
    return submission


def _lock_participant(session: Session, user_id: int) -> None:
    """Count one participant's marks under a lock, so two concurrent marks cannot both take the K-th place.

    A no-op write on their row: it takes the row lock on PostgreSQL and the write lock on SQLite,
    which has no SELECT ... FOR UPDATE (there a read-only "lock" would let both count K-1).
    """
    users = User.__table__
    session.execute(sa.update(users).where(users.c.id == user_id).values(is_active=users.c.is_active))


def _check_markable(submission: Submission) -> None:
    if submission.is_baseline or submission.is_rehearsal:
        raise FinalChoiceRefused("not_markable", "Baselines and rehearsal uploads are never final submissions.")
    if submission.status is SubmissionStatus.DISQUALIFIED:
        raise FinalChoiceRefused("not_markable", "A disqualified submission cannot be a final submission.")
    if submission.status is not SubmissionStatus.SCORED:
        raise FinalChoiceRefused(
            "not_scored", "Only a scored submission can be marked final; mark it once its scores are in.")


def _eligible_submission(competition: Competition) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``Submission`` of a possible final (with ``_counted_evaluation`` joined)."""
    return [Submission.competition_id == competition.id, Submission.is_baseline.is_(False),
            Submission.is_rehearsal.is_(False), Submission.status != SubmissionStatus.DISQUALIFIED]


def _counted_evaluation(competition: Competition) -> sa.ColumnElement[bool]:
    """The join to a submission's scored counted evaluation (at most one: uq_evaluations_target)."""
    return sa.and_(Evaluation.submission_id == Submission.id, EvaluationTarget.of(competition).condition(),
                   Evaluation.status == EvaluationStatus.SCORED)


def _marked_rows(competition: Competition, owner_id: int | None) -> sa.Select:
    """(owner id, submission id) of the eligible marked submissions, earliest marked first.

    A marked submission that stopped being eligible (disqualified, rescored away) is ignored
    and frees its place; its mark stays, so it counts again if the organizers reinstate it.
    """
    only = [Submission.owner_id == owner_id] if owner_id is not None else []
    return (sa.select(Submission.owner_id, Submission.id)
            .join(Evaluation, _counted_evaluation(competition))
            .where(*_eligible_submission(competition), Submission.marked_final_at.is_not(None), *only)
            .order_by(Submission.owner_id, Submission.marked_final_at, Submission.id))


def _marked_ids(session: Session, competition: Competition, owner_id: int) -> list[int]:
    return [sid for _, sid in session.execute(_marked_rows(competition, owner_id))]


def final_submissions(session: Session, competition: Competition,
                      owner_id: int | None = None) -> dict[int, list[int]]:
    """Per participant (owner id) the ids of their final submissions, in the order above.

    Participants with no eligible submission are absent; every list has 1..K ids. With
    ``owner_id`` only that participant's entry is computed (their pages use it).
    """
    k = competition.final_submissions_k
    only = [Submission.owner_id == owner_id] if owner_id is not None else []
    finals: dict[int, list[int]] = {}
    for owner, sid in session.execute(_marked_rows(competition, owner_id)):
        if len(finals.setdefault(owner, [])) < k:
            finals[owner].append(sid)
    chose = set(finals)
    for owner, sid in session.execute(_best_k(competition, k, only)):
        if owner not in chose:
            finals.setdefault(owner, []).append(sid)
    return finals


def _best_k(competition: Competition, k: int, only: list) -> sa.Select:
    """Per participant their K best eligible submissions by public-board score, in board order."""
    metric = resolve_metric(competition, None)
    value = Score.value.desc() if metric.higher_is_better else Score.value.asc()
    order = (value, Submission.created_at, Submission.id)
    ranked = (
        sa.select(Submission.owner_id.label("owner_id"), Submission.id.label("sid"),
                  Score.value.label("value"), Submission.created_at.label("created_at"),
                  sa.func.row_number().over(partition_by=Submission.owner_id, order_by=order).label("rn"))
        .join(Evaluation, _counted_evaluation(competition))
        .join(Score, sa.and_(Score.evaluation_id == Evaluation.id, Score.metric == metric.name,
                             # As the board: an optional metric counts in its current version only.
                             *([Score.definition_version == metric.version]
                               if metric.name in OPTIONAL_METRICS else [])))
        .where(*_eligible_submission(competition), *only)
        .subquery("ranked"))
    direction = ranked.c.value.desc() if metric.higher_is_better else ranked.c.value.asc()
    return (sa.select(ranked.c.owner_id, ranked.c.sid).where(ranked.c.rn <= k)
            .order_by(ranked.c.owner_id, direction, ranked.c.created_at, ranked.c.sid))


def final_choice_summary(session: Session, competition: Competition, user: User, now: datetime) -> FinalChoiceSummary:
    """What ``user`` has chosen in ``competition`` and what finalize would take for them now."""
    finals = tuple(final_submissions(session, competition, owner_id=user.id).get(user.id, []))
    marked = tuple(sid for sid in _marked_ids(session, competition, user.id) if sid in finals)
    standing = session.get(PrivateBoardEntry, (competition.id, user.id)) if competition.finalized_at else None
    return FinalChoiceSummary(competition=competition, k=competition.final_submissions_k,
                              marked_ids=marked, final_ids=finals, open=choice_closed_reason(competition, now) is None,
                              standing=standing)
