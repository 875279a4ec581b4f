"""What a try-it visitor may pick: opted-in models (board order) and the public split's styles."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.enums import CompetitionStatus, DatasetSplit
from arena.core.imageset import STYLE_DIR
from arena.core.models import Competition, Submission
from arena.core.settings import Settings
from arena.core.store.datasets import dataset_path
from arena.services.leaderboard import every_leaderboard_row
from evaluator.tryit_job import tryable

DEFAULT_MODELS = 5


@dataclass(frozen=True)
class TryModel:
    """One model a visitor may run: its board place and who made it."""

    submission_id: int
    competition_slug: str
    competition_title: str
    rank: int | None
    label: str
    username: str


def tryit_competitions(session: Session) -> list[Competition]:
    """Visible competitions whose organizers have not opted out of try-it."""
    return list(session.scalars(sa.select(Competition).where(
        Competition.status != CompetitionStatus.DRAFT, Competition.try_it_disabled.is_(False))
        .order_by(Competition.created_at.desc())))


def tryit_models(session: Session, competition: Competition, limit: int | None = DEFAULT_MODELS) -> list[TryModel]:
    """The board's opted-in entries, best first (``limit`` of them; None: all)."""
    if competition.try_it_disabled:
        return []
    opted = set(session.scalars(sa.select(Submission.id).where(
        Submission.competition_id == competition.id, Submission.allow_try_it.is_(True))))
    models: list[TryModel] = []
    if not opted:
        return models
    for row in every_leaderboard_row(session, competition):
        if row.submission_id in opted:
            models.append(TryModel(row.submission_id, competition.slug, competition.title, row.rank,
                                   row.label or f"#{row.submission_id}", row.username))
            if limit is not None and len(models) >= limit:
                break
    return models


def tryable_submission(session: Session, submission_id: int) -> Submission | None:
    """The submission if visitors may run it now, else None."""
    submission = session.get(Submission, submission_id)
    if submission is None or submission.is_rehearsal or submission.competition.status is CompetitionStatus.DRAFT:
        return None
    return submission if tryable(submission) else None


def public_styles(settings: Settings, competition: Competition) -> list[str]:
    """File names of the public split's style images (never the hidden split's)."""
    version = competition.public_dataset
    if version is None or version.split != DatasetSplit.PUBLIC:
        return []
    folder = dataset_path(settings, version) / STYLE_DIR
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def public_style_path(settings: Settings, competition: Competition, name: str) -> Path | None:
    """The stored public style image called ``name`` (None unless it is one of ``public_styles``)."""
    if name not in public_styles(settings, competition):
        return None
    return dataset_path(settings, competition.public_dataset) / STYLE_DIR / name
