"""The steps of one evaluation attempt, as plain functions.

stage inputs -> smoke run on the public split -> hidden run -> validate -> metrics -> result.
No step holds a database transaction: ``load_task`` reads everything up front in one short
transaction, and the caller (``evaluator.attempt``) writes the result in one fenced one.
Every failure leaves ``evaluate`` as a fault already shaped for the split it happened on
(``evaluator.errors.fault_on_split``), so nothing of a hidden run reaches its participant.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from arena.core.datasets.errors import DatasetError
from arena.core.datasets.staging import stage_dataset, stage_references
from arena.core.db import transaction
from arena.core.enums import DatasetSplit, EvaluationKind, EvaluationStatus, SubmissionFormat
from arena.core.imageset import CONTENT_DIR, PAIRS_NAME, STYLE_DIR
from arena.core.competition_limits import run_limits_for
from arena.core.limits import SandboxLimits
from arena.core.models import Competition, Evaluation, EvaluationEfficiency, Submission
from arena.core.settings import Settings
from arena.core.store import outputs as outputs_store
from arena.core.store.datasets import DatasetRef
from arena.core.store.uploads import upload_path
from evaluator.board_parts import BoardParts, restricted, score_parts, split_of
from evaluator.claim import Claim, ScoredResult, ScoreValue
from evaluator import diversity
from evaluator.metrics.optional_catalog import WEIGHT_FREE, parse_optional_metrics
from evaluator.metrics.per_style_sets import with_style_sets
from evaluator.public_split import score_or_reason
from evaluator.reports import efficiency_row, report_summary, stored_efficiency
from evaluator.runtime import runner_for
from evaluator.provenance import platform_version, provenance  # noqa: F401 - re-exported
from evaluator.errors import LeaseLost, PlatformCode, PlatformFault, fault_on_split, truncate_log
from evaluator.statistics.ranking import basic_interval, encode
from evaluator.statistics.replicates import Bootstrap, bootstrap
from sandbox import container as spec
from sandbox.validation import validate_outputs, validate_repeat_outputs

if TYPE_CHECKING:
    from evaluator.context import WorkerContext

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

    def collect(self, pairs: list[Any], outputs_dir: Path, content_dir: Path, style_dir: Path,
                cache_dir: Path | None = None, dataset_key: str | None = None, *, references: Any = None) -> Any: ...

    def compute(self, state: Any) -> Any: ...


@dataclass(frozen=True)
class EvaluationTask:
    """What one attempt needs to know, read once before anything slow starts.

    Plain values only: no ORM row leaves the transaction that read them.
    """

    evaluation_id: int
    submission_id: int
    submission_sha256: str
    submission_format: SubmissionFormat
    kind: EvaluationKind
    scorer_version: str
    dataset: DatasetRef
    public_dataset: DatasetRef | None
    # Stored outputs of an earlier run of this submission on the same dataset version; a
    # scorer-only rescore scores them instead of running the generator again.
    reusable_outputs_sha256: str | None
    # The competition's own sandbox limits within the platform's caps (None: the platform's).
    sandbox_timeout_s: int | None = None
    sandbox_memory_mb: int | None = None
    # The measured cost of the run whose outputs are reused (the generator does not run again).
    reusable_efficiency: dict[str, Any] | None = None
    # The optional metrics the competition computes besides the catalog's (evaluator.metrics.optional).
    optional_metrics: tuple[str, ...] = ()
    # The runtime image recipe the competition runs its generators in (sandbox.recipes).
    runtime_image: str = "base"
    # The repeat-pass outputs stored with the reusable ones (diversity; ``evaluator.diversity``).
    reusable_repeat_sha256: str | None = None


@dataclass(frozen=True)
class RunOutcome:
    """A validated sandbox run: where its outputs are and what the runner reported."""

    outputs_dir: Path
    outputs_sha256: str
    log: str
    report: dict[str, Any]
    image_id: str
    duration_s: float
    # The public-split score of these outputs (``evaluator.public_split``); smoke runs only.
    scores: dict[str, Any] | None = None
    # The run's measured cost, as ``EvaluationEfficiency`` columns (``evaluator.reports``).
    efficiency: dict[str, Any] | None = None
    # The limits the run had (platform caps tightened by the competition's), for provenance.
    limits: dict[str, Any] | None = None
    # The runtime image it ran in: recipe, version and image id (``RuntimeImage.provenance``).
    runtime: dict[str, Any] | None = None
    # The stored repeat pass (a second seed, for diversity), when the run had one.
    repeat_outputs_sha256: str | None = None


# The steps of an attempt, in order; each is timed, and announced as it starts.
STEPS = ("smoke", "stage", "run", "metrics")


class Timings:
    """Seconds per step of one attempt; owned by the attempt, so a failed one records them too.

    ``on_step`` hears each step's name as it starts (the attempt records it for live status).
    """

    def __init__(self, on_step: Callable[[str], object] | None = None) -> None:
        self._values: dict[str, float] = {}
        self._on_step = on_step

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as ``<name>_s`` (recorded only when it finishes)."""
        if self._on_step is not None:
            self._on_step(name)
        started = time.monotonic()
        yield
        self.record(name, time.monotonic() - started)

    def record(self, name: str, seconds: float) -> None:
        """Set ``<name>_s``."""
        self._values[f"{name}_s"] = round(seconds, 3)

    def as_dict(self) -> dict[str, float]:
        """A copy of the recorded steps."""
        return dict(self._values)


def load_task(factory: sessionmaker[Session], evaluation_id: int, settings: Settings) -> EvaluationTask:
    """Read the evaluation, its submission and datasets in one short transaction."""
    with transaction(factory) as session:
        evaluation = session.get(Evaluation, evaluation_id)
        if evaluation is None:
            raise PlatformFault(PlatformCode.INTERNAL_ERROR.value, f"evaluation {evaluation_id} vanished")
        submission: Submission = evaluation.submission
        competition: Competition = submission.competition
        public = competition.public_dataset if evaluation.kind is EvaluationKind.INITIAL else None
        reusable = session.execute(
            sa.select(Evaluation.outputs_sha256, Evaluation.id).where(
                Evaluation.submission_id == submission.id,
                Evaluation.dataset_version_id == evaluation.dataset_version_id,
                Evaluation.status == EvaluationStatus.SCORED,
                Evaluation.outputs_sha256.is_not(None),
                Evaluation.id != evaluation.id,
            ).order_by(Evaluation.id.desc())
        ).all()
        optional = parse_optional_metrics(competition.optional_metrics)
        reused, repeat_sha256 = diversity.pick_reusable(settings, session, reusable, diversity.needs_repeat(optional))
        return EvaluationTask(
            evaluation_id=evaluation.id,
            submission_id=submission.id,
            submission_sha256=submission.sha256,
            submission_format=submission.format,
            kind=evaluation.kind,
            scorer_version=evaluation.scorer_version,
            dataset=DatasetRef.of(evaluation.dataset_version),
            public_dataset=DatasetRef.of(public) if public is not None else None,
            reusable_outputs_sha256=reused[0] if reused else None,
            reusable_efficiency=stored_efficiency(session.get(EvaluationEfficiency, reused[1])) if reused else None,
            sandbox_timeout_s=competition.sandbox_timeout_s, sandbox_memory_mb=competition.sandbox_memory_mb,
            optional_metrics=optional, reusable_repeat_sha256=repeat_sha256,
            runtime_image=competition.runtime_image or "base",
        )


def stage_inputs(settings: Settings, dataset: DatasetRef, dest: Path) -> Path:
    """Materialise a dataset version's image-set layout in ``dest`` (a platform fault if it cannot)."""
    try:
        return stage_dataset(settings, dataset, dest)
    except DatasetError as exc:
        raise PlatformFault(PlatformCode.DATASET_UNAVAILABLE.value, exc.message) from exc


def stage_held_out(settings: Settings, dataset: DatasetRef, dest: Path) -> dict[str, list[Path]] | None:
    """Stage a version's held-out style references for the scorer (None: the version has none)."""
    try:
        return stage_references(settings, dataset, dest)
    except DatasetError as exc:
        raise PlatformFault(PlatformCode.DATASET_UNAVAILABLE.value, exc.message) from exc


def submission_path(settings: Settings, task: EvaluationTask) -> Path:
    """The stored upload; its absence is the platform's fault (the upload was accepted)."""
    path = upload_path(settings, task.submission_sha256)
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


def run_generator(context: WorkerContext, task: EvaluationTask, claim: Claim, inputs_dir: Path,
                  output_dir: Path, split: DatasetSplit, abort: threading.Event, repeat: bool = False) -> RunOutcome:
    """Run the submission in a fresh sandbox, validate its outputs and store them.

    With ``repeat`` the sandbox generates every pair again with a second seed (diversity); those
    PNGs pass the same checks and are stored too (``evaluator.diversity.repeat_dir_for``).

    Raises sandbox errors (participant or platform faults, ``RunAborted``) unchanged; the
    caller shapes them for the split.
    """
    settings = context.settings
    output_dir.mkdir(parents=True, exist_ok=True)
    limits = run_limits_for(settings.sandbox, task.sandbox_timeout_s, task.sandbox_memory_mb,
                            smoke=split is DatasetSplit.PUBLIC)
    started = time.monotonic()
    runner, runtime = runner_for(context.runner, settings, task.runtime_image)
    # Only asked for when wanted, so runners that know nothing of repeats (test doubles) still fit.
    extra = {"repeat_dir": diversity.repeat_dir_for(output_dir)} if repeat else {}
    result = runner.run(
        submission_path(settings, task), task.submission_format, inputs_dir, output_dir, limits,
        container_labels(task, claim, split.value), abort, **extra,
    )
    validate_outputs(output_dir, inputs_dir)
    sha256 = outputs_store.store_outputs(settings, output_dir)
    repeat_sha256 = None
    if repeat:
        validate_repeat_outputs(extra["repeat_dir"], inputs_dir)
        repeat_sha256 = outputs_store.store_outputs(settings, extra["repeat_dir"])
    return RunOutcome(
        outputs_dir=output_dir,
        outputs_sha256=sha256,
        log=result.log,
        report=report_summary(result.report),
        image_id=result.image_id,
        duration_s=time.monotonic() - started,
        efficiency=efficiency_row(getattr(result, "efficiency", None)),
        limits={"timeout_s": limits.timeout_s, "memory_mb": limits.memory_mb, "cpus": limits.cpus,
                "per_competition": {"timeout_s": task.sandbox_timeout_s, "memory_mb": task.sandbox_memory_mb}},
        runtime={**runtime, "image_id": result.image_id},
        repeat_outputs_sha256=repeat_sha256,
    )


@contextmanager
def on_split(split: DatasetSplit) -> Iterator[None]:
    """Turn any failure inside the block into a fault shaped for ``split`` (unknown ones pass)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - classified; unknown exceptions re-raised as they are
        fault = fault_on_split(exc, split, PUBLIC_LOG_CHARS)
        if fault is None or fault is exc:
            raise
        raise fault from exc


def compute_scores(context: WorkerContext, task: EvaluationTask, inputs_dir: Path, outputs_dir: Path,
                   references: dict[str, list[Path]] | None,
                   repeat_dir: Path | None = None) -> tuple[Any, Bootstrap, BoardParts | None]:
    """Score validated outputs (statistics cached), then bootstrap every metric from the same state.

    On a version split into boards the result and replicates are the public board's, and the
    third value holds both parts (``evaluator.board_parts``); otherwise it is None.
    """
    from evaluator.metrics.io import read_pairs_csv  # noqa: PLC0415 - torch only in workers

    pairs = read_pairs_csv(inputs_dir / PAIRS_NAME)
    state = context.scorer.collect(pairs, outputs_dir, inputs_dir / CONTENT_DIR, inputs_dir / STYLE_DIR,
                                   cache_dir=context.settings.cache_dir, dataset_key=task.dataset.manifest_sha256,
                                   references=references)
    result = context.scorer.compute(state)
    if task.optional_metrics:
        from evaluator.metrics.optional import add_optional_metrics  # noqa: PLC0415 - torch only in workers

        result = add_optional_metrics(context.scorer, state, result, task.optional_metrics, outputs_dir,
                                      inputs_dir / STYLE_DIR, repeat_dir)
    split = split_of(task.dataset, pairs)
    if split is not None:
        parts = score_parts(context.scorer, state, result, split)
        # Per-style FID/KID are shown on pages: the public part's pairs only, never the private ones.
        return with_style_sets(parts.public[0], restricted(state, split.public)), parts.public[1], parts
    # --- intervals (evaluator.statistics): the same B resamples for every entry of the board
    return with_style_sets(result, state), bootstrap(state, sorted(result.metrics)), None


def score_values(result: Any, replicates: Bootstrap | None = None) -> tuple[ScoreValue, ...]:
    """One ``ScoreValue`` per metric, with its 95 % interval and replicates where it has them.

    KID's spread over its subsets describes the estimator, not the uncertainty of the ranking,
    so it stays in provenance and is never stored as an interval (KID is not resampled either:
    ``evaluator.statistics.replicates.NOT_RESAMPLED``).
    """
    values = []
    for name, value in sorted(result.metrics.items()):
        draws = replicates.replicates.get(name) if replicates is not None else None
        low, high = basic_interval(float(value), draws) if draws is not None else (None, None)
        values.append(ScoreValue(metric=name, value=float(value),
                                 definition_version=str(result.metric_versions.get(name, "1")),
                                 # Weight-free metrics are calibrated by construction, whatever the backbones.
                                 calibrated=bool(result.calibrated) or name in WEIGHT_FREE, ci_low=low, ci_high=high,
                                 replicates=encode(draws) if draws is not None else None))
    return tuple(values)


def evaluate(context: WorkerContext, task: EvaluationTask, claim: Claim, work_dir: Path,
             abort: threading.Event, timings: Timings) -> ScoredResult:
    """Run every step of one attempt in ``work_dir`` and return what to record.

    Raises faults shaped for the split they happened on, ``LeaseLost``, or an unknown
    exception (a bug) unchanged.
    """
    settings = context.settings
    if task.scorer_version != context.scorer_id:
        # Numbers from another scorer would be ranked as if they were the target's.
        raise PlatformFault(PlatformCode.SCORER_MISMATCH.value,
                            f"This worker scores as {context.scorer_id}, but the evaluation asks for "
                            f"{task.scorer_version}; run a worker with that scorer's weights, or rescore "
                            f"with --scorer-version {context.scorer_id}.")
    public: RunOutcome | None = None
    if task.public_dataset is not None:
        with on_split(DatasetSplit.PUBLIC), timings.step("smoke"):
            public_inputs = stage_inputs(settings, task.public_dataset, work_dir / "public-inputs")
            public = run_generator(context, task, claim, public_inputs, work_dir / "public-outputs",
                                   DatasetSplit.PUBLIC, abort)
            # The public-split score, shown beside the hidden one and what `stylearena check` prints.
            public_references = stage_held_out(settings, task.public_dataset, work_dir / "public-references")
            public = replace(public, scores=score_or_reason(
                context.scorer, public_inputs, public.outputs_dir, public_references,
                cache_dir=settings.cache_dir, dataset_key=task.public_dataset.manifest_sha256))

    with on_split(DatasetSplit.HIDDEN):
        with timings.step("stage"):
            inputs = stage_inputs(settings, task.dataset, work_dir / "inputs")
            # Beside the inputs, never inside them: the sandbox mounts only ``inputs``.
            references = stage_held_out(settings, task.dataset, work_dir / "references")
        hidden: RunOutcome | None = None
        repeat = diversity.needs_repeat(task.optional_metrics)
        if task.reusable_outputs_sha256 is not None:
            outputs_sha256, repeat_sha256 = task.reusable_outputs_sha256, task.reusable_repeat_sha256
            outputs_dir = outputs_store.load_outputs(settings, outputs_sha256)
        else:
            with timings.step("run"):
                hidden = run_generator(context, task, claim, inputs, work_dir / "outputs", DatasetSplit.HIDDEN, abort,
                                       repeat)
            outputs_sha256, outputs_dir = hidden.outputs_sha256, hidden.outputs_dir
            repeat_sha256 = hidden.repeat_outputs_sha256
        repeat_dir = outputs_store.load_outputs(settings, repeat_sha256) if repeat_sha256 else None
        with timings.step("metrics"):
            result, replicates, parts = compute_scores(context, task, inputs, outputs_dir, references, repeat_dir)
    if abort.is_set():
        # The lease was lost while scoring; the fenced write would be refused anyway.
        raise LeaseLost("lease lost while scoring")
    return ScoredResult(
        scores=score_values(result, replicates),
        per_pair={k: dict(v) for k, v in result.per_pair.items()},
        provenance={**provenance(task, claim, result, hidden, public, context.worker_name),
                    diversity.PROVENANCE_KEY: diversity.seeding_provenance(repeat_sha256),
                    "intervals": replicates.provenance(), "board_split": parts.provenance() if parts else None},
        private_scores=score_values(*parts.private) if parts else (),
        outputs_sha256=outputs_sha256,
        public_log=truncate_log(public.log, PUBLIC_LOG_CHARS) if public else None,
        public_outputs_sha256=public.outputs_sha256 if public else None,
        efficiency=hidden.efficiency if hidden else task.reusable_efficiency,
    )

