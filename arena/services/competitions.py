"""Competitions: creating, configuring, finding and listing them (organizer operations)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.competition_limits import check_competition_limits
from arena.core.enums import CompetitionStatus, SubmissionStatus
from arena.core.errors import ArenaError, NotFound
from arena.core.models import Competition, Phase, Submission
from arena.core.models.phase import DEFAULT_PHASE_NAME
from arena.core.settings import SandboxSettings
from arena.services import audit
from arena.services.rules import rules_sha256
from evaluator.metrics.catalog import DEFAULT_RANKING_METRIC, METRICS
from evaluator.metrics.optional_catalog import OPTIONAL_METRICS, UnknownOptionalMetric, parse_optional_metrics
from evaluator.statistics.board import rerank
from sandbox.recipes import UnknownRecipe, get_recipe

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
# A competition's scorer until the organizer picks one: no worker is this scorer, so nothing
# is scored against it by accident (the CLI and the demo pass the installed weights' scorer).
UNASSIGNED_SCORER = "unassigned"

# The metrics a board may rank by: every metric of the (torch-free) catalog, and the optional
# ones (an optional ranking metric must also be one the competition computes).
RANKING_METRICS = tuple(METRICS) + tuple(OPTIONAL_METRICS)


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
    # A datetime, or the text an organizer typed (see ``parse_when``), read in the competition's zone.
    starts_at: datetime | str | None = None
    ends_at: datetime | str | None = None
    scorer_version: str | None = None
    timezone: str | None = None
    # Comma-separated optional metrics to compute ("" or "none" clears); evaluator.metrics.optional_catalog.
    optional_metrics: str | None = None
    # How many final submissions a participant may mark (arena.services.final_choices); at least 1.
    final_submissions_k: int | None = None
    # Per-competition sandbox limits within the platform's caps (arena.core.competition_limits);
    # 0 gives the competition the platform's own limit back (the column holds NULL then).
    sandbox_timeout_s: int | None = None
    sandbox_memory_mb: int | None = None
    # The runtime image recipe (sandbox.recipes); whether it is built is the caller's check (Docker).
    runtime_image: str | None = None


SANDBOX_LIMITS = ("sandbox_timeout_s", "sandbox_memory_mb")


# The reason a rehearsal upload carries once its draft opens: it is taken off every board for good.
REHEARSAL_REASON = "Rehearsal upload made while the competition was a draft; not part of the competition."


def check_zone(name: str) -> str:
    """An IANA time-zone name, checked; raises CompetitionError naming what to type instead."""
    name = (name or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CompetitionError("bad_timezone", f"Unknown time zone '{name}'; use an IANA name such as UTC, "
                                               "Europe/Paris or America/New_York.") from None
    return name


def parse_when(value: datetime | str | None, zone: str, end_of_day: bool) -> datetime | None:
    """An organizer's date as an aware UTC instant.

    A date without a time means the start of that day (for a start) or its very end (for an
    end: ``--ends 2027-01-31`` keeps the 31st open), in the competition's zone; a time without
    an offset is in that zone too; an offset (``2027-01-31T18:00+02:00``, or ``Z``) wins.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                value = datetime.combine(day, time.max if end_of_day else time.min)
            else:
                value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            raise CompetitionError("bad_date", f"Cannot read the date '{text}'; write 2027-01-31, 2027-01-31T18:00 "
                                               "or 2027-01-31T18:00+02:00.") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(timezone.utc)


def _check(competition: Competition) -> None:
    if not competition.title or not competition.title.strip():
        raise CompetitionError("bad_title", "A competition needs a non-empty title.")
    if len(competition.title) > 200:
        raise CompetitionError("bad_title", "Titles are at most 200 characters.")
    if competition.ranking_metric not in RANKING_METRICS:
        raise CompetitionError(
            "bad_metric", f"Unknown ranking metric '{competition.ranking_metric}'; choose one of {', '.join(RANKING_METRICS)}.")
    _check_optional_metrics(competition)
    if competition.daily_quota is None or competition.daily_quota < 0:
        raise CompetitionError("bad_quota", "The daily quota must be 0 or more.")
    if competition.starts_at and competition.ends_at and competition.ends_at <= competition.starts_at:
        raise CompetitionError("bad_dates", "The end date must be after the start date.")
    if competition.final_submissions_k is not None and competition.final_submissions_k < 1:
        raise CompetitionError("bad_final_submissions", "Participants must be able to mark at least 1 final submission.")
    if competition.runtime_image is not None:
        try:
            get_recipe(competition.runtime_image)
        except UnknownRecipe as exc:
            raise CompetitionError("unknown_runtime_image", str(exc)) from None


def _check_optional_metrics(competition: Competition) -> None:
    try:
        chosen = parse_optional_metrics(competition.optional_metrics)
    except UnknownOptionalMetric as exc:
        raise CompetitionError("bad_metric", str(exc)) from None
    competition.optional_metrics = ",".join(chosen)  # the canonical stored form
    if competition.ranking_metric in OPTIONAL_METRICS and competition.ranking_metric not in chosen:
        raise CompetitionError(
            "bad_metric", f"The ranking metric '{competition.ranking_metric}' is an optional metric this competition "
            f"does not compute; add it: --metrics {','.join((*chosen, competition.ranking_metric))}.")


def create_competition(
    session: Session,
    slug: str,
    title: str,
    description: str = "",
    ranking_metric: str = DEFAULT_RANKING_METRIC,
    daily_quota: int = 5,
    starts_at: datetime | str | None = None,
    ends_at: datetime | str | None = None,
    status: CompetitionStatus = CompetitionStatus.OPEN,
    rules: str = "",
    scorer_version: str = UNASSIGNED_SCORER,
    timezone: str = "UTC",
    actor: str | None = None,
) -> Competition:
    """Create a competition; raises CompetitionError on a bad or taken slug or bad settings.

    The service's default status stays ``open`` for library callers (the demo); the organizer
    CLI creates drafts unless told otherwise.
    """
    if not SLUG_RE.match(slug):
        raise CompetitionError("bad_slug", "Slugs are 1-60 lowercase letters, digits or '-' (not at either end).")
    if session.scalar(select(Competition.id).where(Competition.slug == slug)) is not None:
        raise CompetitionError("slug_taken", f"A competition '{slug}' already exists.")
    zone = check_zone(timezone)
    competition = Competition(
        slug=slug, title=title, description=description, rules=rules, ranking_metric=ranking_metric,
        daily_quota=daily_quota, starts_at=parse_when(starts_at, zone, end_of_day=False),
        ends_at=parse_when(ends_at, zone, end_of_day=True), status=status, scorer_version=scorer_version,
        timezone=zone,
    )
    _check(competition)
    # Its one default phase has no dates of its own: it follows the competition's (services.phases).
    competition.phases.append(Phase(name=DEFAULT_PHASE_NAME, position=0))
    session.add(competition)
    session.flush()
    audit.record(session, "create", competition, {
        "title": title, "status": status, "timezone": zone, "starts_at": competition.starts_at,
        "ends_at": competition.ends_at, "daily_quota": daily_quota, "ranking_metric": ranking_metric,
        "scorer_version": scorer_version}, actor=actor)
    return competition


def configure_competition(session: Session, competition: Competition, changes: CompetitionChanges,
                          actor: str | None = None, sandbox: SandboxSettings | None = None) -> Competition:
    """Apply the non-None ``changes``; raises CompetitionError (and changes nothing) when invalid.

    Sandbox limits need the platform's caps (``sandbox``); one above a cap raises LimitsRefused.

    Records a ``configure`` audit entry with each changed field's old and new value. Opening a
    draft retires its rehearsal uploads (disqualified with ``REHEARSAL_REASON``).
    """
    fields = CompetitionChanges.__dataclass_fields__
    before = {name: getattr(competition, name) for name in fields}
    limits = {name: getattr(changes, name) for name in SANDBOX_LIMITS}
    if any(value is not None for value in limits.values()):
        if sandbox is None:
            raise ValueError("configure_competition needs the platform's sandbox settings to set sandbox limits")
        # Checked before anything changes; 0 (back to the platform's limit) is always allowed.
        check_competition_limits(sandbox, limits["sandbox_timeout_s"] or None, limits["sandbox_memory_mb"] or None)
    try:
        # The zone first: dates typed in the same command are read in the new zone.
        zone = check_zone(changes.timezone) if changes.timezone is not None else competition.timezone or "UTC"
        for name in fields:
            value = getattr(changes, name)
            if name in ("starts_at", "ends_at") and value is not None:
                value = parse_when(value, zone, end_of_day=name == "ends_at")
            elif name == "timezone" and value is not None:
                value = zone
            if name in SANDBOX_LIMITS:
                if value is not None:
                    setattr(competition, name, value or None)
                continue
            if value is not None:
                setattr(competition, name, value)
        _check(competition)
    except CompetitionError:
        for name, value in before.items():
            setattr(competition, name, value)
        raise
    diff = {name: [before[name], getattr(competition, name)] for name in fields
            if name not in ("description", "rules") and before[name] != getattr(competition, name)}
    if before["description"] != competition.description:
        diff["description"] = "changed"
    if before["rules"] != competition.rules:
        # The versions, not the texts: participants' acceptances name these hashes (services.rules).
        diff["rules"] = [rules_sha256(before["rules"]), rules_sha256(competition.rules)]
    session.flush()
    retired = 0
    if before["status"] is CompetitionStatus.DRAFT and competition.status is not CompetitionStatus.DRAFT:
        retired = retire_rehearsals(session, competition)
        if retired:
            diff["rehearsals_retired"] = retired
    if diff:
        audit.record(session, "configure", competition, diff, actor=actor)
    return competition


def retire_rehearsals(session: Session, competition: Competition) -> int:
    """Take every rehearsal upload of ``competition`` off its boards for good; returns how many."""
    rehearsals = list(session.scalars(select(Submission).where(
        Submission.competition_id == competition.id, Submission.is_rehearsal.is_(True),
        Submission.status != SubmissionStatus.DISQUALIFIED)))
    for submission in rehearsals:
        submission.status = SubmissionStatus.DISQUALIFIED
        submission.disqualified_reason = REHEARSAL_REASON
    if rehearsals:
        session.flush()
        rerank(session, competition.id)
    return len(rehearsals)


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
        "timezone": competition.timezone or "UTC",
        "scorer_version": competition.scorer_version,
        "optional_metrics": list(parse_optional_metrics(competition.optional_metrics)),
        "public_dataset": version(competition.public_dataset),
        "hidden_dataset": version(competition.hidden_dataset),
        "description": competition.description,
        "rules_sha256": rules_sha256(competition.rules),
        "final_submissions_k": competition.final_submissions_k,
        "sandbox_timeout_s": competition.sandbox_timeout_s,  # None: the platform's limit
        "sandbox_memory_mb": competition.sandbox_memory_mb,
        "runtime_image": competition.runtime_image or "base",
    }
