"""The human preference arena (issue 17): matches shown to voters, their votes, stored ratings.

A match is one public-split pair and the public outputs of two board entries, in the A/B order
the voter saw; it is made for one voter (``shown_to_id``), so nobody can vote on a match they
picked themselves. Ratings are computed when votes land and stored, as ``BoardRank`` is: a
request never fits or resamples.
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arena.core.models.base import Base, enum_column_type, utcnow
from arena.core.models.submission import Submission


class VoteChoice(str, Enum):
    A = "a"
    B = "b"
    TIE = "tie"
    BOTH_BAD = "both_bad"


class PreferenceMatch(Base):
    """One comparison offered to one voter: a public pair and two entries' outputs of it."""

    __tablename__ = "preference_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id", ondelete="CASCADE"))
    dataset_version_id: Mapped[int] = mapped_column(sa.ForeignKey("dataset_versions.id"))
    pair_id: Mapped[str] = mapped_column(sa.String(120))
    content_file: Mapped[str] = mapped_column(sa.String(200))
    style_file: Mapped[str] = mapped_column(sa.String(200))
    # A is what the voter saw on the left; the order was drawn at random when the match was made.
    submission_a_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    submission_b_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    # The outputs' content addresses at the time, so a vote always names the pictures it judged.
    outputs_a_sha256: Mapped[str] = mapped_column(sa.String(64))
    outputs_b_sha256: Mapped[str] = mapped_column(sa.String(64))
    shown_to_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission_a: Mapped[Submission] = relationship(foreign_keys=[submission_a_id])
    submission_b: Mapped[Submission] = relationship(foreign_keys=[submission_b_id])

    __table_args__ = (
        sa.Index("ix_preference_matches_shown", "shown_to_id", "competition_id", "created_at"),
        sa.CheckConstraint("submission_a_id <> submission_b_id", name="two_entries"),
    )


class PreferenceVote(Base):
    """One voter's verdict on one match; voided votes stay (for the record) but never count."""

    __tablename__ = "preference_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("preference_matches.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    choice: Mapped[VoteChoice] = mapped_column(enum_column_type(VoteChoice, "vote_choice"))
    # sha256 of the client address with the app's secret: enough to rate-limit, not to locate.
    address_hash: Mapped[str] = mapped_column(sa.String(64))
    voided: Mapped[bool] = mapped_column(default=False)
    voided_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    match: Mapped[PreferenceMatch] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("match_id", "user_id", name="uq_preference_votes_match_user"),
        sa.Index("ix_preference_votes_user", "user_id", "created_at"),
        sa.Index("ix_preference_votes_address", "address_hash", "created_at"),
    )


class PreferenceRating(Base):
    """A stored Bradley–Terry rating of one entry (a submission) on a competition's human board."""

    __tablename__ = "preference_ratings"

    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id", ondelete="CASCADE"),
                                                primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"),
                                               primary_key=True)
    strength: Mapped[float] = mapped_column(sa.Float)  # log-strength, centred at 0
    ci_low: Mapped[float] = mapped_column(sa.Float)
    ci_high: Mapped[float] = mapped_column(sa.Float)
    rank: Mapped[int]
    tied: Mapped[bool]
    separated: Mapped[bool]
    votes: Mapped[int]  # valid votes the entry took part in (both-bad included)
    wins: Mapped[float] = mapped_column(sa.Float)  # ties count half
    both_bad: Mapped[int]
    protocol: Mapped[str] = mapped_column(sa.String(200))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PreferenceSummary(Base):
    """Per competition: the vote counts and the agreement (Kendall's τ) with the automatic board."""

    __tablename__ = "preference_summaries"

    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id", ondelete="CASCADE"),
                                                primary_key=True)
    valid_votes: Mapped[int]
    both_bad: Mapped[int]
    entries: Mapped[int]
    tau: Mapped[Optional[float]] = mapped_column(sa.Float)
    tau_low: Mapped[Optional[float]] = mapped_column(sa.Float)
    tau_high: Mapped[Optional[float]] = mapped_column(sa.Float)
    tau_entries: Mapped[int]
    ranking_metric: Mapped[str] = mapped_column(sa.String(40))
    protocol: Mapped[str] = mapped_column(sa.String(200))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
