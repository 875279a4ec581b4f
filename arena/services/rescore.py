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
from arena.core.target import EvaluationTarget
from arena.services import audit
from arena.services.evaluations import create_evaluation
from evaluator import diversity
from evaluator.dispatch import enqueue_evaluation
from evaluator.metrics.optional_catalog import parse_optional_metrics


# An evaluation in one of these states has its answer; queued and running ones do not yet.
FINISHED = (EvaluationStatus.SCORED, EvaluationStatus.FAILED)


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
    # Finished (scored or failed) on the target; ``pending``: queued or running there already,
    # so not created again but not done either (the dry run says so).
    already_evaluated: int
    disqualified: int
    pending: int = 0

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
            "already_evaluated": self.already_evaluated, "pending": self.pending,
            "disqualified": self.disqualified,
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
    on_target = dict(session.execute(
        sa.select(Evaluation.submission_id, Evaluation.status).join(Submission).where(
            Submission.competition_id == competition.id,
            Evaluation.dataset_version_id == dataset.id,
            Evaluation.scorer_version == scorer,
        )
    ).all())
    stored: dict[int, list[tuple[str, int]]] = {}
    for submission_id, sha, evaluation_id in session.execute(
        sa.select(Evaluation.submission_id, Evaluation.outputs_sha256, Evaluation.id).join(Submission).where(
            Submission.competition_id == competition.id,
            Evaluation.dataset_version_id == dataset.id,
            Evaluation.status == EvaluationStatus.SCORED,
            Evaluation.outputs_sha256.is_not(None),
        ).order_by(Evaluation.id.desc())
    ):
        stored.setdefault(submission_id, []).append((sha, evaluation_id))
    # The worker's own rule for reusing outputs (with diversity chosen, the repeat pass must be
    # stored too), so the plan's reuse count is what the workers will do.
    repeat = diversity.needs_repeat(parse_optional_metrics(competition.optional_metrics))
    items = []
    disqualified = finished = pending = 0
    for submission_id, status in submissions:
        if status is SubmissionStatus.DISQUALIFIED:
            disqualified += 1
            continue
        if submission_id in on_target:
            if on_target[submission_id] in FINISHED:
                finished += 1
            else:
                pending += 1
            continue
        reuse = diversity.pick_reusable(settings, session, stored.get(submission_id, []), repeat)[0] is not None
        items.append(RescoreItem(submission_id=submission_id, reuses_outputs=reuse))
    return RescorePlan(
        competition_id=competition.id, dataset_version_id=dataset.id, dataset_sha256=dataset.manifest_sha256,
        scorer_version=scorer, items=tuple(items), already_evaluated=finished, disqualified=disqualified,
        pending=pending,
    )


def apply_rescore(
    session: Session,
    settings: Settings,
    plan: RescorePlan,
    progress: Callable[[int], None] | None = None,
    actor: str | None = None,
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
    audit.record(session, "rescore", session.get(Competition, plan.competition_id), {
        **plan.to_dict(), "evaluations": len(evaluations)}, actor=actor)
    session.commit()
    for evaluation in evaluations:
        enqueue_evaluation(settings, evaluation.id, evaluation.attempt)
        if progress is not None:
            progress(1)
    return [e.id for e in evaluations]


@dataclass(frozen=True)
class TargetProgress:
    """How far the eligible submissions of a competition are on one (dataset, scorer) target.

    Eligible: every submission not disqualified. ``missing``: no evaluation on the target at all.
    """

    dataset_version_id: int
    dataset_sha256: str
    scorer_version: str
    current: bool
    eligible: int
    queued: int
    running: int
    scored: int
    failed: int

    @property
    def missing(self) -> int:
        return self.eligible - self.queued - self.running - self.scored - self.failed

    @property
    def unfinished(self) -> int:
        """Eligible submissions without a finished (scored or failed) evaluation on the target."""
        return self.eligible - self.scored - self.failed

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (``rescore status --json``)."""
        return {"dataset_version_id": self.dataset_version_id, "dataset_sha256": self.dataset_sha256,
                "scorer_version": self.scorer_version, "current": self.current, "eligible": self.eligible,
                "queued": self.queued, "running": self.running, "scored": self.scored, "failed": self.failed,
                "missing": self.missing, "unfinished": self.unfinished}


def target_progress(session: Session, competition: Competition) -> list[TargetProgress]:
    """Progress on every target the competition has evaluations on (and its current one), current first."""
    eligible = set(session.scalars(sa.select(Submission.id).where(
        Submission.competition_id == competition.id, Submission.status != SubmissionStatus.DISQUALIFIED)))
    counts: dict[tuple[int, str], dict[EvaluationStatus, int]] = {}
    for dataset_id, scorer, submission_id, status in session.execute(
        sa.select(Evaluation.dataset_version_id, Evaluation.scorer_version, Evaluation.submission_id,
                  Evaluation.status).join(Submission).where(Submission.competition_id == competition.id)
    ):
        if submission_id in eligible:
            by_status = counts.setdefault((dataset_id, scorer), {})
            by_status[status] = by_status.get(status, 0) + 1
    current = EvaluationTarget.of(competition)
    if current.dataset_version_id is not None:
        counts.setdefault((current.dataset_version_id, current.scorer_version), {})
    rows = []
    for (dataset_id, scorer), by_status in counts.items():
        version = session.get(DatasetVersion, dataset_id)
        rows.append(TargetProgress(
            dataset_version_id=dataset_id, dataset_sha256=version.manifest_sha256 if version else "?",
            scorer_version=scorer, current=current.matches(dataset_id, scorer), eligible=len(eligible),
            **{s.value: by_status.get(s, 0) for s in EvaluationStatus}))
    return sorted(rows, key=lambda r: (not r.current, -r.dataset_version_id, r.scorer_version))


def progress_on(session: Session, competition: Competition, dataset_version_id: int,
                scorer_version: str) -> TargetProgress:
    """Progress of the eligible submissions on one target (zero rows evaluated if none)."""
    for row in target_progress(session, competition):
        if row.dataset_version_id == dataset_version_id and row.scorer_version == scorer_version:
            return row
    version = session.get(DatasetVersion, dataset_version_id)
    eligible = session.scalar(sa.select(sa.func.count(Submission.id)).where(
        Submission.competition_id == competition.id, Submission.status != SubmissionStatus.DISQUALIFIED)) or 0
    return TargetProgress(dataset_version_id, version.manifest_sha256 if version else "?", scorer_version,
                          False, int(eligible), 0, 0, 0, 0)


class SwitchRefused(ArenaError):
    """Switching the board's dataset or scorer would hide submissions that are not evaluated there yet."""

    http_status = 409


def check_switch(session: Session, competition: Competition, dataset_version_id: int | None,
                 scorer_version: str, force: bool = False) -> str | None:
    """Refuse a switch to (dataset, scorer) while eligible submissions lack a finished evaluation there.

    Returns None when nothing is hidden, or (with ``force``) the sentence saying what the forced
    switch hides. Raises SwitchRefused naming the count and the commands to see and fix it.
    """
    if dataset_version_id is None or EvaluationTarget.of(competition).matches(dataset_version_id, scorer_version):
        return None
    progress = progress_on(session, competition, dataset_version_id, scorer_version)
    if progress.unfinished == 0:
        return None
    what = (f"{progress.unfinished} of {progress.eligible} eligible submission(s) have no finished evaluation "
            f"on dataset version {dataset_version_id} / scorer {scorer_version} ({progress.queued} queued, "
            f"{progress.running} running, {progress.missing} never evaluated)")
    if force:
        return (f"forced switch: {what}; the board hides them until they are scored "
                f"(watch with `stylearena rescore status {competition.slug} --watch`).")
    raise SwitchRefused("switch_unfinished", (
        f"Not switched: {what}, so the board would hide them. See them with `stylearena rescore status "
        f"{competition.slug}`; evaluate them with `stylearena rescore {competition.slug} --dataset-version "
        f"{dataset_version_id} --scorer-version {scorer_version}`, or add --force to switch anyway."))
