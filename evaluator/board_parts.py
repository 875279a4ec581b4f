"""Scoring a split hidden version's two boards from one scoring run (issue 15).

A hidden version split at publish (``arena.core.datasets.board_split``) is run once and scored
once; then every metric is recomputed on each board's pairs from the run's cached state, as the
bootstrap recomputes it on each resample: the public part becomes the evaluation's ordinary
scores (what every page shows), the private part its private scores (what only the organizers
and, after finalize, the private board see). Each part is bootstrapped on its own pairs.

FID, KID and ArtFID of a part compare that part's outputs with the version's whole reference
set: both parts keep the style mix (the split is stratified by style), so the reference
distribution is the same one.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from arena.core.datasets.board_split import BoardSplit, SplitRefused, board_split
from arena.core.store.datasets import DatasetRef
from evaluator.errors import PlatformCode, PlatformFault
from evaluator.statistics.replicates import Bootstrap, bootstrap

if TYPE_CHECKING:
    from evaluator.metrics.scores import ScoreResult, ScoreState


@dataclass(frozen=True)
class BoardParts:
    """The public part's result and replicates, the private part's, and the split."""

    public: tuple[Any, Bootstrap]
    private: tuple[Any, Bootstrap]
    split: BoardSplit

    def provenance(self) -> dict[str, Any]:
        """What an evaluation's provenance records about the split (never a private number)."""
        return {"fraction": self.split.fraction, "seed": self.split.seed, "sha256": self.split.digest,
                "public_pairs": len(self.split.public), "private_pairs": len(self.split.private),
                "private_intervals": self.private[1].provenance()}


def split_of(dataset: DatasetRef, pairs: list[Any]) -> BoardSplit | None:
    """The version's board split recomputed from its staged pairs, checked against the recorded digest.

    Raises:
        PlatformFault: ``dataset_unavailable`` when the recomputed split is not the recorded one
            (scoring the wrong pairs as private would be worse than not scoring).
    """
    if dataset.board_fraction is None or dataset.board_seed is None:
        return None
    try:
        split = board_split(pairs, dataset.board_fraction, dataset.board_seed)
    except SplitRefused as exc:
        raise PlatformFault(PlatformCode.DATASET_UNAVAILABLE.value,
                            f"dataset version {dataset.id}'s board split cannot be made again: {exc}") from exc
    if split.digest != dataset.board_split_sha256:
        raise PlatformFault(PlatformCode.DATASET_UNAVAILABLE.value,
                            f"dataset version {dataset.id}'s board split recomputes to {split.digest[:12]}, "
                            f"not the {str(dataset.board_split_sha256)[:12]} recorded at publish")
    return split


def restricted(state: ScoreState, pair_ids: frozenset[str]) -> ScoreState:
    """The state of scoring only ``pair_ids`` (same reference side, same cached features)."""
    kept = [(pair, row) for pair, row in zip(state.pairs, state.art_rows, strict=True) if pair.pair_id in pair_ids]
    ids = [pair.pair_id for pair, _ in kept]
    return replace(
        state,
        pairs=tuple(pair for pair, _ in kept),
        art_rows=tuple(row for _, row in kept),
        inception={i: state.inception[i] for i in ids},
        art_inception={i: state.art_inception[i] for i in ids},
        content_distance={i: state.content_distance[i] for i in ids},
        per_pair={i: dict(state.per_pair[i]) for i in ids},
        timings=dict(state.timings),
    )


def score_part(scorer: Any, state: ScoreState, result: ScoreResult, pair_ids: frozenset[str]) -> tuple[Any, Bootstrap]:
    """Every metric of ``result`` recomputed on ``pair_ids`` alone, and bootstrapped on them.

    The optional metrics are per-pair means (their values are in the state after
    ``add_optional_metrics``), so a part's value is the mean over its pairs.
    """
    sub = restricted(state, pair_ids)
    part = scorer.compute(sub)
    metrics = dict(part.metrics)
    for name in result.metrics:
        if name not in metrics:
            metrics[name] = float(np.mean([sub.per_pair[p.pair_id][name] for p in sub.pairs], dtype=np.float64))
    part = replace(part, metrics=metrics, metric_versions=dict(result.metric_versions), timings=dict(result.timings),
                   per_pair={p.pair_id: dict(result.per_pair[p.pair_id]) for p in sub.pairs})
    return part, bootstrap(sub, sorted(metrics))


def score_parts(scorer: Any, state: ScoreState, result: ScoreResult, split: BoardSplit) -> BoardParts:
    """The public and the private board's results of one complete scoring run."""
    return BoardParts(public=score_part(scorer, state, result, split.public),
                      private=score_part(scorer, state, result, split.private), split=split)
