"""Bootstrap intervals and tied ranks on synthetic data with known answers (pure numpy, fast)."""
from __future__ import annotations

import numpy as np
import pytest

from evaluator.metrics.fid import frechet_distance, summarize
from evaluator.statistics.ranking import (basic_interval, count_beaters, decode, earns_medal, encode,
                                          rank_with_ties, reflected, update_beaten_by)
from evaluator.statistics.replicates import resampled_fid
from evaluator.statistics.resample import stratified_resamples


def _strata(n_per: tuple[int, ...]) -> tuple[list[str], list[str]]:
    strata = [f"s{k}" for k, n in enumerate(n_per) for _ in range(n)]
    return [f"p{i}" for i in range(len(strata))], strata


def test_resamples_keep_the_style_mix_and_depend_only_on_the_design():
    ids, strata = _strata((3, 5, 12))
    first = stratified_resamples(ids, strata, 200, seed=7)
    again = stratified_resamples(ids, strata, 200, seed=7)
    assert np.array_equal(first.indices, again.indices) and first.design_key == again.design_key
    # Every resample draws each style's pairs from that style only, as many as it has.
    style_of = np.array(strata)
    for row in first.indices:
        assert sorted(style_of[row].tolist()) == sorted(strata)
    assert np.array_equal(first.counts.sum(axis=1), np.full(200, len(ids)))
    assert np.array_equal(first.counts[5], np.bincount(first.indices[5], minlength=len(ids)))
    other_seed = stratified_resamples(ids, strata, 200, seed=8)
    other_pairs = stratified_resamples(ids[:-1] + ["q"], strata, 200, seed=7)
    assert not np.array_equal(first.indices, other_seed.indices)
    assert other_pairs.design_key != first.design_key and not np.array_equal(first.indices, other_pairs.indices)


def test_interval_coverage_on_a_known_answer():
    """~95 % of seeded 95 % intervals of a stratified mean contain the population value."""
    # N = 200 in four styles. (At N = 60 the same check gives about 0.90: with 10-20 pairs a
    # style, the bootstrap's (n-1)/n variance shrinks the interval; the README says so.)
    means, sizes = (1.0, 3.0, 2.0, 6.0), (40, 60, 50, 50)
    truth = float(np.dot(means, sizes) / sum(sizes))  # the stratified mean's expectation
    ids, strata = _strata(sizes)
    draws = stratified_resamples(ids, strata, 1000, seed=20261202)
    rng = np.random.default_rng(1)
    trials, hits = 400, 0
    for _ in range(trials):
        # Skewed (exponential) values per style: the interval is not handed a normal shape.
        values = np.concatenate([rng.exponential(m, n) for m, n in zip(means, sizes)])
        low, high = basic_interval(float(values.mean()), draws.counts @ values / len(values))
        hits += low <= truth <= high
    coverage = hits / trials
    print(f"coverage {coverage:.3f} over {trials} draws")
    assert 0.91 <= coverage <= 0.98, coverage


def test_resampled_fid_equals_frechet_distance_of_the_materialised_resample():
    rng = np.random.default_rng(3)
    outputs, refs = rng.normal(0.3, 1.0, (40, 16)), rng.normal(0.0, 1.2, (9, 16))
    ids, strata = _strata((20, 20))
    draws = stratified_resamples(ids, strata, 25, seed=1)
    ref = summarize(refs)
    fast = resampled_fid(outputs, ref.mu, ref.factor, ref.trace, draws.counts)
    slow = [frechet_distance(summarize(outputs[row]), ref) for row in draws.indices]
    # Within the trace check of evaluator.metrics.fid (rank-deficient eigenvalues: sqrt of rounding).
    assert np.allclose(fast, slow, rtol=1e-7)
    # The per-resample route (more reference rows than the batched limit) agrees too.
    wide_refs = rng.normal(0.0, 1.0, (80, 16))
    wide = summarize(wide_refs)
    assert wide.factor.shape[0] == 16  # QR-reduced: exercise the batched route with k = d
    many = rng.normal(0.1, 1.0, (70, 100))
    ref100 = summarize(rng.normal(0, 1, (90, 100)))
    ids, strata = _strata((70,))
    d2 = stratified_resamples(ids, strata, 5, seed=2)
    assert np.allclose(resampled_fid(many, ref100.mu, ref100.factor, ref100.trace, d2.counts),
                       [frechet_distance(summarize(many[row]), ref100) for row in d2.indices], rtol=1e-7)
    # A reference set of repeated rows (one reference per output): compacted to its rank, same FIDs.
    repeated = summarize(rng.normal(0, 1, (12, 100))[np.arange(70) % 12])
    assert repeated.factor.shape[0] == 70
    assert np.allclose(resampled_fid(many, repeated.mu, repeated.factor, repeated.trace, d2.counts),
                       [frechet_distance(summarize(many[row]), repeated) for row in d2.indices], rtol=1e-7)
    # More pairs than the batched N×N route takes: one eigen problem per resample.
    lots = rng.normal(0.1, 1.0, (300, 80))
    ref80 = summarize(rng.normal(0, 1, (120, 80)))
    ids, strata = _strata((150, 150))
    d3 = stratified_resamples(ids, strata, 4, seed=3)
    assert ref80.factor.shape[0] > 64
    assert np.allclose(resampled_fid(lots, ref80.mu, ref80.factor, ref80.trace, d3.counts),
                       [frechet_distance(summarize(lots[row]), ref80) for row in d3.indices], rtol=1e-7)


def test_replicates_round_trip_through_storage():
    values = np.random.default_rng(0).normal(60, 3, 1000)
    data = encode(values)
    assert len(data) == 4000 and np.allclose(decode(data), values, rtol=1e-6)


def _board(points, noise, b=1000, seed=0, shared=0.0):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, shared, (1, b))
    return np.asarray(points, float), np.asarray(points, float)[:, None] + common + rng.normal(0, 1, (len(points), b)) * np.asarray(noise)[:, None]


def test_ties_separation_and_medals():
    # A far ahead; B and C within noise of each other; D far behind.
    points, reps = _board([10.0, 20.0, 20.3, 40.0], [1.0, 1.0, 1.0, 1.0])
    ranked = rank_with_ties(points, reps, higher_is_better=False)
    assert ranked.ranks.tolist() == [1, 2, 2, 4]
    assert ranked.tied.tolist() == [False, True, True, False]
    assert ranked.separated.tolist() == [True, False, True, True]
    assert ranked.medals() == [True, False, False, False]
    # Higher is better: the same board read the other way round.
    flipped = rank_with_ties(-points, -reps, higher_is_better=True)
    assert flipped.ranks.tolist() == [1, 2, 2, 4] and flipped.medals() == ranked.medals()
    assert earns_medal(1, False, True) and not earns_medal(1, True, True) and not earns_medal(4, False, True)
    assert not earns_medal(2, False, False) and not earns_medal(None, False, True)


def test_paired_replicates_separate_what_marginal_intervals_cannot():
    # A large shared resample effect (the hard pairs are hard for everyone): marginal intervals
    # overlap, but the paired difference is steady, so the better entry wins with confidence.
    points, reps = _board([10.0, 10.5], [0.05, 0.05], shared=3.0)
    lo_a, hi_a = basic_interval(points[0], reps[0])
    lo_b, _ = basic_interval(points[1], reps[1])
    assert lo_b < hi_a  # the marginal intervals overlap
    assert rank_with_ties(points, reps, False).ranks.tolist() == [1, 2]


def test_exact_order_without_replicates():
    ranked = rank_with_ties(np.array([1.0, 2.0, 2.0, 3.0]), None, higher_is_better=False)
    assert ranked.ranks.tolist() == [1, 2, 2, 4] and not ranked.statistical
    assert ranked.tied.tolist() == [False, True, True, False]


@pytest.mark.parametrize("seed", [0, 1])
def test_incremental_update_equals_ranking_from_scratch(seed):
    rng = np.random.default_rng(seed)
    points, reps = _board(np.sort(rng.normal(50, 4, 120)), rng.uniform(0.5, 2.0, 120), b=400, seed=seed)
    before = rank_with_ties(points, reps, False)
    # One entry leaves (its owner improved) and two join.
    gone = 17
    new_points = np.array([49.0, 51.5])
    new_reps = new_points[:, None] + rng.normal(0, 1, (2, 400))
    keep = np.arange(len(points)) != gone
    all_points = np.concatenate([points[keep], new_points])
    all_reps = np.vstack([reps[keep], new_reps])
    order = np.argsort(all_points, kind="stable")
    all_points, all_reps = all_points[order], all_reps[order]
    added = order >= keep.sum()
    stored = np.concatenate([before.beaten_by[keep], [0, 0]])[order]
    counts = update_beaten_by(reflected(all_points, all_reps, False), stored, added,
                              reflected(points[gone:gone + 1], reps[gone:gone + 1], False))
    scratch = rank_with_ties(all_points, all_reps, False)
    assert np.array_equal(counts, scratch.beaten_by)
    assert np.array_equal(count_beaters(reflected(all_points, all_reps, False)), scratch.beaten_by)
    assert np.array_equal(rank_with_ties(all_points, all_reps, False, beaten_by=counts).ranks, scratch.ranks)
