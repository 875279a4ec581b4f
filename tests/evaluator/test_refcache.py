"""Reference-statistics cache: bit-identical scores, keys that follow data and weights; determinism."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from evaluator.metrics.errors import MetricComputationError
from evaluator.metrics.suite import MetricSuite
from evaluator.metrics.refcache import cache_key
from evaluator.metrics.runtime import configure_runtime
from metrics_support import make_image_set, seeded_suite


def _numbers(result) -> tuple:
    return result.metrics, result.per_pair, result.kid


@pytest.fixture(scope="module")
def image_set(tmp_path_factory):
    return make_image_set(tmp_path_factory.mktemp("cache"), n_content=2, n_style=2)


def test_cached_statistics_give_bit_identical_scores(image_set, tmp_path):
    suite = seeded_suite()
    args = (image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    uncached = suite.score(*args)
    first = suite.score(*args, cache_dir=tmp_path / "cache")
    second = suite.score(*args, cache_dir=tmp_path / "cache")
    assert (uncached.cache_hit, first.cache_hit, second.cache_hit) == (False, False, True)
    # Exact equality, not approx: the cache must not perturb a single bit.
    assert _numbers(uncached) == _numbers(first) == _numbers(second)
    entries = [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1 and (entries[0] / "meta.json").is_file()


def test_damaged_cache_entry_is_recomputed(image_set, tmp_path):
    suite = seeded_suite()
    args = (image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    good = suite.score(*args, cache_dir=tmp_path)
    key = suite.reference_key(image_set.pairs, image_set.content, image_set.style)
    (tmp_path / key / "style_inception.npy").write_bytes(b"not an array")
    again = suite.score(*args, cache_dir=tmp_path)
    assert not again.cache_hit and _numbers(again) == _numbers(good)
    assert suite.score(*args, cache_dir=tmp_path).cache_hit


def test_cache_key_follows_dataset_and_weights(image_set, tmp_path):
    suite = seeded_suite()
    pairs = image_set.pairs
    base = suite.reference_key(pairs, image_set.content, image_set.style)
    assert base == suite.reference_key(pairs, image_set.content, image_set.style)
    assert suite.reference_key(pairs, image_set.content, image_set.style, dataset_key="v1") != base
    assert suite.reference_key(pairs, image_set.content, image_set.style, dataset_key="v1") != (
        suite.reference_key(pairs, image_set.content, image_set.style, dataset_key="v2")
    )
    # Changing one pixel of one style image changes the key.
    changed = make_image_set(tmp_path, n_content=2, n_style=2)
    image = np.asarray(Image.open(changed.style / "s1.png")).copy()
    image[0, 0, 0] ^= 1
    Image.fromarray(image).save(changed.style / "s1.png")
    assert suite.reference_key(pairs, changed.content, changed.style) != base
    # Other weights or another metric version: another key.
    hashes = suite.backbones.weight_hashes
    versions = {"fid": "1"}
    names = ([p.content for p in pairs], [p.style for p in pairs])
    key = cache_key("d", hashes, versions, *names)
    assert cache_key("d", {**hashes, "vgg19": "0" * 64}, versions, *names) != key
    assert cache_key("d", hashes, {"fid": "2"}, *names) != key


def test_scores_are_deterministic_and_batch_size_does_not_change_them(image_set):
    suite = seeded_suite()
    args = (image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    once, twice = suite.score(*args), suite.score(*args)
    assert _numbers(once) == _numbers(twice)
    assert once.deterministic and once.device == "cpu"
    one_by_one = MetricSuite(suite.backbones, suite.runtime, batch_size=1).score(*args)
    for pair_id, values in once.per_pair.items():
        for name, value in values.items():
            assert one_by_one.per_pair[pair_id][name] == pytest.approx(value, rel=1e-5, abs=1e-7)
    assert one_by_one.metrics["fid"] == pytest.approx(once.metrics["fid"], rel=1e-5)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(MetricComputationError) as excinfo:
        configure_runtime("cuda")
    assert excinfo.value.code == "no_device"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (none on the CI machines)")
def test_gpu_scoring_is_deterministic_and_says_so(image_set):  # pragma: no cover - GPU only
    suite = MetricSuite.load(None, "cuda")
    args = (image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    once, twice = suite.score(*args), suite.score(*args)
    assert _numbers(once) == _numbers(twice)
    assert once.device.startswith("cuda") and once.deterministic
    assert not torch.backends.cudnn.benchmark and not torch.backends.cuda.matmul.allow_tf32
    assert not torch.backends.cudnn.allow_tf32 and torch.are_deterministic_algorithms_enabled()
