"""KID against torch-fidelity's implementation on identical features, subset size and seed."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_fidelity.metric_kid import kid_features_to_metric

from evaluator.metrics.errors import ScoringError
from evaluator.metrics.kid import adaptive_subset_size, kernel_inception_distance
from metrics_support import make_image_set, seeded_suite


def _torch_fidelity_kid(a: np.ndarray, b: np.ndarray, subset_size: int, subsets: int = 100) -> tuple[float, float]:
    out = kid_features_to_metric(
        torch.from_numpy(a), torch.from_numpy(b),
        kid_subsets=subsets, kid_subset_size=subset_size, rng_seed=2020, verbose=False,
    )  # fmt: skip
    return out["kernel_inception_distance_mean"], out["kernel_inception_distance_std"]


@pytest.mark.parametrize(("n1", "n2", "size"), [(30, 12, None), (40, 40, 25), (8, 50, None)])
def test_kid_equals_torch_fidelity_on_random_features(n1, n2, size):
    rng = np.random.default_rng(n1 + n2)
    a = np.abs(rng.normal(size=(n1, 64)))
    b = np.abs(rng.normal(loc=0.2, size=(n2, 64)))
    ours = kernel_inception_distance(a, b, subset_size=size)
    assert ours.subset_size == (size or min(n1, n2))
    mean, std = _torch_fidelity_kid(a, b, ours.subset_size)
    assert ours.mean == pytest.approx(mean, rel=1e-9, abs=1e-12)
    assert ours.std == pytest.approx(std, rel=1e-9, abs=1e-12)


def test_kid_of_the_suite_equals_torch_fidelity_on_inception_features(tmp_path):
    image_set = make_image_set(tmp_path, n_content=2, n_style=3)
    suite = seeded_suite()
    result = suite.score(image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    ref = suite.reference_stats(image_set.pairs, image_set.content, image_set.style)
    with torch.inference_mode():
        from evaluator.metrics import io

        outputs = torch.stack([io.decode_output(image_set.outputs / f"{p.pair_id}.png", (64, 64)) for p in image_set.pairs])
        feats = suite.backbones.inception(outputs.float().div(255)).double().numpy()
    mean, std = _torch_fidelity_kid(feats, np.asarray(ref.style_inception), result.kid.subset_size)
    assert result.kid.subset_size == 3  # min(6 outputs, 3 styles)
    assert result.metrics["kid"] == result.kid.mean == pytest.approx(mean, rel=1e-6)
    assert result.kid.std == pytest.approx(std, rel=1e-6, abs=1e-9)
    assert not result.kid.reliable  # 3 reference images: far fewer than a subset of 1000 needs


def test_kid_equals_torch_fidelity_at_its_default_subset_size_and_is_reliable_there():
    rng = np.random.default_rng(5)
    a = np.abs(rng.normal(size=(1100, 32))).astype(np.float32)  # float32, as features usually are
    b = np.abs(rng.normal(loc=0.1, size=(1000, 32)))
    ours = kernel_inception_distance(a, b, subsets=5)
    assert ours.subset_size == 1000 and ours.reliable
    out = kid_features_to_metric(
        torch.from_numpy(a.astype(np.float64)), torch.from_numpy(b),
        kid_subsets=5, kid_subset_size=1000, rng_seed=2020, verbose=False,
    )  # fmt: skip
    assert ours.mean == pytest.approx(out["kernel_inception_distance_mean"], rel=1e-9, abs=1e-12)
    assert ours.std == pytest.approx(out["kernel_inception_distance_std"], rel=1e-9, abs=1e-12)


def test_kid_of_small_sets_is_flagged_unreliable():
    rng = np.random.default_rng(6)
    a, b = np.abs(rng.normal(size=(999, 8))), np.abs(rng.normal(size=(2000, 8)))
    small = kernel_inception_distance(a, b, subsets=3)
    assert small.subset_size == 999 and not small.reliable
    assert not kernel_inception_distance(a[:12], b[:4]).reliable
    assert kernel_inception_distance(b, b[::-1], subsets=2).reliable


def test_kid_memory_is_bounded_by_the_subset_not_the_set():
    # Full N×N kernels at N = 4000 would take 3 × 128 MB; subset kernels take 3 × 8 MB.
    import tracemalloc

    rng = np.random.default_rng(7)
    a = np.abs(rng.normal(size=(4000, 16)))
    b = np.abs(rng.normal(size=(4000, 16)))
    tracemalloc.start()
    try:
        kernel_inception_distance(a, b, subsets=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"KID allocated {peak / 2**20:.0f} MiB"


def test_kid_adapts_and_refuses_too_small_sets():
    assert adaptive_subset_size(5000, 3000) == 1000
    assert adaptive_subset_size(200, 10) == 10
    with pytest.raises(ScoringError) as excinfo:
        kernel_inception_distance(np.ones((1, 4)), np.ones((5, 4)))
    assert excinfo.value.code == "too_few_images"
