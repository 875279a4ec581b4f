"""Fréchet distance between two feature sets, with a fast exact trace term.

FID = ‖μ₁-μ₂‖² + tr Σ₁ + tr Σ₂ - 2 tr √(Σ₁Σ₂)  (Heusel et al., 2017), sample covariances
with ``n-1`` as numpy's ``np.cov`` (and so pytorch-fid) uses, all in float64.

The trace of the matrix square root is the expensive part in the reference tools
(``scipy.linalg.sqrtm`` of a 2048×2048 product). Write Σᵢ = AᵢᵀAᵢ with Aᵢ the centred
features scaled by 1/√(nᵢ-1). The non-zero eigenvalues of Σ₁Σ₂ = A₁ᵀA₁A₂ᵀA₂ are those of
(A₁A₂ᵀ)(A₁A₂ᵀ)ᵀ, so tr √(Σ₁Σ₂) is the sum of the singular values (the nuclear norm) of the
n₁×n₂ matrix A₁A₂ᵀ: exact, and cheap whenever a set is smaller than the feature dimension.
When a set is larger than the dimension, Aᵢ is first replaced by the R factor of its QR
decomposition (RᵀR = AᵢᵀAᵢ), so the matrix is never larger than d×d.

Every distance is checked against an independent eigen-based evaluation of the same trace
(``eigvalsh`` of the smaller Gram matrix); a disagreement raises ``FrechetDistanceError``
instead of returning a wrong or complex number. A distance that rounding pushes just below
zero (identical sets) is reported as 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluator.metrics.errors import FrechetDistanceError, ScoringError

CHECK_RTOL = 1e-6


@dataclass(frozen=True)
class GaussianSummary:
    """What one side of the distance needs: mean, trace of the covariance, and a covariance factor.

    ``factor`` (k×d, k ≤ min(n, d)) satisfies ``factorᵀ·factor = Σ`` (sample covariance).
    """

    mu: np.ndarray
    trace: float
    factor: np.ndarray
    n: int


def summarize(features: np.ndarray) -> GaussianSummary:
    """Mean and covariance factor of an ``[n, d]`` feature matrix (float64).

    Raises:
        ScoringError: ``too_few_images`` with fewer than two rows (no covariance).
        FrechetDistanceError: when features are not finite.
    """
    feats = np.asarray(features, dtype=np.float64)
    n = feats.shape[0]
    if n < 2:
        raise ScoringError("too_few_images", f"FID needs at least 2 images per set, got {n}")
    if not np.isfinite(feats).all():
        raise FrechetDistanceError(None, "Inception features contain NaN or inf")
    mu = feats.mean(axis=0)
    factor = (feats - mu) / np.sqrt(n - 1)
    if factor.shape[0] > factor.shape[1]:
        factor = np.linalg.qr(factor, mode="r")
    return GaussianSummary(mu=mu, trace=float(np.sum(factor * factor)), factor=factor, n=n)


def trace_sqrt_product(a: GaussianSummary, b: GaussianSummary) -> float:
    """tr √(Σₐ Σ_b) as the nuclear norm of ``a.factor · b.factorᵀ``."""
    cross = a.factor @ b.factor.T
    return float(np.linalg.svd(cross, compute_uv=False).sum())


def trace_sqrt_product_eig(a: GaussianSummary, b: GaussianSummary) -> float:
    """The same trace from the eigenvalues of the smaller Gram matrix (independent check)."""
    cross = a.factor @ b.factor.T
    gram = cross @ cross.T if cross.shape[0] <= cross.shape[1] else cross.T @ cross
    eigenvalues = np.linalg.eigvalsh((gram + gram.T) / 2)
    scale = max(float(eigenvalues.max(initial=0.0)), np.finfo(np.float64).tiny)
    if eigenvalues.min(initial=0.0) < -1e-9 * scale:
        raise FrechetDistanceError(
            None, f"Gram matrix has a negative eigenvalue {eigenvalues.min():.3e}; features are degenerate"
        )
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def verify_trace(fast: float, a: GaussianSummary, b: GaussianSummary, rtol: float = CHECK_RTOL) -> float:
    """Raise ``FrechetDistanceError`` unless ``fast`` agrees with the eigen-based trace to ``rtol``.

    The tolerance is relative to the scale of the traces involved (√(tr Σₐ · tr Σ_b) bounds
    the term), so a vanishing trace cannot make the check impossible to pass.
    """
    reference = trace_sqrt_product_eig(a, b)
    scale = max(abs(reference), np.sqrt(max(a.trace * b.trace, 0.0)), np.finfo(np.float64).tiny)
    if not np.isfinite(fast) or abs(fast - reference) > rtol * scale:
        raise FrechetDistanceError(
            None,
            f"trace check failed: fast {fast!r} vs eigen-based {reference!r} "
            f"(relative {abs(fast - reference) / scale:.2e} > {rtol:g}); refusing to report a FID",
        )
    return reference


def frechet_distance(a: GaussianSummary, b: GaussianSummary, rtol: float = CHECK_RTOL) -> float:
    """FID between two summaries (checked; see module docstring), never negative.

    Raises:
        FrechetDistanceError: if the fast trace fails its eigen-based check or is not finite.
    """
    if a.mu.shape != b.mu.shape:
        raise FrechetDistanceError(None, f"feature dimensions differ: {a.mu.shape} vs {b.mu.shape}")
    trace_sqrt = trace_sqrt_product(a, b)
    verify_trace(trace_sqrt, a, b, rtol)
    diff = a.mu - b.mu
    mean_term = float(diff @ diff)
    value = mean_term + a.trace + b.trace - 2.0 * trace_sqrt
    if not np.isfinite(value):
        raise FrechetDistanceError(None, f"FID is not finite ({value})")
    if value < 0.0:
        # A squared distance: below zero only by rounding when the sets (nearly) coincide.
        # Anything beyond the trace check's own tolerance is a numerics fault, not a score.
        if value < -rtol * (mean_term + a.trace + b.trace):
            raise FrechetDistanceError(None, f"FID is negative ({value!r}) beyond rounding; refusing to report it")
        value = 0.0
    return value


def fid_from_features(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Functional form: FID between two ``[n, d]`` feature matrices."""
    return frechet_distance(summarize(features_a), summarize(features_b))
