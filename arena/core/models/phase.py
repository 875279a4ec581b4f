"""Phases (issue 15): the dated stretches of a competition a submission belongs to.

A competition without phase rows behaves as one open-ended phase (today's single-board
competitions); ``arena.services.phases`` owns what a phase means at a given instant.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from arena.core.models.base import Base, utcnow
from arena.core.models.competition import Competition, DatasetVersion

MAX_PHASE_NAME_CHARS = 60
# The phase every new competition starts with (and the 0018 migration gave every old one).
DEFAULT_PHASE_NAME = "main"


class Phase(Base):
    """One phase of a competition: its name, place in the timeline, dates, quota and dataset.

    Dates are UTC. A missing date is the competition's own (``starts_at`` None: from the
    competition's start; ``ends_at`` None: until the competition's end, open-ended if it has
    none), so the default phase follows ``competition configure --starts/--ends`` without a
    second copy of the dates to keep in sync.
    """

    __tablename__ = "phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(MAX_PHASE_NAME_CHARS))
    # 0, 1, ... in date order; the service renumbers after every change.
    position: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[Optional[datetime]]
    ends_at: Mapped[Optional[datetime]]
    # None: the competition's daily quota.
    daily_quota: Mapped[Optional[int]]
    # None: the competition's current hidden version. Shown on the timeline only: scoring still
    # uses the competition's hidden version (per-phase scoring is not built yet).
    dataset_version_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("dataset_versions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The backref keeps competition.py free of this module; phases go with their competition.
    competition: Mapped[Competition] = relationship(
        backref=backref("phases", order_by="Phase.position", cascade="all, delete-orphan", passive_deletes=True))
    dataset_version: Mapped[Optional[DatasetVersion]] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("competition_id", "name", name="uq_phases_competition_name"),
        sa.CheckConstraint("daily_quota IS NULL OR daily_quota >= 0", name="daily_quota_non_negative"),
        sa.CheckConstraint("starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )
