"""Bradley–Terry fit, vote bootstrap, tied ranks and τ of the human board (numpy only)."""
from __future__ import annotations

import numpy as np
import pytest

from arena.services.preference.matchmaking import choose_pair, information
from arena.services.preference.ratings import PRIOR, VoteTable, fit_bradley_terry, kendall_tau, rate, tau_with_interval
from evaluator.statistics.ranking import rank_with_ties


def mm_reference(wins: np.ndarray, prior: float = PRIOR, steps: int = 20000) -> np.ndarray:
    """Hunter's MM iteration with the same virtual tie against a strength-1 reference (independent code)."""
    games = wins + wins.T
    won = wins.sum(axis=1) + prior / 2
    p = np.ones(len(wins))
    for _ in range(steps):
        p = won / ((games / (p[:, None] + p[None, :])).sum(axis=1) + prior / (p + 1))
    theta = np.log(p)
    return theta - theta.mean()


def test_newton_fit_agrees_with_the_mm_iteration():
    rng = np.random.default_rng(3)
    wins = rng.integers(0, 12, size=(6, 6)).astype(float)
    np.fill_diagonal(wins, 0)
    wins[0, :] = 0  # an entry that never won stays finite thanks to the prior
    assert np.allclose(fit_bradley_terry(wins), mm_reference(wins), atol=1e-6)
    stacked = fit_bradley_terry(np.stack([wins, wins.T]))
    assert np.allclose(stacked[0], mm_reference(wins), atol=1e-6)
    assert np.allclose(stacked[1], mm_reference(wins.T), atol=1e-6)


def test_a_tie_counts_half_a_win_to_each_side():
    ties = VoteTable(np.array([0, 0]), np.array([1, 1]), np.array([0.5, 0.5]), 2)
    split = VoteTable(np.array([0, 0]), np.array([1, 1]), np.array([1.0, 0.0]), 2)
    assert np.array_equal(ties.outcomes(), split.outcomes())
    assert np.allclose(fit_bradley_terry(ties.outcomes()), 0.0)


def test_resampled_outcomes_match_the_votes_drawn():
    table = VoteTable(np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([1.0, 0.5, 0.0]), 3)
    weights = np.array([[2.0, 0.0, 1.0], [0.0, 3.0, 0.0]])
    stack = table.outcomes(weights)
    first = VoteTable(np.array([0, 0, 2]), np.array([1, 1, 0]), np.array([1.0, 1.0, 0.0]), 3).outcomes()
    second = VoteTable(np.array([1, 1, 1]), np.array([2, 2, 2]), np.array([0.5, 0.5, 0.5]), 3).outcomes()
    assert np.array_equal(stack[0], first) and np.array_equal(stack[1], second)


def test_ranks_use_the_automatic_boards_rule():
    rng = np.random.default_rng(0)
    s = np.array([2.0, 0.0, 0.02, -2.0])  # 1 and 2 are indistinguishable
    i = rng.integers(0, 4, 3000)
    j = (i + rng.integers(1, 4, 3000)) % 4
    score = (rng.random(3000) < 1 / (1 + np.exp(-(s[i] - s[j])))).astype(float)
    ratings = rate(VoteTable(i, j, score, 4), resamples=300, seed=1)
    again = rank_with_ties(ratings.strength, ratings.replicates, higher_is_better=True)
    assert np.array_equal(ratings.ranked.ranks, again.ranks)
    assert list(ratings.order[[0, 3]]) == [0, 3]
    assert list(ratings.ranked.ranks) == [1, 2, 2, 4]
    assert list(ratings.ranked.tied) == [False, True, True, False]
    assert np.all(ratings.low <= ratings.strength) and np.all(ratings.strength <= ratings.high)


def test_a_board_without_votes_ties_everyone():
    ratings = rate(VoteTable(np.zeros(0, int), np.zeros(0, int), np.zeros(0), 3), resamples=50)
    assert np.allclose(ratings.strength, 0.0)
    assert ratings.ranked.tied.all()


def test_tau_interval_contains_its_point_and_stays_in_range():
    rng = np.random.default_rng(2)
    human = np.arange(6, dtype=float)
    reps = human[:, None] + rng.normal(0, 1.5, size=(6, 200))
    point, low, high = tau_with_interval(human, reps, human)
    assert point == pytest.approx(1.0)
    assert -1.0 <= low <= point <= high <= 1.0
    assert low < 0.9  # noisy replicates widen it
    assert kendall_tau(human, -human) == pytest.approx(-1.0)


def test_matchmaking_prefers_close_unvoted_pairs_and_explores():
    theta = np.array([3.0, 0.0, 0.1, -3.0])
    votes = np.zeros((4, 4))
    rng = np.random.default_rng(0)
    picks = [tuple(sorted(choose_pair(rng, theta, votes, epsilon=0.0))) for _ in range(20)]
    assert set(picks) == {(1, 2)}
    votes[1, 2] = votes[2, 1] = 500  # settled: the next closest pairs take over
    assert information(theta, votes)[1, 2] < information(theta, votes)[0, 1]
    explored = {tuple(sorted(choose_pair(rng, theta, votes, epsilon=1.0))) for _ in range(200)}
    assert len(explored) == 6


def test_kendall_tau_matches_scipy_with_and_without_ties():
    from scipy.stats import kendalltau

    rng = np.random.default_rng(5)
    for _ in range(20):
        x = rng.integers(0, 5, 9).astype(float)  # ties on purpose
        y = x + rng.integers(-2, 3, 9)
        assert kendall_tau(x, y) == pytest.approx(kendalltau(x, y).statistic, abs=1e-12)
    assert kendall_tau(np.ones(4), np.arange(4.0)) == 0.0


def test_distinct_votes_keep_every_vote():
    from arena.services.preference.ratings import distinct_votes

    table = VoteTable(np.array([0, 0, 1, 0]), np.array([1, 1, 2, 1]), np.array([1.0, 1.0, 0.5, 0.0]), 3)
    kinds, counts = distinct_votes(table)
    assert counts.sum() == 4 and len(counts) == 3
    assert np.array_equal(kinds.outcomes(counts[None, :].astype(float))[0], table.outcomes())
