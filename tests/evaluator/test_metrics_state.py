"""Scoring in torchmetrics' shape: start, update per batch, a pure compute; ``score`` uses the three."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from sandbox.errors import InvalidOutput
from evaluator.metrics import io
from evaluator.metrics.errors import MetricComputationError, ScoringError
from evaluator.metrics.scores import ScoreResult, compute_scores
from metrics_support import make_image_set, seeded_suite


@pytest.fixture(scope="module")
def image_set(tmp_path_factory):
    return make_image_set(tmp_path_factory.mktemp("state"), n_content=2, n_style=2)


def _batch(image_set, pairs) -> torch.Tensor:
    return torch.stack([io.decode_output(image_set.outputs / f"{p.pair_id}.png", (64, 64)) for p in pairs])


def _accumulate(suite, image_set, batches):
    state = suite.start(image_set.pairs, image_set.content, image_set.style)
    for batch in batches:
        suite.update(state, batch, _batch(image_set, batch))
    return state


def _numbers(result: ScoreResult) -> tuple:
    return result.metrics, result.per_pair, result.kid


def test_accumulate_then_compute_is_what_score_computes(image_set):
    suite = seeded_suite()
    pairs = image_set.pairs
    forward = _accumulate(suite, image_set, [pairs[:2], pairs[2:]])
    backward = _accumulate(suite, image_set, [pairs[2:], pairs[:2]])
    # The order batches arrive in does not matter: compute reads features in pair order.
    assert _numbers(suite.compute(forward)) == _numbers(suite.compute(backward))
    whole = suite.score(pairs, image_set.outputs, image_set.content, image_set.style)
    by_hand = suite.compute(_accumulate(suite, image_set, [sorted(pairs, key=lambda p: (p.content, p.pair_id))]))
    # The same batches as score: the same bits.
    assert _numbers(by_hand) == _numbers(whole)
    assert by_hand.n == whole.n == 4 and by_hand.n_styles == 2 and not by_hand.calibrated


def test_compute_is_pure(image_set):
    suite = seeded_suite()
    state = _accumulate(suite, image_set, [image_set.pairs])
    rows = {pair_id: row.copy() for pair_id, row in state.inception.items()}
    first, second = compute_scores(state), compute_scores(state)
    assert _numbers(first) == _numbers(second)
    assert state.inception.keys() == rows.keys()
    assert all((state.inception[k] == v).all() for k, v in rows.items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.n = 0  # type: ignore[misc]


def test_update_and_compute_refuse_an_inconsistent_state(image_set):
    suite = seeded_suite()
    pairs = image_set.pairs
    state = suite.start(pairs, image_set.content, image_set.style)
    suite.update(state, pairs[:1], _batch(image_set, pairs[:1]))
    with pytest.raises(MetricComputationError) as twice:
        suite.update(state, pairs[:1], _batch(image_set, pairs[:1]))
    assert twice.value.code == "bad_state"
    with pytest.raises(MetricComputationError) as incomplete:
        suite.compute(state)
    assert incomplete.value.code == "bad_state" and "never scored" in incomplete.value.message
    with pytest.raises((ScoringError, InvalidOutput)) as wrong_size:
        suite.update(state, pairs[1:2], _batch(image_set, pairs[1:2])[:, :, :48, :])
    assert wrong_size.value.code == "wrong_size"
    with pytest.raises(MetricComputationError):
        suite.update(state, pairs[1:2], _batch(image_set, pairs[1:2]).float())
    # A batch refused for one of its pairs leaves the state as it was.
    with pytest.raises(MetricComputationError):
        suite.update(state, [pairs[1], pairs[0]], _batch(image_set, [pairs[1], pairs[0]]))
    assert state.missing() == [p.pair_id for p in pairs[1:]]
