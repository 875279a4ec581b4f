"""ArtFID as published (Wright & Ommer, 2022; the ``art-fid`` package 0.0.2), on given features.

``ArtFID = (1 + content distance) · (1 + FID)``, where, as the package computes them:

* **FID** compares the art-Inception features of the stylized images with those of a style
  set holding **one style image per stylized image** (the package asserts equal counts in
  its default mode), so a style used by many pairs weighs as much as it is used. Which image:
  ``one_reference_per_output`` (the pair's own style image under the conditioning protocol;
  its style's held-out references in turn under the held-out one).
* **FID∞** (the package's default, ``compute_fid_infinity``) when the set is large enough
  for its estimator: FIDs of 15 random subsets of sizes ``linspace(5000, N, 15)``, a line fitted
  against 1/size, its value at 0. With fewer than 5,000 pairs every subset is the whole set,
  so the package's FID∞ *is* the plain FID; we report the plain FID then and say so
  (``ArtFidResult.estimator``). The package shuffles with numpy's global RNG, unseeded; we
  use ``RandomState(FID_INF_SEED)``, whose shuffles are the same as the package's after
  ``np.random.seed(FID_INF_SEED)`` (the agreement test relies on it).
* **content distance**: the mean LPIPS (AlexNet, v0.1) between each stylized image and its
  content image at native resolution.

Pure numpy: ``scores.compute_scores`` calls it with the features the suite accumulated.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evaluator.metrics.fid import frechet_distance, summarize

# The package's estimator: subset sizes from 5,000 up to N, 15 of them.
FID_INF_MIN = 5000
FID_INF_POINTS = 15
FID_INF_SEED = 2022

ESTIMATOR_FID = "fid"
ESTIMATOR_FID_INF = "fid_inf"


@dataclass(frozen=True)
class ArtFidResult:
    """ArtFID and its parts, for provenance: which FID estimator applied and on how many items."""

    value: float
    fid: float
    content_distance: float
    estimator: str  # "fid_inf" (N >= 5000) or "fid"
    n: int
    n_distinct_references: int
    seed: int | None = None  # FID∞ subsets' RandomState seed (None for the plain FID)
    points: int | None = None


def one_reference_per_output(
    pairs: Sequence[tuple[str, str]], rows_by_style: Mapping[str, Sequence[int]]
) -> tuple[int, ...]:
    """The reference row each output is compared with: one per output, as the package wants.

    ``pairs``: (pair id, style) in the run's order; ``rows_by_style``: style -> its reference
    rows in a fixed order. The pairs of a style, taken in pair-id order, use that style's
    references in turn (round robin), so every reference of a style is used about equally.
    """
    turn: dict[str, int] = defaultdict(int)
    assigned: dict[str, int] = {}
    for pair_id, style in sorted(pairs):
        rows = rows_by_style[style]
        assigned[pair_id] = rows[turn[style] % len(rows)]
        turn[style] += 1
    return tuple(assigned[pair_id] for pair_id, _ in pairs)


def fid_infinity_sizes(n: int, points: int = FID_INF_POINTS) -> np.ndarray:
    """The package's subset sizes: ``linspace(5000, n, points)`` as int32."""
    return np.linspace(start=FID_INF_MIN, stop=n, num=points).astype("int32")


def fid_infinity(outputs: np.ndarray, references: np.ndarray, seed: int = FID_INF_SEED,
                 points: int = FID_INF_POINTS) -> float:
    """FID∞ as ``compute_fid_infinity`` computes it, with a seeded shuffle (rows paired by index)."""
    n = outputs.shape[0]
    sizes = fid_infinity_sizes(n, points)
    order = np.arange(n)
    rng = np.random.RandomState(seed)
    fids = []
    for size in sizes:
        rng.shuffle(order)  # in place and cumulative, as the package does
        chosen = order[:size]
        fids.append(frechet_distance(summarize(references[chosen]), summarize(outputs[chosen])))
    slope, intercept = np.polyfit(1.0 / sizes.astype(np.float64), np.asarray(fids, dtype=np.float64), 1)
    return float(intercept)


def art_fid(outputs: np.ndarray, references: np.ndarray, content_distances: Sequence[float],
            n_distinct_references: int) -> ArtFidResult:
    """ArtFID of outputs ``[N, d]`` against one reference row each (``references[i]`` for output i)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    references = np.asarray(references, dtype=np.float64)
    n = outputs.shape[0]
    content = float(np.mean(np.asarray(content_distances, dtype=np.float64)))
    if n >= FID_INF_MIN:
        fid = fid_infinity(outputs, references)
        estimator, seed, points = ESTIMATOR_FID_INF, FID_INF_SEED, FID_INF_POINTS
    else:
        fid = frechet_distance(summarize(references), summarize(outputs))
        estimator, seed, points = ESTIMATOR_FID, None, None
    return ArtFidResult((1.0 + content) * (1.0 + fid), fid, content, estimator, n, n_distinct_references,
                        seed, points)
