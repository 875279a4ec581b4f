"""Bootstrap replicates of every metric, recomputed per resample from a scoring run's cached state.

A replicate function takes the run's ``ScoreState``, the ``Resamples`` and the replicates
already computed (ArtFID is made of FID's and LPIPS's) and returns one value per resample.
The registry is keyed by metric name, so a new metric registers its own function::

    @replicator("my_metric", requires=("fid",))
    def my_metric(state, resamples, done): ...          # -> np.ndarray [B]

or, for a metric only expressible one index set at a time, ``register_per_resample(name, fn)``
with ``fn(state, indices) -> float``. A metric without a function gets no interval (its
reason is recorded) and is ranked in exact order.

Per-pair metrics are means over the drawn pairs (``counts @ values / N``: one matmul). FID is
recomputed against the fixed reference statistics from the resampled output features without
materialising any resampled matrix: with X the centred features, P = X·Rᵀ (R the reference
covariance factor, ``fid.GaussianSummary.factor``) and w the draw counts, the resample's mean is
wᵀX/N, its covariance trace (wᵀ‖x‖² − N‖μ‖²)/(N−1), and tr √(Σ Σ_ref) the sum of the square
roots of the eigenvalues of (Pᵀ diag(w) P − N q qᵀ)/(N−1), q = Rμ, a k×k matrix (k = rows of R).
The same algebra as ``evaluator.metrics.fid``'s factor route (the test checks it against
``frechet_distance`` on materialised resamples). KID is not resampled: its point estimate is
a mean over random subsets of at most 1,000 rows, whose bootstrap would describe the subset
draw, not the pairs; its reason is recorded and it has no interval.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from evaluator.metrics.catalog import PER_PAIR_METRICS, MetricName
from evaluator.metrics.optional_catalog import OPTIONAL_PER_PAIR_METRICS
from evaluator.statistics.protocol import DEFAULT_RESAMPLES, DEFAULT_SEED, METHOD
from evaluator.statistics.resample import Resamples, stratified_resamples

if TYPE_CHECKING:
    from evaluator.metrics.scores import ScoreState

ReplicateFn = Callable[["ScoreState", Resamples, Mapping[str, np.ndarray]], np.ndarray]
# Above this many reference factor rows the k×k route is replaced by one eigen problem per
# resample on the smaller side (still exact, just slower).
BATCHED_FACTOR_ROWS = 64


@dataclass(frozen=True)
class Replicator:
    """One metric's replicate function and the metrics whose replicates it reads."""

    name: str
    fn: ReplicateFn
    requires: tuple[str, ...] = ()


REGISTRY: dict[str, Replicator] = {}
# Metrics deliberately not resampled, with the reason recorded in provenance.
NOT_RESAMPLED: dict[str, str] = {
    MetricName.KID.value: "KID averages random subsets of at most 1,000 rows; a bootstrap over pairs "
                          "would describe the subset draw, so KID has no interval",
}


def replicator(name: str, requires: tuple[str, ...] = ()) -> Callable[[ReplicateFn], ReplicateFn]:
    """Decorator: register ``fn`` as the replicate function of metric ``name``."""
    def decorate(fn: ReplicateFn) -> ReplicateFn:
        REGISTRY[name] = Replicator(name, fn, tuple(requires))
        return fn
    return decorate


def register_per_resample(name: str, fn: Callable[["ScoreState", np.ndarray], float],
                          requires: tuple[str, ...] = ()) -> None:
    """Register a metric computed one resample at a time: ``fn(state, indices) -> value``."""
    def batched(state: ScoreState, resamples: Resamples, _done: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.array([fn(state, row) for row in resamples.indices], dtype=np.float64)
    REGISTRY[name] = Replicator(name, batched, tuple(requires))


@dataclass(frozen=True)
class Bootstrap:
    """The replicates of one scoring run, and how they were drawn (for provenance)."""

    replicates: dict[str, np.ndarray]  # metric -> [B] float64
    skipped: dict[str, str]  # metric -> why it has no replicates
    design_key: str
    resamples: int
    seed: int
    method: str = METHOD
    elapsed_s: float = 0.0
    strata: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def provenance(self) -> dict:
        """What an evaluation's provenance records about its intervals."""
        return {"method": self.method, "resamples": self.resamples, "seed": self.seed,
                "design_key": self.design_key, "strata": self.strata, "skipped": dict(self.skipped),
                "elapsed_s": round(self.elapsed_s, 3)}


def bootstrap(state: ScoreState, metrics: list[str], resamples: int = DEFAULT_RESAMPLES,
              seed: int = DEFAULT_SEED) -> Bootstrap:
    """Replicates of each of ``metrics`` over ``resamples`` stratified resamples of the run's pairs.

    Raises:
        ValueError: the state has no pairs (a caller's bug).
    """
    started = time.perf_counter()
    pairs = state.pairs
    draws = stratified_resamples([p.pair_id for p in pairs], [p.style for p in pairs], resamples, seed)
    done: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}

    def compute(name: str, visiting: frozenset[str] = frozenset()) -> None:
        # Requirements first (ArtFID reads FID's and LPIPS's replicates), each metric once.
        if name in done or name in skipped:
            return
        entry = REGISTRY.get(name)
        if entry is None or name in visiting:
            skipped[name] = NOT_RESAMPLED.get(name, "no replicate function is registered for this metric")
            return
        for requirement in entry.requires:
            compute(requirement, visiting | {name})
        lacking = [r for r in entry.requires if r not in done]
        if lacking:
            skipped[name] = f"needs {', '.join(lacking)}, which has no replicates"
            return
        done[name] = np.asarray(entry.fn(state, draws, done), dtype=np.float64)

    for metric in metrics:
        compute(metric)
    return Bootstrap(replicates={n: done[n] for n in metrics if n in done}, skipped=skipped,
                     design_key=draws.design_key, resamples=resamples, seed=seed,
                     elapsed_s=time.perf_counter() - started, strata=len({p.style for p in pairs}))


def _per_pair_mean(name: str) -> ReplicateFn:
    def replicate(state: ScoreState, resamples: Resamples, _done: Mapping[str, np.ndarray]) -> np.ndarray:
        values = np.array([state.per_pair[p.pair_id][name] for p in state.pairs], dtype=np.float64)
        return resamples.counts @ values / resamples.n
    return replicate


# The optional metrics a competition may add are per-pair means too (present only when computed).
for _name in PER_PAIR_METRICS + OPTIONAL_PER_PAIR_METRICS:
    REGISTRY[_name] = Replicator(_name, _per_pair_mean(_name))


@replicator(MetricName.FID.value)
def fid_replicates(state: ScoreState, resamples: Resamples, _done: Mapping[str, np.ndarray]) -> np.ndarray:
    """FID of each resample's outputs against the run's fixed reference statistics (see module doc)."""
    features = np.stack([state.inception[p.pair_id] for p in state.pairs]).astype(np.float64)
    reference = state.reference.fid
    return resampled_fid(features, reference.mu, reference.factor, reference.trace, resamples.counts)


def resampled_fid(features: np.ndarray, ref_mu: np.ndarray, ref_factor: np.ndarray, ref_trace: float,
                  counts: np.ndarray) -> np.ndarray:
    """FID per row of ``counts`` ([B, N] draw counts, each row summing to N) against a fixed reference."""
    n = features.shape[0]
    ref_factor = compact_factor(ref_factor)
    centre = features.mean(axis=0)
    x = features - centre
    weights = counts / n
    means = weights @ x  # [B, d]: each resample's mean, relative to ``centre``
    offset = centre - ref_mu
    mean_term = np.einsum("bd,bd->b", means + offset, means + offset)
    squares = np.einsum("nd,nd->n", x, x)
    traces = (counts @ squares - n * np.einsum("bd,bd->b", means, means)) / (n - 1)
    projected = x @ ref_factor.T  # [N, k]
    q = weights @ projected  # [B, k]
    k = projected.shape[1]
    if k <= BATCHED_FACTOR_ROWS:
        outer = (projected[:, :, None] * projected[:, None, :]).reshape(n, k * k)
        grams = ((counts @ outer).reshape(-1, k, k) - n * q[:, :, None] * q[:, None, :]) / (n - 1)
        eig = np.linalg.eigvalsh((grams + grams.transpose(0, 2, 1)) / 2)
        trace_sqrt = np.sqrt(np.clip(eig, 0.0, None)).sum(axis=1)
    else:
        trace_sqrt = np.empty(counts.shape[0])
        for b, row in enumerate(counts):
            drawn = row > 0
            cross = np.sqrt(row[drawn])[:, None] * (projected[drawn] - q[b]) / np.sqrt(n - 1)
            small = cross @ cross.T if cross.shape[0] <= k else cross.T @ cross
            trace_sqrt[b] = np.sqrt(np.clip(np.linalg.eigvalsh((small + small.T) / 2), 0.0, None)).sum()
    values = mean_term + traces + ref_trace - 2.0 * trace_sqrt
    # A squared distance: below zero only by rounding (as ``fid.frechet_distance`` clamps).
    return np.clip(values, 0.0, None)


# The (1 + LPIPS)(1 + FID) formula on this board's FID: called ``art_fid_distinct`` where the
# catalog has the published ArtFID under ``art_fid`` (whose own features need their own
# replicate function), else ``art_fid``.
ART_FID_FORMULA = getattr(MetricName, "ART_FID_DISTINCT", MetricName.ART_FID).value


def compact_factor(factor: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """A factor with as many rows as the covariance's rank (same ``factorᵀ·factor``).

    A reference set with repeated rows (one reference per output, as the published ArtFID
    pairs them) has a k×d factor of rank far below k; the k×k route's cost follows the rows.
    With F Fᵀ = V Λ Vᵀ, Fᵀ F = (VᵀF)ᵀ(VᵀF), and rows of VᵀF with λ ≈ 0 are ≈ 0: dropped.
    """
    if factor.shape[0] <= BATCHED_FACTOR_ROWS:
        return factor
    gram = factor @ factor.T
    eigenvalues, vectors = np.linalg.eigh((gram + gram.T) / 2)
    keep = eigenvalues > rtol * max(float(eigenvalues.max(initial=0.0)), np.finfo(np.float64).tiny)
    return vectors[:, keep].T @ factor


@replicator(ART_FID_FORMULA, requires=(MetricName.LPIPS.value, MetricName.FID.value))
def art_fid_replicates(_state: ScoreState, _resamples: Resamples, done: Mapping[str, np.ndarray]) -> np.ndarray:
    """ArtFID per resample from that resample's LPIPS and FID (the catalog's formula)."""
    return (1.0 + done[MetricName.LPIPS.value]) * (1.0 + done[MetricName.FID.value])


# The published ArtFID's replicates live beside its own features' definition; importing the
# module registers them (at the end, once ``replicator`` and ``resampled_fid`` exist).
from evaluator.statistics import art_fid_replicates as _published_art_fid  # noqa: E402,F401
