"""Bradley–Terry ratings of a human board, their bootstrap intervals, ranks and τ (numpy only).

The model: entry i beats j with probability p_i / (p_i + p_j) = σ(θ_i − θ_j), θ = log p, fitted
by maximum likelihood on the valid votes: W_i counts i's wins (a tie is half a win to each
side), n_ij the votes between i and j; "both bad" votes tell nothing about the order and are
left out of the fit (they are counted beside it).

Every entry also plays one virtual tie against a fixed reference of strength 1 (``PRIOR``
comparisons), which keeps an entry that never won (or never lost) finite and anchors the scale;
its pull is one vote among many once an entry has a few dozen.

Intervals: votes are resampled with replacement (``RESAMPLES`` times, seeded), the model refitted
on each resample, and the basic bootstrap interval and the tied ranks are read from those
replicates with the automatic board's own rule (``evaluator.statistics.ranking``): one owner
per rule, so "tied" means the same thing on both boards.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluator.statistics.protocol import CONFIDENCE
from evaluator.statistics.ranking import RankedBoard, basic_interval, rank_with_ties

RESAMPLES = 400
SEED = 20261217
PRIOR = 1.0
MAX_ITER = 100
TOL = 1e-9
STEP_CAP = 2.0
PROTOCOL = f"bradley-terry-mm;prior={PRIOR:g};vote-bootstrap-basic;B={RESAMPLES};seed={SEED};conf={CONFIDENCE:g};v=1"


@dataclass(frozen=True)
class Outcomes:
    """Valid votes aggregated per ordered pair: ``wins[i, j]`` = votes in which i beat j (ties 0.5 each)."""

    wins: np.ndarray  # [M, M] float

    @property
    def n_entries(self) -> int:
        return self.wins.shape[0]

    @classmethod
    def from_votes(cls, n_entries: int, first: np.ndarray, second: np.ndarray, score: np.ndarray) -> "Outcomes":
        """``score`` is 1 when ``first`` won, 0 when ``second`` won, 0.5 for a tie."""
        wins = np.zeros((n_entries, n_entries), dtype=np.float64)
        first, second, score = np.asarray(first), np.asarray(second), np.asarray(score, dtype=np.float64)
        np.add.at(wins, (first, second), score)
        np.add.at(wins, (second, first), 1.0 - score)
        return cls(wins)


def fit_bradley_terry(wins: np.ndarray, prior: float = PRIOR) -> np.ndarray:
    """Log-strengths (centred at 0) maximising the likelihood, for one or a stack ``[..., M, M]``.

    Newton's method on the (strictly concave, thanks to the prior) log-likelihood, vectorised
    over the leading axes so all bootstrap replicates converge together in ~10 steps; the MM
    iteration reaches the same maximum but needs hundreds of steps (the test checks both agree).
    """
    wins = np.asarray(wins, dtype=np.float64)
    games = wins + np.swapaxes(wins, -1, -2)
    won = wins.sum(axis=-1) + prior / 2.0
    theta = np.zeros(wins.shape[:-1])
    eye = np.eye(wins.shape[-1], dtype=bool)
    for _ in range(MAX_ITER):
        pi = 1.0 / (1.0 + np.exp(theta[..., None, :] - theta[..., :, None]))  # P(i beats j)
        ref = 1.0 / (1.0 + np.exp(-theta))  # P(i beats the reference)
        grad = won - (games * pi).sum(axis=-1) - prior * ref
        curv = games * pi * (1.0 - pi)
        hess = curv - np.where(eye, curv.sum(axis=-1)[..., None] + (prior * ref * (1.0 - ref))[..., None], 0.0)
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        # Clipped steps keep Newton inside the region where it converges fast.
        step = np.clip(step, -STEP_CAP, STEP_CAP)
        theta = theta - step
        if np.max(np.abs(step)) < TOL:
            break
    return theta - theta.mean(axis=-1, keepdims=True)


@dataclass(frozen=True)
class VoteTable:
    """Valid votes as rows: entries ``first`` and ``second`` and the first's score (1, 0.5, 0)."""

    first: np.ndarray
    second: np.ndarray
    score: np.ndarray
    n_entries: int

    def outcomes(self, weights: np.ndarray | None = None) -> np.ndarray:
        """The win matrix, or a stack of them for resample weights ``[B, V]``."""
        if weights is None:
            return Outcomes.from_votes(self.n_entries, self.first, self.second, self.score).wins
        # Aggregate identical votes first: resampling V votes is a multinomial over categories.
        m = self.n_entries
        flat = np.zeros((weights.shape[0], m * m))
        np.add.at(flat.T, self.first * m + self.second, (weights * self.score).T)
        np.add.at(flat.T, self.second * m + self.first, (weights * (1.0 - self.score)).T)
        return flat.reshape(-1, m, m)


def resample_weights(counts: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """[B, K] how often each kind of vote is drawn in each bootstrap resample (seeded).

    Drawing V votes with replacement is a multinomial over the K distinct votes (entry pair and
    outcome) weighted by their counts: memory grows with the board, not with the votes.
    """
    counts = np.asarray(counts, dtype=np.float64)
    rng = np.random.default_rng(seed)
    return rng.multinomial(int(counts.sum()), counts / counts.sum(), size=resamples).astype(np.float64)


def distinct_votes(votes: VoteTable) -> tuple[VoteTable, np.ndarray]:
    """The distinct (first, second, score) votes and how often each was cast."""
    keys = np.stack([votes.first, votes.second, (2 * votes.score).astype(np.int64)], axis=1)
    unique, counts = np.unique(keys, axis=0, return_counts=True)
    return VoteTable(unique[:, 0], unique[:, 1], unique[:, 2] / 2.0, votes.n_entries), counts


@dataclass(frozen=True)
class Ratings:
    """A fitted human board in board order (strongest first): the ``order`` maps back to entries."""

    order: np.ndarray  # [M] entry indices, strongest first
    strength: np.ndarray  # [M] log-strength, board order
    low: np.ndarray
    high: np.ndarray
    replicates: np.ndarray  # [M, B] board order
    ranked: RankedBoard


def rate(votes: VoteTable, resamples: int = RESAMPLES, seed: int = SEED) -> Ratings:
    """Fit, bootstrap and rank a human board (entries with no vote keep strength 0 and wide intervals)."""
    m = votes.n_entries
    point = fit_bradley_terry(votes.outcomes())
    if len(votes.score):
        kinds, counts = distinct_votes(votes)
        reps = fit_bradley_terry(kinds.outcomes(resample_weights(counts, resamples, seed)))
    else:
        reps = np.zeros((resamples, m))
    # Board order: strength, then entry index (stable), as the automatic board breaks ties by age.
    order = np.lexsort((np.arange(m), -point))
    strength, replicates = point[order], reps.T[order]
    bounds = [basic_interval(float(s), r) for s, r in zip(strength, replicates)]
    ranked = rank_with_ties(strength, replicates, higher_is_better=True)
    return Ratings(order, strength, np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds]),
                   replicates, ranked)


def kendall_tau(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's τ-b of two score vectors (higher = better on both); 0 when undefined.

    Written out in numpy (boards are small: M² signs) so that the web process, which reads this
    module, never loads scipy; the test checks it against ``scipy.stats.kendalltau``.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 2:
        return 0.0
    i, j = np.triu_indices(len(x), k=1)
    sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    den = np.sqrt(np.sum(sx * sx) * np.sum(sy * sy))
    return 0.0 if den == 0 else float(np.sum(sx * sy) / den)


def tau_with_interval(human: np.ndarray, human_reps: np.ndarray, auto: np.ndarray,
                      auto_reps: np.ndarray | None = None) -> tuple[float, float, float]:
    """τ between the human and the automatic board, with its percentile bootstrap interval.

    Both sides are "higher is better". ``human_reps`` is [M, B]; ``auto_reps`` (the metric's
    own replicates, when every entry has them) [M, B'] is paired draw by draw, cycled when the
    counts differ, so the interval carries the uncertainty of both boards.
    """
    point = kendall_tau(human, auto)
    b = human_reps.shape[1]
    taus = np.empty(b)
    for k in range(b):
        other = auto if auto_reps is None else auto_reps[:, k % auto_reps.shape[1]]
        taus[k] = kendall_tau(human_reps[:, k], other)
    # Percentile, not basic: τ is bounded, and the basic interval (reflected about the point)
    # collapses to [1, 1] whenever the point sits at the bound, however noisy the replicates.
    alpha = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(taus, [alpha, 1.0 - alpha])
    return point, float(min(low, point)), float(max(high, point))
