"""LPIPS against the ``lpips`` package's own module, loaded with the same trunk and linear weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from metrics_support import lpips_package, make_image_set, seeded_suite



def _load(path) -> torch.Tensor:
    array = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1)[None]


def test_lpips_equals_the_lpips_package(tmp_path):
    image_set = make_image_set(tmp_path, n_content=2, n_style=2, side=96)
    suite = seeded_suite()
    result = suite.score(image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    reference = lpips_package(suite)
    values = []
    with torch.no_grad():
        for pair in image_set.pairs:
            out = _load(image_set.outputs / f"{pair.pair_id}.png")
            content = _load(image_set.content / pair.content)
            expected = float(reference(out, content, normalize=True).reshape(()))
            assert result.per_pair[pair.pair_id]["lpips"] == pytest.approx(expected, abs=1e-6)
            values.append(expected)
    assert result.metrics["lpips"] == pytest.approx(float(np.mean(values)), abs=1e-6)
    assert min(values) > 1e-3  # the outputs differ from their contents, and LPIPS sees it
    art_fid = (1 + result.metrics["lpips"]) * (1 + result.metrics["fid"])
    assert result.metrics["art_fid_distinct"] == pytest.approx(art_fid, rel=1e-12)
    # Below the 512-px cap the published ArtFID's native-size LPIPS is the same measurement.
    assert result.art_fid.content_distance == pytest.approx(result.metrics["lpips"], rel=1e-12)
