"""The VGG/LPIPS resolution policy at its edges: very wide and very tall images."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from evaluator.metrics.io import MIN_SIDE, Pair
from evaluator.metrics.resolution import MAX_METRIC_SIDE, metric_size
from metrics_support import lpips_package, seeded_suite


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((256, 384), (256, 384)),  # native
        ((600, 800), (384, 512)),  # longer side capped at 512, aspect kept
        ((32, 1024), (32, 1024)),  # 32:1 — capping would leave a 16 px side: kept at 32
        ((1024, 32), (1024, 32)),
        ((4096, 200), (655, 32)),  # capped as far as the 32 px short side allows
    ],
)
def test_metric_size_caps_the_long_side_but_never_the_short_side_below_32(size, expected):
    got = metric_size(*size)
    assert got == expected
    assert min(got) >= MIN_SIDE
    if min(size) * MAX_METRIC_SIDE / max(size) >= MIN_SIDE:
        assert max(got) <= MAX_METRIC_SIDE



def _load(path) -> torch.Tensor:
    array = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255
    return torch.from_numpy(array).permute(2, 0, 1)[None]


def test_wide_and_tall_content_images_are_scored(tmp_path):
    # 1024x32 and 32x1024 used to be downscaled to 512x16, which AlexNet cannot take (crash)
    # and where VGG's relu5_1 has a single row (NaN std).
    rng = np.random.default_rng(0)
    folders = {name: tmp_path / name for name in ("content", "style", "outputs")}
    for folder in folders.values():
        folder.mkdir()
    for name, (width, height) in {"wide.png": (1024, 32), "tall.png": (32, 1024)}.items():
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(folders["content"] / name)
    for name in ("s0.png", "s1.png"):
        Image.fromarray(rng.integers(0, 256, (80, 96, 3), dtype=np.uint8)).save(folders["style"] / name)
    pairs = [Pair(f"{c}-{s}", f"{c}.png", f"{s}.png") for c in ("wide", "tall") for s in ("s0", "s1")]
    for pair in pairs:
        content = np.asarray(Image.open(folders["content"] / pair.content), dtype=np.float64)
        Image.fromarray((0.7 * content + 30 * (pair.style == "s1.png")).clip(0, 255).astype(np.uint8)).save(
            folders["outputs"] / f"{pair.pair_id}.png"
        )
    suite = seeded_suite()
    result = suite.score(pairs, folders["outputs"], folders["content"], folders["style"])
    assert all(math.isfinite(value) for value in result.metrics.values())
    reference = lpips_package(suite)
    with torch.no_grad():
        for pair in pairs:
            values = result.per_pair[pair.pair_id]
            assert all(math.isfinite(value) for value in values.values())
            expected = float(reference(_load(folders["outputs"] / f"{pair.pair_id}.png"),
                                       _load(folders["content"] / pair.content), normalize=True).reshape(()))  # fmt: skip
            assert values["lpips"] == pytest.approx(expected, abs=1e-6) and expected > 1e-3
