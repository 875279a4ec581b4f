"""FID: the fast exact trace, its loud check, and agreement with pytorch-fid on identical weights."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import linalg

from evaluator.metrics.errors import FrechetDistanceError, ScoringError
from evaluator.metrics.fid import (
    fid_from_features,
    frechet_distance,
    summarize,
    trace_sqrt_product,
    trace_sqrt_product_eig,
    verify_trace,
)
from metrics_support import make_image_set, seeded_suite, seeded_weights

# pytorch-fid calls scipy's sqrtm with an argument newer SciPy deprecates (third-party).
scipy_disp_deprecated = pytest.mark.filterwarnings(
    "ignore:The `disp` argument is deprecated:DeprecationWarning"
)


def _features(seed: int, n: int, d: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) / math.sqrt(d)
    return np.abs(rng.normal(size=(n, d)) @ mixing + shift)


@pytest.mark.parametrize(("n1", "n2", "d"), [(12, 7, 40), (90, 60, 24), (5, 30, 64)])
def test_fast_trace_equals_trace_of_sqrtm(n1, n2, d):
    a, b = _features(1, n1, d), _features(2, n2, d, shift=0.3)
    expected = np.trace(linalg.sqrtm(np.cov(a, rowvar=False) @ np.cov(b, rowvar=False))).real
    got = trace_sqrt_product(summarize(a), summarize(b))
    assert got == pytest.approx(expected, rel=1e-6)


@scipy_disp_deprecated
def test_fid_equals_pytorch_fid_formula_on_small_features():
    from pytorch_fid.fid_score import calculate_frechet_distance

    a, b = _features(3, 50, 32), _features(4, 40, 32, shift=0.2)
    expected = calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    assert fid_from_features(a, b) == pytest.approx(expected, rel=1e-6)
    # A set against itself is at distance zero (up to rounding of the traces).
    same = summarize(a)
    assert abs(frechet_distance(same, same)) < 1e-9 * same.trace


def test_fid_of_identical_sets_is_never_negative():
    # Rounding leaves the raw formula a few ulps either side of zero for a set against itself;
    # a distance must not print as -7e-15. Some of these seeds go negative before the clamp.
    went_negative = 0
    for seed in range(20):
        same = summarize(_features(seed, 50, 64))
        raw = 2 * same.trace - 2 * trace_sqrt_product(same, same)  # the formula, the mean term being 0
        went_negative += raw < 0
        value = frechet_distance(same, same)
        assert value == (0.0 if raw < 0 else raw) and value >= 0.0
    assert went_negative > 0


def test_a_clearly_negative_distance_is_a_numerics_error(monkeypatch):
    import evaluator.metrics.fid as fid_module

    a = summarize(_features(9, 30, 16))
    # A trace term that passes the check but makes the distance clearly negative.
    monkeypatch.setattr(fid_module, "verify_trace", lambda fast, a, b, rtol: fast)
    monkeypatch.setattr(fid_module, "trace_sqrt_product", lambda a, b: 2 * a.trace)
    with pytest.raises(FrechetDistanceError) as excinfo:
        fid_module.frechet_distance(a, a)
    assert "negative" in excinfo.value.message


def test_fast_trace_agrees_with_eigen_check_at_full_dimension():
    a, b = summarize(_features(5, 40, 2048)), summarize(_features(6, 9, 2048, shift=0.1))
    fast, eig = trace_sqrt_product(a, b), trace_sqrt_product_eig(a, b)
    assert abs(fast - eig) <= 1e-6 * abs(eig)
    assert verify_trace(fast, a, b) == pytest.approx(fast, rel=1e-6)


def test_trace_check_fails_loudly():
    a, b = summarize(_features(7, 20, 64)), summarize(_features(8, 15, 64))
    fast = trace_sqrt_product(a, b)
    with pytest.raises(FrechetDistanceError) as excinfo:
        verify_trace(fast * (1 + 1e-4), a, b)
    assert excinfo.value.code == "fid_numerics" and "trace check failed" in excinfo.value.message
    with pytest.raises(FrechetDistanceError):
        verify_trace(float("nan"), a, b)
    with pytest.raises(FrechetDistanceError):
        summarize(np.full((4, 8), np.nan))
    with pytest.raises(ScoringError) as too_few:
        summarize(np.ones((1, 8)))
    assert too_few.value.code == "too_few_images"


@pytest.fixture(scope="module")
def image_set(tmp_path_factory):
    return make_image_set(tmp_path_factory.mktemp("fid"), n_content=3, n_style=3)


def _pytorch_fid_activations(folder: Path) -> np.ndarray:
    from pytorch_fid.fid_score import IMAGE_EXTENSIONS, get_activations
    from pytorch_fid.inception import InceptionV3

    files = sorted(file for ext in IMAGE_EXTENSIONS for file in folder.glob(f"*.{ext}"))
    model = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    return get_activations(files, model, batch_size=len(files), dims=2048, device="cpu", num_workers=0)


@scipy_disp_deprecated
def test_fid_matches_pytorch_fid_on_the_same_weights_file(image_set, monkeypatch):
    from pytorch_fid.fid_score import calculate_frechet_distance

    # pytorch-fid "downloads" its weights through torch.hub: point the hub at our seeded file.
    monkeypatch.setenv("TORCH_HOME", str(seeded_weights().torch_home))
    acts_out = _pytorch_fid_activations(image_set.outputs)
    acts_style = _pytorch_fid_activations(image_set.style)

    suite = seeded_suite()
    # The file is used as given, but its hash is not the pinned one: uncalibrated.
    assert suite.backbones.info[0].source == "file" and not suite.calibrated
    result = suite.score(image_set.pairs, image_set.outputs, image_set.content, image_set.style)

    # pytorch-fid's own distance on its own statistics, in the span of the centred features
    # and the mean difference: an exact rotation of the 2048-d problem (FID is invariant to
    # it), so scipy's sqrtm runs in well under a second instead of a minute.
    m1, m2 = acts_out.mean(0), acts_style.mean(0)
    basis, _ = np.linalg.qr(np.vstack([acts_out - m1, acts_style - m2, (m1 - m2)[None]]).T)
    p1, p2 = acts_out @ basis, acts_style @ basis
    expected = calculate_frechet_distance(p1.mean(0), np.cov(p1, rowvar=False), p2.mean(0), np.cov(p2, rowvar=False))
    assert result.metrics["fid"] == pytest.approx(expected, rel=1e-4)
    assert result.n == 9 and result.n_styles == 3


@pytest.mark.slow
@scipy_disp_deprecated
# sqrtm of a rank-deficient 2048×2048 product warns; that is pytorch-fid's own behaviour.
@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_fid_matches_pytorch_fid_end_to_end(image_set, monkeypatch):
    """pytorch-fid's full command path (2048×2048 sqrtm: about a minute here)."""
    from pytorch_fid.fid_score import calculate_fid_given_paths

    monkeypatch.setenv("TORCH_HOME", str(seeded_weights().torch_home))
    expected = calculate_fid_given_paths(
        [str(image_set.outputs), str(image_set.style)], batch_size=50, device="cpu", dims=2048, num_workers=0
    )
    result = seeded_suite().score(image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    assert result.metrics["fid"] == pytest.approx(expected, rel=1e-4)
