"""Which evaluation counts: the one rule, in Python and in SQL.

A competition's board, its submissions' statuses, its exports and its moderation all count
the evaluation on the competition's current hidden dataset version scored by its current
scorer. Rescores on any other version are history until the organizer switches to them.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from arena.core.models import Competition, Evaluation


@dataclass(frozen=True)
class EvaluationTarget:
    """A (hidden dataset version, scorer) pair: what a board counts."""

    dataset_version_id: int | None
    scorer_version: str

    @classmethod
    def of(cls, competition: Competition) -> EvaluationTarget:
        """The target a competition counts now."""
        return cls(competition.hidden_dataset_id, competition.scorer_version)

    def matches(self, dataset_version_id: int | None, scorer_version: str) -> bool:
        """Whether an evaluation on this dataset version and scorer counts."""
        return (self.dataset_version_id is not None and dataset_version_id == self.dataset_version_id
                and scorer_version == self.scorer_version)

    def counts(self, evaluation: Evaluation) -> bool:
        """Whether ``evaluation`` counts."""
        return self.matches(evaluation.dataset_version_id, evaluation.scorer_version)

    def condition(self) -> sa.ColumnElement[bool]:
        """The SQL condition on ``Evaluation`` rows that ``counts`` decides in Python."""
        if self.dataset_version_id is None:
            return sa.false()
        return sa.and_(Evaluation.dataset_version_id == self.dataset_version_id,
                       Evaluation.scorer_version == self.scorer_version)
