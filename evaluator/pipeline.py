"""The steps of one evaluation attempt, as plain functions.

stage inputs -> smoke run on the public split -> hidden run -> validate -> metrics -> result.
No step holds a database transaction: ``load_task`` reads everything up front in one short
transaction, and the caller (``evaluator.attempt``) writes the result in one fenced one.
"""
from __future__ import annotations

import platform
import threading
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from arena.core.imageset import CONTENT_DIR, PAIRS_NAME, STYLE_DIR
from arena.core.datasets.errors import DatasetError
from arena.core.datasets.staging import stage_dataset
from arena.core.db import transaction
from arena.core.enums import EvaluationKind, EvaluationStatus, SubmissionFormat
from arena.core.models import Competition, DatasetVersion, Evaluation, Submission
from arena.core.settings import Settings
from arena.core.store import outputs as outputs_store
from evaluator.claim import Claim, ScoredResult, ScoreValue
from evaluator.errors import EvaluationFault, LeaseLost, PlatformCode, PlatformFault, classify
from sandbox import container as spec
from sandbox.errors import SandboxError
from arena.core.limits import SandboxLimits
from sandbox.validation import validate_outputs

# How much of the smoke run's log its owner may read: the head (loading) and the tail (the
# traceback) matter most, so the middle of a long log is dropped.
PUBLIC_LOG_CHARS = 64_000
LABEL_PREFIX = "stylearena"


class Runner(Protocol):
    """What the pipeline needs from the sandbox runner (``sandbox.runner.SandboxRunner``)."""

    def run(self, submission_path: Path, submission_format: SubmissionFormat, inputs_dir: Path,
            output_dir: Path, limits: SandboxLimits, labels: dict[str, str],
            abort: threading.Event | None = None) -> Any: ...


class Scorer(Protocol):
    """What the pipeline needs from ``evaluator.metrics.MetricSuite``."""

    def score(self, pairs: list[Any], outputs_dir: Path, content_dir: Path, style_dir: Path,
              cache_dir: Path | None = None, dataset_key: str | None = None) -> Any: ...


@dataclass(frozen=True)
class EvaluationTask:
    """What one attempt needs to know, read once before anything slow starts.

    The dataset versions are detached ORM rows (read-only here): staging takes them as is.
    """

    evaluation_id: int
    submission_id: int
    submission_sha256: str
    submission_format: SubmissionFormat
    kind: EvaluationKind
    scorer_version: str
    dataset: DatasetVersion
    public_dataset: DatasetVersion | None
    # Stored outputs of an earlier run of this submission on the same dataset version; a
    # scorer-only rescore scores them instead of running the generator again.
    reusable_outputs_sha256: str | None


@dataclass(frozen=True)
class RunOutcome:
    """A validated sandbox run: where its outputs are and what the runner reported."""

    outputs_dir: Path
    outputs_sha256: str
    log: str
    report: dict[str, Any]
    image_id: str
    duration_s: float


def platform_version() -> str:
    """The installed StyleArena version, recorded in every evaluation's provenance."""
    try:
        return version("stylearena")
    except PackageNotFoundError:
        return "unknown"


def truncate_log(log: str, limit: int = PUBLIC_LOG_CHARS) -> str:
    """Keep the head and the tail of a long log, marking the cut."""
    if len(log) <= limit:
        return log
    half = limit // 2
    return f"{log[:half]}\n... [{len(log) - limit} characters cut] ...\n{log[-half:]}"


def load_task(factory: sessionmaker[Session], evaluation_id: int, settings: Settings) -> EvaluationTask:
    """Read the evaluation, its submission and datasets in one short transaction."""
    with transaction(factory) as session:
        evaluation = session.get(Evaluation, evaluation_id)
        if evaluation is None:
            raise PlatformFault(PlatformCode.INTERNAL_ERROR.value, f"evaluation {evaluation_id} vanished")
        submission: Submission = evaluation.submission
        competition: Competition = submission.competition
        public = competition.public_dataset if evaluation.kind is EvaluationKind.INITIAL else None
        reusable = session.scalars(
            sa.select(Evaluation.outputs_sha256).where(
                Evaluation.submission_id == submission.id,
                Evaluation.dataset_version_id == evaluation.dataset_version_id,
                Evaluation.status == EvaluationStatus.SCORED,
                Evaluation.outputs_sha256.is_not(None),
                Evaluation.id != evaluation.id,
            ).order_by(Evaluation.id.desc())
        ).all()
        return EvaluationTask(
            evaluation_id=evaluation.id,
            submission_id=submission.id,
            submission_sha256=submission.sha256,
            submission_format=submission.format,
            kind=evaluation.kind,
            scorer_version=evaluation.scorer_version,
            dataset=evaluation.dataset_version,
            public_dataset=public,
            reusable_outputs_sha256=next((s for s in reusable if outputs_store.has_outputs(settings, s)), None),
        )


def stage_inputs(settings: Settings, dataset: DatasetVersion, dest: Path) -> Path:
    """Materialise a dataset version's image-set layout in ``dest`` (a platform fault if it cannot)."""
    try:
        return stage_dataset(settings, dataset, dest)
    except DatasetError as exc:
        raise PlatformFault(PlatformCode.DATASET_UNAVAILABLE.value, exc.message) from exc


def submission_path(settings: Settings, task: EvaluationTask) -> Path:
    """The stored upload; its absence is the platform's fault (the upload was accepted)."""
    path = settings.uploads_dir / task.submission_sha256
    if not path.is_file():
        raise PlatformFault(PlatformCode.SUBMISSION_MISSING.value, "The stored upload is missing.")
    return path


def container_labels(task: EvaluationTask, claim: Claim, split: str) -> dict[str, str]:
    """Labels that let the reconciler find (and kill) this attempt's container."""
    return {
        spec.LABEL_EVALUATION: str(task.evaluation_id),
        spec.LABEL_ATTEMPT: str(claim.attempt),
        spec.LABEL_SUBMISSION: str(task.submission_id),
        f"{LABEL_PREFIX}.split": split,
    }


def run_generator(
    settings: Settings,
    runner: Runner,
    task: EvaluationTask,
    claim: Claim,
    inputs_dir: Path,
    output_dir: Path,
    smoke: bool,
    abort: threading.Event,
) -> RunOutcome:
    """Run the submission in a fresh sandbox, validate its outputs and store them.

    Raises sandbox errors (participant or platform faults, ``RunAborted``) unchanged; the
    caller classifies them.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    limits = settings.sandbox.run_limits(smoke=smoke)
    started = time.monotonic()
    result = runner.run(
        submission_path(settings, task), task.submission_format, inputs_dir, output_dir, limits,
        container_labels(task, claim, "public" if smoke else "hidden"), abort,
    )
    validate_outputs(output_dir, inputs_dir)
    sha256 = outputs_store.store_outputs(settings, output_dir)
    return RunOutcome(
        outputs_dir=output_dir,
        outputs_sha256=sha256,
        log=result.log,
        report=dict(result.report or {}),
        image_id=result.image_id,
        duration_s=time.monotonic() - started,
    )


def _run_classified(
    settings: Settings,
    runner: Runner,
    task: EvaluationTask,
    claim: Claim,
    inputs_dir: Path,
    output_dir: Path,
    smoke: bool,
    abort: threading.Event,
) -> RunOutcome:
    """``run_generator`` with sandbox errors turned into faults; only a smoke run keeps its log.

    The hidden run's log is participant-controlled text printed while reading hidden images,
    so it is dropped here and can never reach the submission page.
    """
    try:
        return run_generator(settings, runner, task, claim, inputs_dir, output_dir, smoke, abort)
    except SandboxError as exc:
        fault = classify(exc)
        if isinstance(fault, EvaluationFault):
            fault.log = truncate_log(exc.log) if smoke else ""
            if smoke:
                fault.message = f"Public smoke run: {fault.message}"
        raise fault from exc


def compute_scores(settings: Settings, scorer: Scorer, task: EvaluationTask, inputs_dir: Path, outputs_dir: Path):
    """Score validated outputs against the staged inputs (reference statistics cached)."""
    from evaluator.metrics.io import read_pairs_csv  # noqa: PLC0415 - torch only in workers

    pairs = read_pairs_csv(inputs_dir / PAIRS_NAME)
    return scorer.score(pairs, outputs_dir, inputs_dir / CONTENT_DIR, inputs_dir / STYLE_DIR,
                        cache_dir=settings.cache_dir, dataset_key=task.dataset.manifest_sha256)


def score_values(result: Any) -> tuple[ScoreValue, ...]:
    """One ``ScoreValue`` per metric; KID carries mean ± std over its subsets as its interval."""
    values = []
    for name, value in sorted(result.metrics.items()):
        ci = (value - result.kid_std, value + result.kid_std) if name == "kid" else (None, None)
        values.append(ScoreValue(
            metric=name, value=float(value), definition_version=str(result.metric_versions.get(name, "1")),
            calibrated=bool(result.calibrated), ci_low=ci[0], ci_high=ci[1],
        ))
    return tuple(values)


def provenance(
    task: EvaluationTask,
    claim: Claim,
    result: Any,
    hidden: RunOutcome | None,
    public: RunOutcome | None,
    worker_name: str,
) -> dict[str, Any]:
    """Where a score came from: data, scorer, weights, sandbox image, platform, worker, harness."""
    return {
        "dataset_version_id": task.dataset.id,
        "dataset_sha256": task.dataset.manifest_sha256,
        "public_dataset_sha256": task.public_dataset.manifest_sha256 if task.public_dataset else None,
        "scorer_version": task.scorer_version,
        "metric_versions": dict(result.metric_versions),
        "calibrated": bool(result.calibrated),
        "weight_hashes": dict(result.weight_hashes) if result.calibrated else {},
        "n": int(result.n),
        "kid_std": float(result.kid_std),
        "device": result.device,
        "deterministic": bool(result.deterministic),
        "sandbox_image_id": hidden.image_id if hidden else None,
        "outputs_reused": hidden is None,
        "platform_version": platform_version(),
        "worker_host": platform.node(),
        "worker": worker_name,
        "attempt": claim.attempt,
        "harness_report": hidden.report if hidden else None,
        "public_harness_report": public.report if public else None,
    }


def evaluate(
    settings: Settings,
    runner: Runner,
    scorer: Scorer,
    task: EvaluationTask,
    claim: Claim,
    work_dir: Path,
    abort: threading.Event,
    worker_name: str,
    timings: dict[str, float],
) -> ScoredResult:
    """Run every step of one attempt in ``work_dir`` and return what to record.

    ``timings`` is filled in as steps finish, so a failed attempt still records them.
    """
    public: RunOutcome | None = None
    if task.public_dataset is not None:
        started = time.monotonic()
        public_inputs = stage_inputs(settings, task.public_dataset, work_dir / "public-inputs")
        public = _run_classified(settings, runner, task, claim, public_inputs, work_dir / "public-outputs",
                                 True, abort)
        timings["smoke_s"] = round(time.monotonic() - started, 3)

    started = time.monotonic()
    inputs = stage_inputs(settings, task.dataset, work_dir / "inputs")
    timings["stage_s"] = round(time.monotonic() - started, 3)

    hidden: RunOutcome | None = None
    if task.reusable_outputs_sha256 is not None:
        outputs_sha256 = task.reusable_outputs_sha256
        outputs_dir = outputs_store.load_outputs(settings, outputs_sha256)
    else:
        started = time.monotonic()
        hidden = _run_classified(settings, runner, task, claim, inputs, work_dir / "outputs", False, abort)
        outputs_sha256, outputs_dir = hidden.outputs_sha256, hidden.outputs_dir
        timings["run_s"] = round(time.monotonic() - started, 3)

    started = time.monotonic()
    result = compute_scores(settings, scorer, task, inputs, outputs_dir)
    timings["metrics_s"] = round(time.monotonic() - started, 3)
    if abort.is_set():
        # The lease was lost while scoring; the fenced write would be refused anyway.
        raise LeaseLost("lease lost while scoring")
    return ScoredResult(
        scores=score_values(result),
        per_pair={k: dict(v) for k, v in result.per_pair.items()},
        provenance=provenance(task, claim, result, hidden, public, worker_name),
        timings=dict(timings),
        outputs_sha256=outputs_sha256,
        public_log=truncate_log(public.log) if public else None,
        public_outputs_sha256=public.outputs_sha256 if public else None,
    )
