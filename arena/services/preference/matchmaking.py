"""Which two entries a voter is shown next: votes go where the order is least certain.

With probability ``EPSILON`` the pair is uniform (every pair keeps being sampled, so a rating
that is wrong can be found out); otherwise the pair with the highest information score
p(1 − p) / (1 + n) is taken, where p is the Bradley–Terry probability that one beats the other
(largest when their strengths are close) and n the valid votes the pair already has (so a close
pair that was settled long ago yields to one that was not). Pure numpy; the simulation test
and the vote page use the same function.
"""
from __future__ import annotations

import numpy as np

EPSILON = 0.2


def information(strength: np.ndarray, pair_votes: np.ndarray) -> np.ndarray:
    """[M, M] information score of each pair (0 on the diagonal)."""
    s = np.asarray(strength, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-(s[:, None] - s[None, :])))
    score = p * (1.0 - p) / (1.0 + np.asarray(pair_votes, dtype=np.float64))
    np.fill_diagonal(score, -1.0)
    return score


def choose_pair(rng: np.random.Generator, strength: np.ndarray, pair_votes: np.ndarray,
                epsilon: float = EPSILON) -> tuple[int, int]:
    """Indices (i, j), i != j, of the next pair to show; the A/B order is the caller's coin."""
    m = len(strength)
    if m < 2:
        raise ValueError("a match needs two entries")
    if rng.random() < epsilon:
        i, j = rng.choice(m, size=2, replace=False)
        return int(i), int(j)
    score = information(strength, pair_votes)
    best = np.flatnonzero(score >= score.max() - 1e-12)
    k = int(rng.choice(best))  # ties broken at random so equal pairs share the votes
    return k // m, k % m


def uniform_pair(rng: np.random.Generator, m: int) -> tuple[int, int]:
    """A uniformly random pair (the baseline the simulation compares against)."""
    i, j = rng.choice(m, size=2, replace=False)
    return int(i), int(j)
