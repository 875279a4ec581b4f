"""Bootstrap replicates of the published ArtFID (``evaluator.metrics.artfid``).

Per resample: the mean of the drawn pairs' native-size LPIPS, and the FID of the drawn outputs'
art-Inception features against the run's fixed reference side (the one-reference-per-output
set of the whole run, summarised once), as ``replicates.fid_replicates`` holds the FID's
reference side fixed. Where the point estimate is FID∞ (N ≥ 5,000) the replicates are plain
FIDs of N items, which sit above FID∞ by the estimator's 1/N bias; they are shifted by the
run's own (FID∞ − FID_N), a constant per run, so that they centre on the number the board
shows without 15 FIDs per resample.

Imported by ``replicates`` (registration happens on import).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from evaluator.metrics.artfid import FID_INF_MIN, fid_infinity
from evaluator.metrics.catalog import MetricName
from evaluator.metrics.fid import frechet_distance, summarize
from evaluator.statistics.replicates import replicator, resampled_fid
from evaluator.statistics.resample import Resamples

if TYPE_CHECKING:
    from evaluator.metrics.scores import ScoreState


@replicator(MetricName.ART_FID.value)
def published_art_fid_replicates(state: ScoreState, resamples: Resamples,
                                 _done: Mapping[str, np.ndarray]) -> np.ndarray:
    """(1 + content distance)·(1 + FID) per resample, on the published ArtFID's own features."""
    pairs = state.pairs
    outputs = np.stack([state.art_inception[p.pair_id] for p in pairs]).astype(np.float64)
    references = np.asarray(state.reference.art_inception, dtype=np.float64)[list(state.art_rows)]
    reference = summarize(references)
    fids = resampled_fid(outputs, reference.mu, reference.factor, reference.trace, resamples.counts)
    if len(pairs) >= FID_INF_MIN:
        fids = fids + (fid_infinity(outputs, references) - frechet_distance(reference, summarize(outputs)))
    content = np.array([state.content_distance[p.pair_id] for p in pairs], dtype=np.float64)
    return (1.0 + resamples.counts @ content / resamples.n) * (1.0 + fids)
