"""Submissions, their evaluations (one per dataset version and scorer version) and scores."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arena.core.enums import EvaluationKind, EvaluationStatus, SubmissionFormat, SubmissionStatus
from arena.core.models.base import Base, enum_column_type, utcnow
from arena.core.models.competition import Competition, DatasetVersion
from arena.core.models.user import User


class Submission(Base):
    """One uploaded generator. Its status mirrors the evaluation on the competition's current
    hidden dataset; the row is the source of truth, the queue only delivers its id."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id"))
    label: Mapped[str] = mapped_column(sa.String(120), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    original_filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    format: Mapped[SubmissionFormat] = mapped_column(enum_column_type(SubmissionFormat, "submission_format"))
    status: Mapped[SubmissionStatus] = mapped_column(
        enum_column_type(SubmissionStatus, "submission_status"), default=SubmissionStatus.QUEUED
    )
    error_code: Mapped[Optional[str]] = mapped_column(sa.String(60))
    error_message: Mapped[Optional[str]] = mapped_column(sa.Text)
    # Platform faults never count against the participant's daily quota.
    counts_against_quota: Mapped[bool] = mapped_column(default=True)
    # It failed the public smoke run: free, but counted against the smoke-failure cap.
    failed_on_smoke: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_baseline: Mapped[bool] = mapped_column(default=False)
    # Uploaded by an organizer while the competition was a draft: never shown publicly.
    is_rehearsal: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    disqualified_reason: Mapped[Optional[str]] = mapped_column(sa.Text)
    # The log of the public-split smoke run: the only log its owner may read.
    public_log: Mapped[Optional[str]] = mapped_column(sa.Text)
    # Content address of the public-split outputs (the owner's and visitors' gallery).
    public_outputs_sha256: Mapped[Optional[str]] = mapped_column(sa.String(64))
    # Try it (issue 17): the owner lets visitors stylize their own photo with it; off by default.
    allow_try_it: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The phase it was uploaded in (arena.services.phases); None: the competition has no phases.
    phase_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("phases.id"), index=True)
    # Set: its owner marked it as one of their final submissions (arena.services.final_choices).
    marked_final_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship()
    competition: Mapped[Competition] = relationship()
    evaluations: Mapped[list["Evaluation"]] = relationship(
        back_populates="submission", order_by="Evaluation.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.Index("ix_submissions_board", "competition_id", "status", "owner_id", "created_at"),
        sa.Index("ix_submissions_quota", "owner_id", "competition_id", "created_at"),
        # The board's last submission change in one lookup (arena.web.board_version).
        sa.Index("ix_submissions_competition_updated", "competition_id", "updated_at"),
        sa.CheckConstraint("size_bytes >= 0", name="size_non_negative"),
    )


class Evaluation(Base):
    """Scoring one submission on one dataset version with one scorer version.

    ``attempt`` is a fencing token: a worker claims the row by bumping it in one conditional
    update, and every later write is conditioned on the value it claimed.
    """

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    dataset_version_id: Mapped[int] = mapped_column(sa.ForeignKey("dataset_versions.id"))
    scorer_version: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[EvaluationKind] = mapped_column(
        enum_column_type(EvaluationKind, "evaluation_kind"), default=EvaluationKind.INITIAL
    )
    status: Mapped[EvaluationStatus] = mapped_column(
        enum_column_type(EvaluationStatus, "evaluation_status"), default=EvaluationStatus.QUEUED
    )
    attempt: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[Optional[str]] = mapped_column(sa.String(200))
    lease_expires_at: Mapped[Optional[datetime]]
    enqueued_at: Mapped[Optional[datetime]]
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    error_code: Mapped[Optional[str]] = mapped_column(sa.String(60))
    error_message: Mapped[Optional[str]] = mapped_column(sa.Text)
    # The full technical text of a failure (exception messages, file names, the log's tail):
    # organizers only, never shown to the participant (a hidden run's text describes hidden data).
    error_detail: Mapped[Optional[str]] = mapped_column(sa.Text)
    platform_faults: Mapped[int] = mapped_column(default=0)
    # The step a running attempt is in (``evaluator.pipeline.STEPS``), for the owner's live status.
    step: Mapped[Optional[str]] = mapped_column(sa.String(20))
    # Content address of the stored hidden-run outputs, so a scorer-only rescore needs no rerun.
    outputs_sha256: Mapped[Optional[str]] = mapped_column(sa.String(64))
    provenance: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    per_pair: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="evaluations")
    dataset_version: Mapped[DatasetVersion] = relationship()
    scores: Mapped[list["Score"]] = relationship(back_populates="evaluation", cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint(
            "submission_id", "dataset_version_id", "scorer_version", name="uq_evaluations_target"
        ),
        sa.Index("ix_evaluations_board", "dataset_version_id", "scorer_version", "status", "submission_id"),
        sa.Index("ix_evaluations_lease", "status", "lease_expires_at"),
        sa.CheckConstraint("attempt >= 0", name="attempt_non_negative"),
    )


class Score(Base):
    """One metric value of one evaluation (lower is better for every StyleArena metric)."""

    __tablename__ = "scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluations.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[float] = mapped_column(sa.Float)
    ci_low: Mapped[Optional[float]] = mapped_column(sa.Float)
    ci_high: Mapped[Optional[float]] = mapped_column(sa.Float)
    definition_version: Mapped[str] = mapped_column(sa.String(120), default="1")
    calibrated: Mapped[bool] = mapped_column(default=False)

    evaluation: Mapped[Evaluation] = relationship(back_populates="scores")

    __table_args__ = (
        sa.UniqueConstraint("evaluation_id", "metric", name="uq_scores_evaluation_metric"),
        sa.Index("ix_scores_metric_value", "metric", "value", "evaluation_id"),
    )


class ScoreReplicate(Base):
    """The bootstrap replicates of one metric of one evaluation (``evaluator.statistics``).

    ``data`` is ``resamples`` little-endian float32 values, draw b on the b-th resample of the
    dataset version's fixed resample design, so two evaluations of one board pair draw by draw.
    """

    __tablename__ = "score_replicates"

    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    resamples: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class BoardRank(Base):
    """A stored rank with ties of one board entry (an evaluation) for one metric of a competition.

    Written when a score lands (``evaluator.statistics.board.rerank``), read by every board
    page; a request never resamples. ``beaten_by`` is the number of entries better with
    confidence, kept so that the next score re-ranks with O(M) paired tests.
    """

    __tablename__ = "board_ranks"

    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id", ondelete="CASCADE"),
                                                primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    # 0: the competition's whole board; a phase's id: that phase's board (issue 15).
    scope: Mapped[int] = mapped_column(primary_key=True, default=0, server_default="0")
    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int]
    beaten_by: Mapped[int]
    tied: Mapped[bool]
    separated: Mapped[bool]
    # False: the metric has no replicates and the rank is the exact order of the values.
    statistical: Mapped[bool]
    protocol: Mapped[str] = mapped_column(sa.String(200))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationEfficiency(Base):
    """The measured cost of an evaluation's hidden run (``sandbox.efficiency.Efficiency``), one row per run.

    Measurements of one run on shared hardware, under the limits stored beside them: compare
    only rows with equal ``device``, ``cpus`` and ``memory_mb``, and never rank by them.
    """

    __tablename__ = "evaluation_efficiency"

    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    latency_median_ms: Mapped[float] = mapped_column(sa.Float)
    latency_p95_ms: Mapped[float] = mapped_column(sa.Float)
    throughput_ips: Mapped[Optional[float]] = mapped_column(sa.Float)
    batch_size: Mapped[int]
    timed_pairs: Mapped[int]
    warmup_pairs: Mapped[int]
    load_s: Mapped[Optional[float]] = mapped_column(sa.Float)
    peak_rss_mb: Mapped[Optional[float]] = mapped_column(sa.Float)
    peak_device_mb: Mapped[Optional[float]] = mapped_column(sa.Float)
    parameter_count: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    parameter_bytes: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    # exact (TorchScript, .pt2), counted (a package's nn.Module), declared (a package's manifest)
    parameter_source: Mapped[Optional[str]] = mapped_column(sa.String(10))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    run_s: Mapped[float] = mapped_column(sa.Float)
    device: Mapped[str] = mapped_column(sa.String(10))
    cpus: Mapped[float] = mapped_column(sa.Float)
    memory_mb: Mapped[int]
