"""The rules an upload follows, in one place: the service enforces them, and the submit form,
the API and the OpenAPI document read the same constants and the same refusals.

Two kinds of rule live here: when a competition accepts uploads (its status and dates: the
``upload_refusal`` answer every upload path asks) and what comes with the file (label, notes, name).

The generator file itself is checked by ``sandbox.upload.validate_upload`` (size, format,
manifest); these are the rules about what comes with it. Whether the participant accepted the
competition's rules needs the database: ``arena.services.rules.rules_refusal``, asked right
after ``upload_refusal`` by the same callers (the upload service and the availability check).
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from pathlib import Path
from zoneinfo import ZoneInfo

from arena.core.enums import CompetitionStatus
from arena.core.errors import ArenaError
from arena.core.models import Competition, User

# The width of ``Submission.label``; a longer label is refused, never cut.
MAX_LABEL_CHARS = 120
MAX_NOTES_CHARS = 4000
MAX_FILENAME_CHARS = 255
# TorchScript archives, torch.export programs and zip packages (the format is then detected from the bytes).
UPLOAD_SUFFIXES = (".pt", ".pt2", ".zip")


class UploadFieldsRejected(ArenaError):
    """A label, notes or file name that breaks the upload rules."""


def check_upload_fields(label: str, notes: str, filename: str) -> tuple[str, str, str]:
    """The label, notes and file name as stored (stripped), or an error saying what to fix.

    Raises:
        UploadFieldsRejected: ``label_too_long``, ``notes_too_long`` or ``bad_extension``.
    """
    label, notes = (label or "").strip(), (notes or "").strip()
    name = Path(filename or "").name
    if len(label) > MAX_LABEL_CHARS:
        raise UploadFieldsRejected("label_too_long", f"The label has {len(label)} characters; "
                                   f"at most {MAX_LABEL_CHARS} are allowed.")
    if len(notes) > MAX_NOTES_CHARS:
        raise UploadFieldsRejected("notes_too_long", f"The notes have {len(notes)} characters; "
                                   f"at most {MAX_NOTES_CHARS} are allowed.")
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise UploadFieldsRejected("bad_extension", "Upload a TorchScript .pt file, a torch.export .pt2 file or a .zip package.")
    if len(name) > MAX_FILENAME_CHARS:
        stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
        # The original name is only a label for the participant; keep its ending.
        name = stem[: MAX_FILENAME_CHARS - len(suffix)] + suffix
    return label, notes, name


class Phase(str, Enum):
    """Where a competition is in its life, as the pages and the API show it."""

    DRAFT = "draft"
    UPCOMING = "upcoming"
    OPEN = "open"
    ENDED = "ended"
    CLOSED = "closed"


def phase(competition: Competition, now: datetime) -> Phase:
    """The competition's phase at ``now``: its status first, then its start and end dates."""
    if competition.status is CompetitionStatus.DRAFT:
        return Phase.DRAFT
    if competition.status is CompetitionStatus.CLOSED:
        return Phase.CLOSED
    if competition.starts_at is not None and now < competition.starts_at:
        return Phase.UPCOMING
    if competition.ends_at is not None and now > competition.ends_at:
        return Phase.ENDED
    return Phase.OPEN


def format_when(value: datetime, zone: str) -> str:
    """A date as organizers and participants read it: in the competition's zone, named."""
    return f"{value.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def schedule_text(competition: Competition) -> str:
    """The upload window in words ("from ... to ..."), or '' when it has no dates."""
    zone = competition.timezone or "UTC"
    start = format_when(competition.starts_at, zone) if competition.starts_at else None
    end = format_when(competition.ends_at, zone) if competition.ends_at else None
    if start and end:
        return f"Uploads are accepted from {start} to {end}."
    if start:
        return f"Uploads are accepted from {start}."
    if end:
        return f"Uploads are accepted until {end}."
    return ""


def may_rehearse(competition: Competition, user: User | None) -> bool:
    """Organizers may upload to a draft to rehearse it; those uploads never show publicly."""
    return (competition.status is CompetitionStatus.DRAFT and user is not None
            and bool(getattr(user, "is_authenticated", False)) and bool(user.is_organizer))


def upload_refusal(competition: Competition, user: User | None, now: datetime,
                   is_baseline: bool = False) -> tuple[str, str] | None:
    """Why the competition refuses an upload from ``user`` now, as (code, message); None if it accepts.

    The one owner of this rule: the service enforces it, the submit page and the API's
    limits route predict with it. Baselines are the organizer's reference lines: they are
    exempt from the dates (they may be posted before the start and after the end).
    """
    if competition.hidden_dataset_id is None:
        return "no_dataset", "This competition has no benchmark yet; uploads open once it has."
    if is_baseline or may_rehearse(competition, user):
        return None
    if competition.finalized_at is not None:  # issue 15: submissions are frozen with the private board
        return "finalized", (f"This competition was finalized on "
                             f"{format_when(competition.finalized_at, competition.timezone or 'UTC')}: its private "
                             "board is published and it no longer accepts uploads.")
    current = phase(competition, now)
    if current is Phase.DRAFT:
        return "competition_closed", "This competition is a draft: it does not accept uploads."
    if current is Phase.CLOSED:
        return "competition_closed", "This competition is closed: it does not accept uploads."
    if current is Phase.UPCOMING:
        return "not_started", (f"This competition has not started: it opens on "
                               f"{format_when(competition.starts_at, competition.timezone or 'UTC')}. "
                               + schedule_text(competition))
    if current is Phase.ENDED:
        return "ended", (f"This competition ended on "
                         f"{format_when(competition.ends_at, competition.timezone or 'UTC')}: "
                         "it no longer accepts uploads. " + schedule_text(competition))
    from arena.services.phases import phase_refusal  # here: phases reads this module's format_when
    return phase_refusal(competition, now)
