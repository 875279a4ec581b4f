"""Organizer baselines: reference generators shown on the board as unranked reference lines.

A baseline is a submission flagged ``is_baseline``: exempt from the quota and the dates, owned
by the organizer who posted it, never ranked among participants (the board shows it in place as
a reference row), and removable (its row is deleted, so the board no longer shows it).
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.errors import ArenaError, NotFound
from arena.core.models import Competition, Submission, User
from arena.core.settings import Settings
from arena.services import audit
from arena.services.submissions import create_submission
from evaluator.statistics.board import rerank


class BaselineError(ArenaError):
    """A baseline action the organizer must correct."""


def add_baseline(session: Session, settings: Settings, organizer: User, competition: Competition, path: Path,
                 label: str, actor: str | None = None) -> Submission:
    """Upload ``path`` as a baseline of ``competition`` (queued for scoring like any upload). Commits.

    Raises:
        BaselineError: no label, or ``organizer`` is not an organizer.
        sandbox.errors.UploadRejected, SubmissionError: as for any upload.
    """
    label = (label or "").strip()
    if not label:
        raise BaselineError("label_required", "A baseline needs a --label: the board shows it as the row's name.")
    if not organizer.is_organizer:
        raise BaselineError("not_organizer", f"User '{organizer.username}' is not an organizer; baselines are "
                                             "posted by organizers (stylearena user create NAME --organizer).")
    submission = create_submission(session, settings, organizer, competition, upload_path=Path(path),
                                   label=label, is_baseline=True)
    # create_submission committed the upload; the audit entry follows in its own short commit.
    audit.record(session, "baseline_add", competition, {"submission_id": submission.id, "label": label,
                                                        "file": Path(path).name, "sha256": submission.sha256},
                 actor=actor)
    session.commit()
    return submission


def list_baselines(session: Session, competition: Competition) -> list[Submission]:
    """The competition's baselines, oldest first."""
    return list(session.scalars(sa.select(Submission).where(
        Submission.competition_id == competition.id, Submission.is_baseline.is_(True)).order_by(Submission.id)))


def remove_baseline(session: Session, competition: Competition, submission_id: int,
                    actor: str | None = None) -> Submission:
    """Delete a baseline of ``competition`` (its evaluations go with it); a participant's upload is refused."""
    submission = session.get(Submission, submission_id)
    if submission is None or submission.competition_id != competition.id:
        raise NotFound("no_such_baseline", f"Competition '{competition.slug}' has no submission {submission_id}; "
                                           f"see `stylearena baseline list {competition.slug}`.")
    if not submission.is_baseline:
        raise BaselineError("not_a_baseline", f"Submission {submission_id} is a participant's upload, not a baseline; "
                                              "use `stylearena submission disqualify` to take it off the board.")
    audit.record(session, "baseline_remove", competition, {"submission_id": submission.id,
                                                           "label": submission.label}, actor=actor)
    session.delete(submission)
    session.flush()
    rerank(session, competition.id)
    return submission
