"""Kernel Inception Distance: unbiased MMD² with a cubic polynomial kernel (Bińkowski et al., 2018).

k(x, y) = (xᵀy / d + 1)³. As torch-fidelity (and the reference MMD-GAN code) computes it:
the mean of the unbiased MMD² over ``subsets`` random subsets of ``m`` rows drawn without
replacement from each set, with ``numpy.random.RandomState(seed)`` in the same draw order
(first set, then second, per subset), the kernels built **per subset** (three m×m matrices),
so memory is bounded by the subset size whatever the number of images (a full N×N kernel is
3.2 GB at N = 20,000). Features are gathered and cast to float64 one subset at a time.

torch-fidelity uses ``m = 1000`` and refuses smaller sets. Here the subset size adapts,
``m = min(1000, n₁, n₂)``, so small sets still get a number, but that number is flagged
``reliable = False``: with fewer than ``RELIABLE_SUBSET_SIZE`` images in a set, every subset
holds (nearly) the same images and the estimate is dominated by which few images there are.

``std`` is the spread of the subset estimates (torch-fidelity's ``kernel_inception_distance_std``).
It is **not** a confidence interval: the subsets overlap and, for small sets, are nearly the
same rows, so it understates the uncertainty of the mean, down to 0 when m equals both set sizes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluator.metrics.errors import ScoringError

DEFAULT_SUBSETS = 100
MAX_SUBSET_SIZE = 1000
# torch-fidelity's subset size: below it in either set, KID is reported but flagged unreliable.
RELIABLE_SUBSET_SIZE = MAX_SUBSET_SIZE
DEFAULT_SEED = 2020


@dataclass(frozen=True)
class KidResult:
    """KID (mean of MMD² over subsets), the spread of the subset values, and how it was drawn.

    ``reliable`` is False when the subsets are smaller than ``RELIABLE_SUBSET_SIZE`` (a set
    had fewer rows than torch-fidelity's subset size), and ``mean`` is then noise-dominated.
    ``std`` is the spread over subsets, not a confidence interval (see the module docstring).
    """

    mean: float
    std: float
    subset_size: int
    subsets: int
    reliable: bool


def adaptive_subset_size(n_a: int, n_b: int, cap: int = MAX_SUBSET_SIZE) -> int:
    """Subset size for two sets: as large as both allow, at most ``cap``."""
    return min(cap, n_a, n_b)


def _polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² between two ``[m, d]`` float64 subsets of equal size (torch-fidelity's ``mmd2``)."""
    m = x.shape[0]
    k_xx = _polynomial_kernel(x, x)
    k_yy = _polynomial_kernel(y, y)
    k_xy = _polynomial_kernel(x, y)
    sum_xx = k_xx.sum() - np.trace(k_xx)
    sum_yy = k_yy.sum() - np.trace(k_yy)
    return float((sum_xx + sum_yy) / (m * (m - 1)) - 2.0 * k_xy.sum() / (m * m))


def kernel_inception_distance(
    features_a: np.ndarray,
    features_b: np.ndarray,
    subsets: int = DEFAULT_SUBSETS,
    subset_size: int | None = None,
    seed: int = DEFAULT_SEED,
) -> KidResult:
    """KID between two ``[n, d]`` feature matrices (float64 arithmetic; memory O(subset_size²)).

    The inputs may be float32, float64 or memory-mapped; they are never copied whole.

    Raises:
        ScoringError: ``too_few_images`` when a set has fewer than two rows.
    """
    n_a, n_b = len(features_a), len(features_b)
    size = adaptive_subset_size(n_a, n_b) if subset_size is None else subset_size
    if size < 2 or size > min(n_a, n_b):
        raise ScoringError(
            "too_few_images",
            f"KID needs subsets of at least 2 images from each set (sets of {n_a} and {n_b})",
        )
    rng = np.random.RandomState(seed)
    values = np.zeros(subsets)
    for index in range(subsets):
        # Draw order as torch-fidelity: first set, then second, per subset.
        rows_a = rng.choice(n_a, size, replace=False)
        rows_b = rng.choice(n_b, size, replace=False)
        values[index] = mmd2_unbiased(
            np.asarray(features_a[rows_a], dtype=np.float64), np.asarray(features_b[rows_b], dtype=np.float64)
        )
    return KidResult(float(values.mean()), float(values.std()), size, subsets, size >= RELIABLE_SUBSET_SIZE)
