"""Kernel Inception Distance: unbiased MMD² with a cubic polynomial kernel (Bińkowski et al., 2018).

k(x, y) = (xᵀy / d + 1)³. Like torch-fidelity (and the reference MMD-GAN code), KID is the
mean (± std) of the unbiased MMD² over ``subsets`` random subsets of equal size drawn
without replacement, using ``numpy.random.RandomState(seed)`` in the same draw order
(first set, then second, per subset) so its numbers can be reproduced there exactly.
Unlike torch-fidelity the subset size adapts to small sets: ``min(1000, n₁, n₂)``. Unlike
FID, KID is unbiased at small N, which is why both are reported.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluator.metrics.errors import ScoringError

DEFAULT_SUBSETS = 100
MAX_SUBSET_SIZE = 1000
DEFAULT_SEED = 2020


@dataclass(frozen=True)
class KidResult:
    """Mean and std of MMD² over subsets, with the subset size actually used."""

    mean: float
    std: float
    subset_size: int
    subsets: int


def adaptive_subset_size(n_a: int, n_b: int, cap: int = MAX_SUBSET_SIZE) -> int:
    """Subset size for two sets: as large as both allow, at most ``cap``."""
    return min(cap, n_a, n_b)


def _mmd2_unbiased(k_aa: np.ndarray, k_ab: np.ndarray, k_bb: np.ndarray) -> float:
    m = k_aa.shape[0]
    sum_aa = k_aa.sum() - np.trace(k_aa)
    sum_bb = k_bb.sum() - np.trace(k_bb)
    return float((sum_aa + sum_bb) / (m * (m - 1)) - 2.0 * k_ab.sum() / (m * m))


def kernel_inception_distance(
    features_a: np.ndarray,
    features_b: np.ndarray,
    subsets: int = DEFAULT_SUBSETS,
    subset_size: int | None = None,
    seed: int = DEFAULT_SEED,
) -> KidResult:
    """KID between two ``[n, d]`` feature matrices (float64 arithmetic).

    Raises:
        ScoringError: ``too_few_images`` when a set has fewer than two rows.
    """
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    size = adaptive_subset_size(len(a), len(b)) if subset_size is None else subset_size
    if size < 2 or size > min(len(a), len(b)):
        raise ScoringError(
            "too_few_images",
            f"KID needs subsets of at least 2 images from each set (sets of {len(a)} and {len(b)})",
        )
    dim = a.shape[1]
    # Kernel matrices once for the full sets; subsets index into them.
    k_aa = (a @ a.T / dim + 1.0) ** 3
    k_bb = (b @ b.T / dim + 1.0) ** 3
    k_ab = (a @ b.T / dim + 1.0) ** 3
    rng = np.random.RandomState(seed)
    values = np.zeros(subsets)
    for index in range(subsets):
        ia = rng.choice(len(a), size, replace=False)
        ib = rng.choice(len(b), size, replace=False)
        values[index] = _mmd2_unbiased(k_aa[np.ix_(ia, ia)], k_ab[np.ix_(ia, ib)], k_bb[np.ix_(ib, ib)])
    return KidResult(float(values.mean()), float(values.std()), size, subsets)
