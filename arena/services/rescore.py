"""Rescoring a competition on another dataset version and/or scorer version.

A rescore only ever adds evaluations (one per submission, dataset version and scorer
version); earlier evaluations and their scores stay. The pipeline decides per evaluation
whether the generator must run again: a scorer-only change scores the stored outputs of an
earlier run on the same dataset version, a dataset change re-runs the generator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.enums import EvaluationKind, EvaluationStatus, SubmissionStatus
from arena.core.errors import ArenaError
from arena.core.models import Competition, DatasetVersion, Evaluation, Submission
from arena.core.settings import Settings
from arena.core.store import outputs as outputs_store
from arena.services.evaluations import create_evaluation
from evaluator.dispatch import enqueue_evaluation


class RescoreError(ArenaError):
    """A rescore the organizer must correct (no dataset, nothing to do)."""


@dataclass(frozen=True)
class RescoreItem:
    """One submission to evaluate on the target; ``reuses_outputs``: no container will run."""

    submission_id: int
    reuses_outputs: bool


@dataclass(frozen=True)
class RescorePlan:
    """What ``apply_rescore`` will create; computed without writing anything."""

    competition_id: int
    dataset_version_id: int
    dataset_sha256: str
    scorer_version: str
    items: tuple[RescoreItem, ...]
    already_evaluated: int
    disqualified: int

    @property
    def reruns(self) -> int:
        """Submissions whose generator must run again."""
        return sum(1 for i in self.items if not i.reuses_outputs)

    @property
    def reuses(self) -> int:
        """Submissions scored from stored outputs."""
        return sum(1 for i in self.items if i.reuses_outputs)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (for ``--dry-run``)."""
        return {
            "competition_id": self.competition_id, "dataset_version_id": self.dataset_version_id,
            "dataset_sha256": self.dataset_sha256, "scorer_version": self.scorer_version,
            "to_evaluate": len(self.items), "reruns": self.reruns, "reuses_outputs": self.reuses,
            "already_evaluated": self.already_evaluated, "disqualified": self.disqualified,
        }


def plan_rescore(
    session: Session,
    settings: Settings,
    competition: Competition,
    dataset_version: DatasetVersion | None = None,
    scorer_version: str | None = None,
) -> RescorePlan:
    """Which submissions of ``competition`` need an evaluation on the target versions.

    The target defaults to the competition's current hidden dataset and scorer version.
    """
    dataset = dataset_version or competition.hidden_dataset
    if dataset is None:
        raise RescoreError("no_dataset", f"Competition '{competition.slug}' has no hidden dataset to rescore on.")
    scorer = (scorer_version or competition.scorer_version).strip()
    if not scorer or len(scorer) > 40:
        raise RescoreError("bad_scorer_version", "A scorer version is 1-40 characters.")
    submissions = session.execute(
        sa.select(Submission.id, Submission.status).where(Submission.competition_id == competition.id)
        .order_by(Submission.id)
    ).all()
    done = set(session.scalars(
        sa.select(Evaluation.submission_id).join(Submission).where(
            Submission.competition_id == competition.id,
            Evaluation.dataset_version_id == dataset.id,
            Evaluation.scorer_version == scorer,
        )
    ))
    stored: dict[int, list[str]] = {}
    for submission_id, sha in session.execute(
        sa.select(Evaluation.submission_id, Evaluation.outputs_sha256).join(Submission).where(
            Submission.competition_id == competition.id,
            Evaluation.dataset_version_id == dataset.id,
            Evaluation.status == EvaluationStatus.SCORED,
            Evaluation.outputs_sha256.is_not(None),
        )
    ):
        stored.setdefault(submission_id, []).append(sha)
    items = []
    disqualified = 0
    for submission_id, status in submissions:
        if status is SubmissionStatus.DISQUALIFIED:
            disqualified += 1
            continue
        if submission_id in done:
            continue
        reuse = any(outputs_store.has_outputs(settings, sha) for sha in stored.get(submission_id, ()))
        items.append(RescoreItem(submission_id=submission_id, reuses_outputs=reuse))
    return RescorePlan(
        competition_id=competition.id, dataset_version_id=dataset.id, dataset_sha256=dataset.manifest_sha256,
        scorer_version=scorer, items=tuple(items), already_evaluated=len(done), disqualified=disqualified,
    )


def apply_rescore(
    session: Session,
    settings: Settings,
    plan: RescorePlan,
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Create and commit the planned evaluations, then enqueue them; returns their ids.

    ``progress(n)`` is called after each enqueue. Enqueue failures (Redis down) leave the rows
    queued for the reconciler, as for uploads.
    """
    dataset = session.get(DatasetVersion, plan.dataset_version_id)
    if dataset is None:
        raise RescoreError("no_dataset", f"Dataset version {plan.dataset_version_id} no longer exists.")
    evaluations = []
    for item in plan.items:
        submission = session.get(Submission, item.submission_id)
        if submission is None:
            continue
        evaluations.append(create_evaluation(session, submission, dataset, plan.scorer_version,
                                             EvaluationKind.RESCORE))
    session.commit()
    for evaluation in evaluations:
        enqueue_evaluation(settings, evaluation.id, evaluation.attempt)
        if progress is not None:
            progress(1)
    return [e.id for e in evaluations]
