"""Phases (issue 15): which phase is open when, its quota, the timeline, and the organizer's edits.

The one owner of what a phase means at an instant. A phase's missing date is the competition's
own (so the default phase follows ``competition configure --starts/--ends``); a competition
with no phase rows behaves as one open-ended phase, exactly as before phases existed. Phases
never overlap and their ``position`` always follows their dates (renumbered on every change).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.core.enums import CompetitionStatus, DatasetSplit
from arena.core.errors import ArenaError, NotFound
from arena.core.models import Competition, DatasetVersion, Phase, Submission
from arena.core.models.phase import DEFAULT_PHASE_NAME, MAX_PHASE_NAME_CHARS
from arena.services import audit
from arena.services.competitions import CompetitionError, parse_when
from arena.services.upload_rules import format_when

# What an organizer types to give a phase back the competition's date or quota.
CLEAR = "none"


class PhaseError(ArenaError):
    """A phase setting an organizer must correct."""


class PhaseState(str, Enum):
    """Where a phase is at an instant, as the timeline shows it."""

    PAST = "past"
    OPEN = "open"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class PhaseWindow:
    """One phase with its effective dates (the competition's where it has none of its own)."""

    name: str
    position: int
    starts_at: datetime | None
    ends_at: datetime | None
    daily_quota: int
    dataset_label: str | None  # safe to show publicly (_dataset_label)
    phase_id: int | None  # None: the implicit phase of a competition without phase rows


def _start(competition: Competition, phase: Phase) -> datetime | None:
    # Clipped to the competition's dates: a later `competition configure --starts` may pass a phase's own.
    own, outer = phase.starts_at, competition.starts_at
    return outer if own is None else own if outer is None else max(own, outer)


def _end(competition: Competition, phase: Phase) -> datetime | None:
    own, outer = phase.ends_at, competition.ends_at
    return outer if own is None else own if outer is None else min(own, outer)


def _dataset_label(version: DatasetVersion | None) -> str | None:
    """What the timeline may say of a phase's dataset: a hidden version's name is not for the public."""
    if version is None:
        return None
    return f"public set {version.name}" if version.split is DatasetSplit.PUBLIC else "hidden benchmark"


def _is_open(start: datetime | None, end: datetime | None, now: datetime) -> bool:
    # The end is inclusive, as the competition's own end is (upload_rules.phase).
    return (start is None or start <= now) and (end is None or now <= end)


def windows(competition: Competition) -> list[PhaseWindow]:
    """The competition's phases in order, with effective dates; one implicit phase if it has none."""
    if not competition.phases:
        return [PhaseWindow(DEFAULT_PHASE_NAME, 0, competition.starts_at, competition.ends_at,
                            competition.daily_quota, None, None)]
    return [PhaseWindow(p.name, p.position, _start(competition, p), _end(competition, p),
                        competition.daily_quota if p.daily_quota is None else p.daily_quota,
                        _dataset_label(p.dataset_version), p.id)
            for p in competition.phases]


def current_phase(competition: Competition, now: datetime) -> Phase | None:
    """The phase row open at ``now`` (the later one where two touch), or None (none open, or no rows)."""
    open_now = [p for p in competition.phases if _is_open(_start(competition, p), _end(competition, p), now)]
    return open_now[-1] if open_now else None


def daily_quota(competition: Competition, now: datetime) -> int:
    """The daily quota in force at ``now``: the open phase's override, else the competition's."""
    phase = current_phase(competition, now)
    if phase is None or phase.daily_quota is None:
        return competition.daily_quota
    return phase.daily_quota


def phase_refusal(competition: Competition, now: datetime) -> tuple[str, str] | None:
    """Why no phase accepts an upload at ``now``, as (code, message); None when one is open.

    Asked by ``upload_rules.upload_refusal`` after the competition's own status and dates.
    """
    if not competition.phases or current_phase(competition, now) is not None:
        return None
    zone = competition.timezone or "UTC"
    upcoming = [w for w in windows(competition) if w.starts_at is not None and w.starts_at > now]
    if upcoming:
        following = upcoming[0]
        return "no_open_phase", (f"No phase of this competition is open now: the next phase, "
                                 f"\u201c{following.name}\u201d, opens on {format_when(following.starts_at, zone)}. "
                                 "Upload again then.")
    last = windows(competition)[-1]
    closed = f" on {format_when(last.ends_at, zone)}" if last.ends_at is not None else ""
    return "no_open_phase", (f"The last phase of this competition, \u201c{last.name}\u201d, closed{closed}: "
                             "it accepts no more uploads.")


@dataclass(frozen=True)
class TimelineEntry:
    window: PhaseWindow
    state: PhaseState
    starts_text: str | None
    ends_text: str | None


@dataclass(frozen=True)
class Timeline:
    """What the competition page shows: the phases, the open one, the end, the next boundary."""

    entries: tuple[TimelineEntry, ...]
    open_name: str | None
    ends_text: str | None
    next_boundary: datetime | None
    next_label: str | None
    next_text: str | None
    daily_quota: int  # in force now: the open phase's, else the competition's


def timeline(competition: Competition, now: datetime) -> Timeline:
    """The competition's timeline at ``now``, dates written in its zone."""
    zone = competition.timezone or "UTC"
    accepting = competition.status is CompetitionStatus.OPEN
    entries, boundaries = [], []
    for w in windows(competition):
        if w.ends_at is not None and w.ends_at < now:
            state = PhaseState.PAST
        elif w.starts_at is not None and w.starts_at > now:
            state = PhaseState.UPCOMING
        else:
            state = PhaseState.OPEN
        entries.append(TimelineEntry(w, state, format_when(w.starts_at, zone) if w.starts_at else None,
                                     format_when(w.ends_at, zone) if w.ends_at else None))
        if w.starts_at is not None and w.starts_at > now:
            boundaries.append((w.starts_at, f"\u201c{w.name}\u201d opens"))
        if w.ends_at is not None and w.ends_at >= now:
            boundaries.append((w.ends_at, f"\u201c{w.name}\u201d closes"))
    open_now = [e.window.name for e in entries if e.state is PhaseState.OPEN]
    when, label = min(boundaries, key=lambda b: b[0]) if boundaries and accepting else (None, None)
    return Timeline(tuple(entries), open_now[-1] if open_now and accepting else None,
                    format_when(competition.ends_at, zone) if competition.ends_at else None,
                    when, label, format_when(when, zone) if when else None, daily_quota(competition, now))


# --- the organizer's edits -------------------------------------------------------------------

@dataclass(frozen=True)
class PhaseChanges:
    """New values for a phase; ``None`` leaves a field as it is, ``CLEAR`` gives back the competition's.

    Dates are datetimes or the text an organizer typed (``competitions.parse_when``, in the
    competition's zone: a bare end date is the END of that day).
    """

    name: str | None = None
    starts_at: datetime | str | None = None
    ends_at: datetime | str | None = None
    daily_quota: int | str | None = None
    dataset_version: DatasetVersion | str | None = None


def _date(value: datetime | str, zone: str, end_of_day: bool) -> datetime | None:
    if isinstance(value, str) and value.strip().lower() == CLEAR:
        return None
    try:
        return parse_when(value, zone, end_of_day=end_of_day)
    except CompetitionError as exc:
        raise PhaseError(exc.code, exc.message) from None


def _quota(value: int | str) -> int | None:
    if isinstance(value, str):
        if value.strip().lower() == CLEAR:
            return None
        if not value.strip().isdigit():
            raise PhaseError("bad_quota", f"The daily quota '{value}' is not a number; give 0 or more, or "
                                          f"'{CLEAR}' for the competition's.")
        value = int(value)
    if value < 0:
        raise PhaseError("bad_quota", "The daily quota must be 0 or more.")
    return value


def _apply(competition: Competition, phase: Phase, changes: PhaseChanges) -> None:
    zone = competition.timezone or "UTC"
    if changes.name is not None:
        phase.name = changes.name.strip()
    if changes.starts_at is not None:
        phase.starts_at = _date(changes.starts_at, zone, end_of_day=False)
    if changes.ends_at is not None:
        phase.ends_at = _date(changes.ends_at, zone, end_of_day=True)
    if changes.daily_quota is not None:
        phase.daily_quota = _quota(changes.daily_quota)
    if isinstance(changes.dataset_version, DatasetVersion):
        if changes.dataset_version.retired_at is not None:
            raise PhaseError("retired_version", f"Dataset version {changes.dataset_version.id} is retired; "
                                                "choose a current one (`stylearena dataset list`).")
        phase.dataset_version = changes.dataset_version
    elif changes.dataset_version is not None:  # only CLEAR is text here; the CLI resolves references
        phase.dataset_version = None


def _check(competition: Competition, phases: list[Phase]) -> list[Phase]:
    """The phases in date order, or PhaseError saying what to change; renumbers nothing."""
    zone = competition.timezone or "UTC"
    seen: set[str] = set()
    for p in phases:
        if not p.name or len(p.name) > MAX_PHASE_NAME_CHARS:
            raise PhaseError("bad_name", f"A phase needs a name of 1-{MAX_PHASE_NAME_CHARS} characters.")
        if p.name.lower() in seen:
            raise PhaseError("name_taken", f"This competition already has a phase \u201c{p.name}\u201d.")
        seen.add(p.name.lower())
        if p.starts_at and competition.starts_at and p.starts_at < competition.starts_at:
            raise PhaseError("outside_competition", f"Phase \u201c{p.name}\u201d would start before the competition "
                             f"does ({format_when(competition.starts_at, zone)}); move its start, or the "
                             f"competition's with `stylearena competition configure {competition.slug} --starts`.")
        if p.ends_at and competition.ends_at and p.ends_at > competition.ends_at:
            raise PhaseError("outside_competition", f"Phase \u201c{p.name}\u201d would end after the competition "
                             f"does ({format_when(competition.ends_at, zone)}); move its end, or the "
                             f"competition's with `stylearena competition configure {competition.slug} --ends`.")
        start, end = _start(competition, p), _end(competition, p)
        if start is not None and end is not None and end <= start:
            raise PhaseError("bad_dates", f"Phase \u201c{p.name}\u201d would end ({format_when(end, zone)}) "
                                          f"before it starts ({format_when(start, zone)}).")
    ordered = sorted(phases, key=lambda p: (_start(competition, p) is not None, _start(competition, p) or 0))
    for before, after in zip(ordered, ordered[1:]):
        end, start = _end(competition, before), _start(competition, after)
        if end is None:
            raise PhaseError("overlap", f"Phase \u201c{before.name}\u201d has no end, so phase \u201c{after.name}\u201d "
                                        f"would overlap it; give \u201c{before.name}\u201d an end date (--ends).")
        if start is None:
            raise PhaseError("overlap", f"Phase \u201c{after.name}\u201d comes after \u201c{before.name}\u201d but has "
                                        "no start date; give it one (--starts).")
        if start < end:
            hint = (f" (\u201c{before.name}\u201d ends with the competition; give it an end of its own with --ends)"
                    if before.ends_at is None else "")
            raise PhaseError("overlap", f"Phase \u201c{after.name}\u201d would start ({format_when(start, zone)}) "
                                        f"before phase \u201c{before.name}\u201d ends ({format_when(end, zone)}){hint}; "
                                        "phases may touch but not overlap.")
    return ordered


def _renumber(ordered: list[Phase]) -> None:
    for position, p in enumerate(ordered):
        p.position = position


def _summary(phase: Phase) -> dict[str, object]:
    return {"name": phase.name, "starts_at": phase.starts_at, "ends_at": phase.ends_at,
            "daily_quota": phase.daily_quota, "dataset_version_id": phase.dataset_version_id}


def get_phase(competition: Competition, name: str) -> Phase:
    """The competition's phase called ``name`` (any case); raises NotFound listing the names."""
    for p in competition.phases:
        if p.name.lower() == (name or "").strip().lower():
            return p
    names = ", ".join(p.name for p in competition.phases) or "none"
    raise NotFound("no_such_phase", f"Competition '{competition.slug}' has no phase \u201c{name}\u201d "
                                    f"(its phases: {names}).")


def list_phases(competition: Competition) -> list[Phase]:
    """The competition's phase rows in order."""
    return list(competition.phases)


def add_phase(session: Session, competition: Competition, name: str, changes: PhaseChanges,
              actor: str | None = None) -> Phase:
    """Add a phase called ``name`` with ``changes``' values; raises PhaseError (adding nothing) if invalid."""
    phase = Phase(name=(name or "").strip())
    _apply(competition, phase, changes)
    ordered = _check(competition, [*competition.phases, phase])
    competition.phases.append(phase)
    _renumber(ordered)
    competition.phases.sort(key=lambda p: p.position)
    session.flush()
    audit.record(session, "phase", competition, {"op": "add", **_summary(phase)}, actor=actor)
    return phase


def edit_phase(session: Session, competition: Competition, name: str, changes: PhaseChanges,
               actor: str | None = None) -> Phase:
    """Change the phase ``name``; raises PhaseError (and changes nothing) when the result is invalid."""
    phase = get_phase(competition, name)
    before = _summary(phase)
    saved = {f: getattr(phase, f) for f in ("name", "starts_at", "ends_at", "daily_quota", "dataset_version")}
    try:
        _apply(competition, phase, changes)
        ordered = _check(competition, list(competition.phases))
    except PhaseError:
        for field, value in saved.items():
            setattr(phase, field, value)
        raise
    _renumber(ordered)
    competition.phases.sort(key=lambda p: p.position)
    session.flush()
    audit.record(session, "phase", competition, {"op": "edit", "before": before, "after": _summary(phase)},
                 actor=actor)
    return phase


def remove_phase(session: Session, competition: Competition, name: str, actor: str | None = None) -> None:
    """Remove the phase ``name``; refused while submissions belong to it (they would lose their phase)."""
    phase = get_phase(competition, name)
    used = session.scalar(select(func.count(Submission.id)).where(Submission.phase_id == phase.id)) or 0
    if used:
        raise PhaseError("phase_in_use", f"{used} submission(s) belong to phase \u201c{phase.name}\u201d, so it "
                                         "cannot be removed; change its dates or name instead "
                                         f"(`stylearena competition phase edit {competition.slug} {phase.name} ...`).")
    competition.phases.remove(phase)
    _renumber(list(competition.phases))
    session.flush()
    audit.record(session, "phase", competition, {"op": "remove", **_summary(phase)}, actor=actor)


def phase_summary(competition: Competition, phase: Phase) -> dict[str, object]:
    """A JSON-ready description of one phase (CLI ``--json``): its own and its effective dates."""
    start, end = _start(competition, phase), _end(competition, phase)
    return {"name": phase.name, "position": phase.position,
            "starts_at": start.isoformat() if start else None, "ends_at": end.isoformat() if end else None,
            "own_dates": [d.isoformat() if d else None for d in (phase.starts_at, phase.ends_at)],
            "daily_quota": phase.daily_quota,
            "dataset_version": phase.dataset_version.name if phase.dataset_version is not None else None}

