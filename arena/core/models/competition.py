"""Competitions and the immutable dataset versions they point at."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arena.core.enums import CompetitionStatus, DatasetSplit
from arena.core.models.base import Base, enum_column_type, utcnow


class DatasetVersion(Base):
    """A published, immutable set of content/style images and pairs, named by its manifest hash.

    Versions are not owned by a competition: several competitions may share one, and a
    competition keeps pointing at older versions for the history of its scores.
    """

    __tablename__ = "dataset_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    split: Mapped[DatasetSplit] = mapped_column(enum_column_type(DatasetSplit, "dataset_split"))
    n_content: Mapped[int]
    n_style: Mapped[int]
    n_pairs: Mapped[int]
    # Held-out style references (format 2); 0 means FID is measured against the conditioning
    # style images themselves, which a copy of the style image can game (the board says so).
    n_references: Mapped[int] = mapped_column(default=0, server_default="0")
    storage_path: Mapped[str] = mapped_column(sa.String(500))
    reference_stats_path: Mapped[Optional[str]] = mapped_column(sa.String(500))
    licence: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Retired: no competition may attach or stage it again; boards that point at it keep working.
    retired_at: Mapped[Optional[datetime]]
    # A hidden version's public-board / private-board split (arena.core.datasets.board_split),
    # made once at publish; None: not split (one board, scored on every pair).
    board_public_fraction: Mapped[Optional[float]] = mapped_column(sa.Float)
    board_split_seed: Mapped[Optional[int]]
    board_split_sha256: Mapped[Optional[str]] = mapped_column(sa.String(64))


class Competition(Base):
    __tablename__ = "competitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    rules: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[CompetitionStatus] = mapped_column(
        enum_column_type(CompetitionStatus, "competition_status"), default=CompetitionStatus.OPEN
    )
    ranking_metric: Mapped[str] = mapped_column(sa.String(40), default="art_fid")
    daily_quota: Mapped[int] = mapped_column(default=5)
    starts_at: Mapped[Optional[datetime]]
    ends_at: Mapped[Optional[datetime]]
    public_dataset_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("dataset_versions.id"))
    hidden_dataset_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("dataset_versions.id"))
    # Published for this competition but not yet shown: the organizer rescores, then switches.
    staged_public_dataset_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("dataset_versions.id"))
    staged_hidden_dataset_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("dataset_versions.id"))
    # Per-competition sandbox limits within the platform's caps (None: the platform's); arena.core.competition_limits.
    sandbox_timeout_s: Mapped[Optional[int]]
    sandbox_memory_mb: Mapped[Optional[int]]
    scorer_version: Mapped[str] = mapped_column(sa.String(40), default="1")
    # Optional metrics computed on top of the catalog's (comma-separated names; "" = none).
    optional_metrics: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # IANA zone name: a date typed without a time is read in it (issue 19); dates are stored UTC.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")
    # Try it (issue 17): the organizers' opt-out; no model of the competition can be tried.
    try_it_disabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Finalized (issue 15): submissions frozen, the private board published (arena.services.finalize).
    finalized_at: Mapped[Optional[datetime]]
    # Final submissions (issue 15): how many a participant may mark for the private board.
    final_submissions_k: Mapped[int] = mapped_column(default=2, server_default="2")
    # Runtime image (issue 19): the sandbox.recipes recipe its generators run in ("base": the platform's image).
    runtime_image: Mapped[str] = mapped_column(sa.String(40), default="base", server_default="base")
    # Bumped by every change to its board (``evaluator.statistics.board.bump_board_revision``):
    # what the public board caches compare (``arena.web.board_version``).
    board_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    public_dataset: Mapped[Optional[DatasetVersion]] = relationship(foreign_keys=[public_dataset_id])
    hidden_dataset: Mapped[Optional[DatasetVersion]] = relationship(foreign_keys=[hidden_dataset_id])
    staged_public_dataset: Mapped[Optional[DatasetVersion]] = relationship(foreign_keys=[staged_public_dataset_id])
    staged_hidden_dataset: Mapped[Optional[DatasetVersion]] = relationship(foreign_keys=[staged_hidden_dataset_id])

    __table_args__ = (sa.CheckConstraint("daily_quota >= 0", name="daily_quota_non_negative"),
                      sa.CheckConstraint("final_submissions_k >= 1", name="final_submissions_k_positive"))
