"""Simulated voters with known strengths: the arena recovers the order, its intervals cover the
truth at about the stated rate, and active match-making needs fewer votes than uniform pairing.

Run with ``-s`` to print the figures quoted in docs/PREFERENCE_ARENA.md.
"""
from __future__ import annotations

import numpy as np
import pytest

from arena.services.preference.matchmaking import EPSILON, choose_pair, uniform_pair
from arena.services.preference.ratings import CONFIDENCE, VoteTable, fit_bradley_terry, kendall_tau, rate


def simulated_votes(rng: np.random.Generator, strength: np.ndarray, n: int) -> VoteTable:
    """``n`` uniformly paired votes drawn from the Bradley–Terry model with these strengths."""
    m = len(strength)
    i = rng.integers(0, m, n)
    j = (i + rng.integers(1, m, n)) % m
    p = 1.0 / (1.0 + np.exp(-(strength[i] - strength[j])))
    return VoteTable(i, j, (rng.random(n) < p).astype(float), m)


def test_enough_votes_recover_the_true_order():
    taus = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        truth = np.linspace(-2.0, 2.0, 10)  # neighbours 0.44 apart: a 61 % chance to win
        ratings = rate(simulated_votes(rng, truth, 3000), resamples=100, seed=seed)
        taus.append(kendall_tau(ratings.strength, truth[ratings.order]))
    print(f"\nKendall tau over 10 boards of 10 entries, 3,000 votes each: min {min(taus):.3f}")
    assert min(taus) >= 0.9


def test_intervals_cover_the_true_strengths_at_about_the_stated_rate():
    covered = []
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        truth = np.linspace(-1.5, 1.5, 8)
        ratings = rate(simulated_votes(rng, truth, 1500), resamples=300, seed=seed)
        centred = (truth - truth.mean())[ratings.order]
        covered.extend((ratings.low <= centred) & (centred <= ratings.high))
    rate_ = float(np.mean(covered))
    print(f"\ncoverage of the {CONFIDENCE:.0%} intervals over 240 (entry, board) draws: {rate_:.3f}")
    # 240 draws: the binomial standard error at 95 % is 1.4 points; the prior's pull costs a little.
    assert 0.89 <= rate_ <= 0.99


def votes_to_reach(seed: int, active: bool, target: float, m: int = 12, every: int = 20,
                   cap: int = 4000) -> int:
    """Votes until the fitted order reaches Kendall τ ≥ ``target`` with the true one (refit every ``every``)."""
    rng = np.random.default_rng(seed)
    truth = np.sort(rng.normal(0.0, 1.5, m))
    wins = np.zeros((m, m))
    theta = np.zeros(m)
    n = 0
    while n < cap:
        games = wins + wins.T
        for _ in range(every):
            i, j = choose_pair(rng, theta, games, EPSILON) if active else uniform_pair(rng, m)
            if rng.random() < 1.0 / (1.0 + np.exp(-(truth[i] - truth[j]))):
                wins[i, j] += 1
            else:
                wins[j, i] += 1
            games[i, j] += 1
            games[j, i] += 1
            n += 1
        theta = fit_bradley_terry(wins)
        if kendall_tau(theta, truth) >= target:
            return n
    return cap


@pytest.mark.slow  # ~30 s: 60 simulated arenas refitted every 20 votes
def test_active_matchmaking_needs_fewer_votes_than_uniform_pairing():
    target = 0.95
    uniform = [votes_to_reach(seed, False, target) for seed in range(30)]
    active = [votes_to_reach(seed, True, target) for seed in range(30)]
    print(f"\nvotes to reach tau >= {target} on 12 entries (30 seeds): uniform median {np.median(uniform):.0f} "
          f"mean {np.mean(uniform):.0f}; active median {np.median(active):.0f} mean {np.mean(active):.0f}")
    assert np.median(active) < np.median(uniform)
    assert np.mean(active) < np.mean(uniform)
