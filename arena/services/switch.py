"""Switching what a live board ranks by: its hidden dataset version and its scorer.

The CLI (`competition configure --hidden-dataset/--scorer-version`) and the organizer page's
switch button both come here, so the guard cannot drift between them: ``check_switch``
(arena.services.rescore) refuses a switch while eligible submissions lack a finished evaluation
on the target, ``force`` overrides it, and every switch is audited and re-ranks the board.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from arena.core.datasets.errors import DatasetError
from arena.core.enums import DatasetSplit
from arena.core.models import Competition, DatasetVersion
from arena.core.settings import Settings
from arena.services import audit
from arena.services.competitions import CompetitionChanges, configure_competition
from arena.services.publishing import assign_to_competition
from arena.services.rescore import SwitchRefused, TargetProgress, check_switch, progress_on, target_progress
from evaluator.statistics.board import rerank


@dataclass(frozen=True)
class SwitchPreview:
    """What switching a board to (dataset, scorer) would do: shown before an organizer confirms."""

    competition: str
    from_dataset_id: int | None
    from_scorer: str
    to_dataset_id: int | None
    to_scorer: str
    progress: TargetProgress | None  # the eligible submissions on the target (None: no hidden dataset)
    refusal: str | None  # the message an unforced switch is refused with (None: it goes through)
    forced_warning: str | None  # what a forced switch hides (None: nothing)

    @property
    def changes(self) -> bool:
        return (self.from_dataset_id, self.from_scorer) != (self.to_dataset_id, self.to_scorer)


def preview_switch(session: Session, competition: Competition, dataset_version_id: int | None,
                   scorer_version: str | None) -> SwitchPreview:
    """Say what a switch would do, by asking ``check_switch`` itself (with and without force)."""
    to_dataset = dataset_version_id if dataset_version_id is not None else competition.hidden_dataset_id
    to_scorer = scorer_version or competition.scorer_version
    try:
        check_switch(session, competition, to_dataset, to_scorer, force=False)
        refusal = None
    except SwitchRefused as exc:
        refusal = exc.message
    return SwitchPreview(
        competition=competition.slug, from_dataset_id=competition.hidden_dataset_id,
        from_scorer=competition.scorer_version, to_dataset_id=to_dataset, to_scorer=to_scorer,
        progress=progress_on(session, competition, to_dataset, to_scorer) if to_dataset is not None else None,
        refusal=refusal, forced_warning=check_switch(session, competition, to_dataset, to_scorer, force=True))


def switch_board(session: Session, settings: Settings, competition: Competition, hidden: DatasetVersion | None,
                 scorer_version: str | None, force: bool = False, actor: str | None = None) -> str | None:
    """Make (``hidden``, ``scorer_version``) the board's target; None keeps that half as it is.

    Checked before anything changes, so a refused switch leaves the competition as it was.
    Returns None, or (forced) the sentence saying what the switch hides.

    Raises:
        SwitchRefused: eligible submissions are unfinished on the target and ``force`` is off.
        DatasetError, DatasetInvalid: the version is retired or leaks (``assign_to_competition``).
    """
    if hidden is not None and hidden.split != DatasetSplit.HIDDEN:
        raise DatasetError("wrong_split", f"Version {hidden.id} is a {hidden.split.value} version, not hidden.")
    before = (competition.hidden_dataset_id, competition.scorer_version)
    after = (hidden.id if hidden is not None else before[0], scorer_version or before[1])
    warning = check_switch(session, competition, after[0], after[1], force=force) if after != before else None
    if scorer_version is not None and scorer_version != before[1]:
        configure_competition(session, competition, CompetitionChanges(scorer_version=scorer_version), actor=actor)
    if hidden is not None:
        assign_to_competition(settings, competition, hidden)  # also empties the staged slot it came from
    session.flush()
    if after != before:
        audit.record(session, "switch", competition, {
            "from": {"hidden_dataset_id": before[0], "scorer_version": before[1]},
            "to": {"hidden_dataset_id": after[0], "scorer_version": after[1]},
            "forced": warning is not None, "hidden_by_force": warning}, actor=actor)
        rerank(session, competition.id)  # the stored ranks follow the board's new target
    return warning


@dataclass(frozen=True)
class SwitchTarget:
    """One (dataset, scorer) a board could rank by, with its progress; ``staged``: the next hidden version."""

    progress: TargetProgress
    staged: bool

    def to_dict(self) -> dict[str, object]:
        return {**self.progress.to_dict(), "staged": self.staged}


def switch_targets(session: Session, competition: Competition) -> list[SwitchTarget]:
    """Every target with evaluations (``target_progress``), plus the staged hidden version on the current scorer."""
    rows = target_progress(session, competition)
    staged = competition.staged_hidden_dataset_id
    targets = [SwitchTarget(r, staged is not None and r.dataset_version_id == staged) for r in rows]
    if staged is not None and not any(t.staged and t.progress.scorer_version == competition.scorer_version
                                      for t in targets):
        targets.append(SwitchTarget(progress_on(session, competition, staged, competition.scorer_version), True))
    return targets
