"""The private board (issue 15): scores on a hidden version's private part, and its finalized standings.

For a split hidden version, an evaluation's ``Score`` rows are its public-board numbers (what
every page, export and API shows) and ``PrivateScore`` rows its private-board numbers, which
only the organizers' views and, after ``competition finalize``, the private board read. Keeping
them in a table of their own means no existing query can show one by accident.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from arena.core.models.base import Base, utcnow


class PrivateScore(Base):
    """One metric of one evaluation on its version's private-board pairs, with its bootstrap."""

    __tablename__ = "private_scores"

    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[float] = mapped_column(sa.Float)
    ci_low: Mapped[Optional[float]] = mapped_column(sa.Float)
    ci_high: Mapped[Optional[float]] = mapped_column(sa.Float)
    definition_version: Mapped[str] = mapped_column(sa.String(120), default="1")
    calibrated: Mapped[bool] = mapped_column(default=False)
    # The replicates on the private part's resample design (``evaluator.statistics.ranking.encode``).
    replicates: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary)


class PrivateBoardEntry(Base):
    """One participant's standing on a finalized competition's private board (a snapshot at finalize)."""

    __tablename__ = "private_board_entries"

    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id", ondelete="CASCADE"), primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    # The final submission that counts: the participant's best final one on the private part.
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluations.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[float] = mapped_column(sa.Float)
    ci_low: Mapped[Optional[float]] = mapped_column(sa.Float)
    ci_high: Mapped[Optional[float]] = mapped_column(sa.Float)
    private_rank: Mapped[int]
    tied: Mapped[bool]
    # The participant's rank on the public board when it was finalized (None: not on it).
    public_rank: Mapped[Optional[int]]
    public_value: Mapped[Optional[float]] = mapped_column(sa.Float)
    # How many final submissions the participant had (chosen, or the best K taken for them).
    finals: Mapped[int]
    chosen: Mapped[bool]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
