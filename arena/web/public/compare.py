"""Two submissions' outputs on the same public pairs, side by side, with per-pair metric values.

Only public-split material is shown: the public outputs (``Submission.public_outputs_sha256``),
the dev set's own content and style images, and the per-pair values of the public-split
score (``evaluator.public_split``, stored in provenance). Nothing of the hidden run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from arena.core.models import Competition, Submission
from arena.core.settings import Settings
from arena.services import efficiency
from arena.web.gallery import Triplet, gallery_triplets
from arena.web.public.queries import current_evaluation, public_submission_or_404
from evaluator.metrics.catalog import METRICS, MetricInfo

MAX_COMPARE_PAIRS = 24


@dataclass(frozen=True)
class Side:
    submission: Submission
    per_pair: dict[str, dict[str, float]]
    efficiency: Any  # EvaluationEfficiency | None


@dataclass(frozen=True)
class Comparison:
    competition: Competition
    a: Side
    b: Side
    pairs: list[Triplet]
    metrics: tuple[MetricInfo, ...] = field(default_factory=tuple)

    def values(self, pair_id: str, metric: str) -> tuple[float | None, float | None]:
        return (self.a.per_pair.get(pair_id, {}).get(metric), self.b.per_pair.get(pair_id, {}).get(metric))


class CompareError(ValueError):
    """The request does not name two comparable submissions; the message says what to do."""


def parse_ids(values: list[str]) -> tuple[int, int]:
    """Two distinct submission ids from ``?s=1&s=2`` (the board's checkboxes)."""
    ids: list[int] = []
    for raw in values:
        if raw.strip().isdigit() and int(raw) not in ids:
            ids.append(int(raw))
    if len(ids) != 2:
        raise CompareError("Pick exactly two entries to compare (tick two rows of the leaderboard).")
    return ids[0], ids[1]


def comparison(session: Session, settings: Settings, competition: Competition, ids: tuple[int, int],
               viewer: Any) -> Comparison:
    """Both sides (each must be visible to ``viewer`` and belong to ``competition``) on their common pairs."""
    sides = []
    for submission_id in ids:
        sub = public_submission_or_404(session, submission_id, viewer)
        if sub.competition_id != competition.id:
            raise CompareError(f"Submission #{submission_id} is not an entry of this competition.")
        evaluation = current_evaluation(sub)
        public = ((evaluation.provenance or {}).get("public_scores") or {}) if evaluation else {}
        per_pair = public.get("per_pair") if isinstance(public.get("per_pair"), dict) else {}
        cost = efficiency.for_evaluation(session, evaluation.id) if evaluation else None
        sides.append((Side(sub, per_pair, cost), gallery_triplets(settings, sub, limit=10**6)))
    (a, pairs_a), (b, pairs_b) = sides
    common = {t.pair_id for t in pairs_b}
    pairs = [t for t in pairs_a if t.pair_id in common][:MAX_COMPARE_PAIRS]
    shown = tuple(m for m in METRICS.values()
                  if any(m.name in a.per_pair.get(t.pair_id, {}) or m.name in b.per_pair.get(t.pair_id, {})
                         for t in pairs))
    return Comparison(competition, a, b, pairs, shown)


def better_side(metric: MetricInfo, a: float | None, b: float | None) -> str | None:
    """'a', 'b' or None (equal or missing): which value of a pair is better for ``metric``."""
    if a is None or b is None or a == b:
        return None
    return "a" if (a > b) == metric.higher_is_better else "b"
