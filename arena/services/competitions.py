"""Competitions: creating, configuring, finding and listing them (organizer operations)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.enums import CompetitionStatus
from arena.core.errors import ArenaError, NotFound
from arena.core.models import Competition
from evaluator.metrics.catalog import DEFAULT_RANKING_METRIC, METRICS

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
# A competition's scorer until the organizer picks one: no worker is this scorer, so nothing
# is scored against it by accident (the CLI and the demo pass the installed weights' scorer).
UNASSIGNED_SCORER = "unassigned"

# The metrics a board may rank by: every metric of the (torch-free) catalog.
RANKING_METRICS = tuple(METRICS)


class CompetitionError(ArenaError):
    """A competition setting an organizer must correct."""


@dataclass(frozen=True)
class CompetitionChanges:
    """Optional new values for a competition; ``None`` leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    rules: str | None = None
    ranking_metric: str | None = None
    daily_quota: int | None = None
    status: CompetitionStatus | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    scorer_version: str | None = None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        # Organizers type dates without a zone; the platform's clock is UTC.
        return value.replace(tzinfo=timezone.utc)
    return value


def _check(competition: Competition) -> None:
    if not competition.title or not competition.title.strip():
        raise CompetitionError("bad_title", "A competition needs a non-empty title.")
    if len(competition.title) > 200:
        raise CompetitionError("bad_title", "Titles are at most 200 characters.")
    if competition.ranking_metric not in RANKING_METRICS:
        raise CompetitionError(
            "bad_metric", f"Unknown ranking metric '{competition.ranking_metric}'; choose one of {', '.join(RANKING_METRICS)}.")
    if competition.daily_quota is None or competition.daily_quota < 0:
        raise CompetitionError("bad_quota", "The daily quota must be 0 or more.")
    if competition.starts_at and competition.ends_at and competition.ends_at <= competition.starts_at:
        raise CompetitionError("bad_dates", "The end date must be after the start date.")


def create_competition(
    session: Session,
    slug: str,
    title: str,
    description: str = "",
    ranking_metric: str = DEFAULT_RANKING_METRIC,
    daily_quota: int = 5,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    status: CompetitionStatus = CompetitionStatus.OPEN,
    rules: str = "",
    scorer_version: str = UNASSIGNED_SCORER,
) -> Competition:
    """Create a competition; raises CompetitionError on a bad or taken slug or bad settings."""
    if not SLUG_RE.match(slug):
        raise CompetitionError("bad_slug", "Slugs are 1-60 lowercase letters, digits or '-' (not at either end).")
    if session.scalar(select(Competition.id).where(Competition.slug == slug)) is not None:
        raise CompetitionError("slug_taken", f"A competition '{slug}' already exists.")
    competition = Competition(
        slug=slug, title=title, description=description, rules=rules, ranking_metric=ranking_metric,
        daily_quota=daily_quota, starts_at=_aware(starts_at), ends_at=_aware(ends_at),
        status=status, scorer_version=scorer_version,
    )
    _check(competition)
    session.add(competition)
    session.flush()
    return competition


def configure_competition(session: Session, competition: Competition, changes: CompetitionChanges) -> Competition:
    """Apply the non-None ``changes``; raises CompetitionError (and changes nothing) when invalid."""
    before = {name: getattr(competition, name) for name in CompetitionChanges.__dataclass_fields__}
    for name in CompetitionChanges.__dataclass_fields__:
        value = getattr(changes, name)
        if value is not None:
            setattr(competition, name, _aware(value) if isinstance(value, datetime) else value)
    try:
        _check(competition)
    except CompetitionError:
        for name, value in before.items():
            setattr(competition, name, value)
        raise
    session.flush()
    return competition


def get_competition(session: Session, slug: str) -> Competition:
    """The competition with this slug; raises NotFound."""
    competition = session.scalar(select(Competition).where(Competition.slug == slug))
    if competition is None:
        raise NotFound("no_such_competition", f"No competition '{slug}'.")
    return competition


def list_competitions(session: Session) -> list[Competition]:
    """Every competition, oldest first."""
    return list(session.scalars(select(Competition).order_by(Competition.id)))


def competition_summary(competition: Competition) -> dict[str, object]:
    """A JSON-ready description of a competition (CLI ``--json`` and exports)."""
    def version(v):
        return None if v is None else {"id": v.id, "sha256": v.manifest_sha256, "name": v.name}

    return {
        "slug": competition.slug,
        "title": competition.title,
        "status": competition.status.value,
        "ranking_metric": competition.ranking_metric,
        "daily_quota": competition.daily_quota,
        "starts_at": competition.starts_at.isoformat() if competition.starts_at else None,
        "ends_at": competition.ends_at.isoformat() if competition.ends_at else None,
        "scorer_version": competition.scorer_version,
        "public_dataset": version(competition.public_dataset),
        "hidden_dataset": version(competition.hidden_dataset),
        "description": competition.description,
    }
