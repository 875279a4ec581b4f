"""The demo's finalized competition (issue 15): Portrait Studio has ended and shows both boards.

Three demo participants each upload one of the demo's generators through the real upload path;
once they are scored the competition's end date is set to a minute ago and it is finalized
through the same service as `stylearena competition finalize`, so a visitor sees a public
board, a private board and the shake-up between them. Only at the README's (full) scale: the
end-to-end tests' small demo has the main competition alone.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select

from arena.core.db import transaction
from arena.core.enums import SubmissionStatus, UserRole
from arena.core.models import Submission, User
from arena.core.settings import Settings
from arena.demo.baselines import BaselineName
from arena.demo.builder import PORTRAIT_SLUG
from arena.services.accounts import create_user
from arena.services.competitions import get_competition
from arena.services.private_board import FinalizeRefused, finalize

FINALE_SLUG = PORTRAIT_SLUG
FINALIST_PASSWORD = "finalist-demo-pass"
# (username, generator, label): a spread of quality, so the boards have something to order.
FINALISTS = (("demo-ada", BaselineName.TRAINED, "small trained net"),
             ("demo-bo", BaselineName.PIXEL_ADAIN, "pixel AdaIN"),
             ("demo-cy", BaselineName.IDENTITY, "no style at all"))

Log = Callable[[str], None]


def submit_finalists(settings: Settings, factory, generators: dict[BaselineName, Path], log: Log = print) -> list[int]:
    """Each finalist's one submission to the finale (created once); their ids."""
    from arena.services.submissions import create_submission

    ids = []
    for username, generator, label in FINALISTS:
        with transaction(factory) as session:
            competition = get_competition(session, FINALE_SLUG)
            if competition.finalized_at is not None:
                return []
            user = session.scalar(select(User).where(User.username == username)) or \
                create_user(session, username, FINALIST_PASSWORD, role=UserRole.PARTICIPANT)
            existing = session.scalar(select(Submission.id).where(Submission.owner_id == user.id,
                                                                  Submission.competition_id == competition.id))
            if existing is None:
                path = generators[generator]
                existing = create_submission(session, settings, user, competition, upload_path=path,
                                             original_filename=path.name, label=label).id
                log(f"{username} submitted {generator.value} to {FINALE_SLUG} (#{existing})")
            ids.append(existing)
    return ids


def finalize_finale(factory, finalists: list[int], log: Log = print) -> None:
    """End the finale a minute ago and finalize it (once); a refusal is logged, never raised.

    Only when at least two finalists were scored: a private board of failed runs shows nothing.
    """
    with transaction(factory) as session:
        competition = get_competition(session, FINALE_SLUG)
        if competition.finalized_at is not None:
            return
        scored = session.scalar(select(func.count()).select_from(Submission).where(
            Submission.id.in_(finalists), Submission.status == SubmissionStatus.SCORED))
        if scored < 2:
            log(f"warning: {FINALE_SLUG} not finalized: only {scored} of its finalists were scored; "
                f"run `stylearena demo` again once the worker scores them")
            return
        now = datetime.now(timezone.utc)
        competition.ends_at = now - timedelta(minutes=1)
        try:
            standings = finalize(session, competition, now=now)
        except FinalizeRefused as exc:
            log(f"warning: {FINALE_SLUG} not finalized: {exc.message}")
            session.rollback()
            return
        log(f"{FINALE_SLUG}: finalized; private board of {len(standings)} entries at /competitions/{FINALE_SLUG}/private")
