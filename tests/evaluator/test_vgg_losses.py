"""Content and style loss against a straightforward per-pair implementation written here."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from metrics_support import make_image_set, seeded_suite


def _reference_vgg(suite) -> torch.nn.Module:
    # The plain torchvision network (default memory layout, one image at a time) with the
    # suite's weights: independent of the suite's batching, layout and target caching.
    net = torchvision.models.vgg19(weights=None).features[:30].eval()
    net.load_state_dict(suite.backbones.vgg.features.state_dict())
    return net


def _taps(net: torch.nn.Module, path) -> list[torch.Tensor]:
    array = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    x = torch.from_numpy(array).permute(2, 0, 1)[None]
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = (x - mean) / std
    out = []
    for index, layer in enumerate(net):
        x = layer(x)
        if index in (1, 6, 11, 20, 29):
            out.append(x.clone())
    return out


def _calc_mean_std(feat: torch.Tensor, eps: float = 1e-5):
    n, c = feat.shape[:2]
    var = feat.view(n, c, -1).var(dim=2) + eps
    return feat.view(n, c, -1).mean(dim=2).view(n, c, 1, 1), var.sqrt().view(n, c, 1, 1)


def _normal(feat: torch.Tensor) -> torch.Tensor:
    mean, std = _calc_mean_std(feat)
    return (feat - mean) / std


@pytest.fixture(scope="module")
def image_set(tmp_path_factory):
    return make_image_set(tmp_path_factory.mktemp("vgg"), n_content=2, n_style=2)


def test_content_and_style_loss_match_a_per_pair_reference(image_set):
    suite = seeded_suite()
    result = suite.score(image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    net = _reference_vgg(suite)
    mse = torch.nn.MSELoss()
    expected_content, expected_style = [], []
    with torch.no_grad():
        for pair in image_set.pairs:
            o = _taps(net, image_set.outputs / f"{pair.pair_id}.png")
            c = _taps(net, image_set.content / pair.content)
            s = _taps(net, image_set.style / pair.style)
            content = mse(_normal(o[3]), _normal(c[3])) + mse(_normal(o[4]), _normal(c[4]))
            style = sum(
                mse(_calc_mean_std(o[k])[0], _calc_mean_std(s[k])[0])
                + mse(_calc_mean_std(o[k])[1], _calc_mean_std(s[k])[1])
                for k in range(5)
            )
            got = result.per_pair[pair.pair_id]
            assert got["content_loss"] == pytest.approx(float(content), rel=1e-4)
            assert got["style_loss"] == pytest.approx(float(style), rel=1e-4)
            expected_content.append(float(content))
            expected_style.append(float(style))
    assert result.metrics["content_loss"] == pytest.approx(np.mean(expected_content), rel=1e-4)
    assert result.metrics["style_loss"] == pytest.approx(np.mean(expected_style), rel=1e-4)
    # The losses must separate things: an output is closer in content to its own content image.
    assert min(expected_content) > 0


def test_identical_images_have_zero_losses(tmp_path):
    image_set = make_image_set(tmp_path, n_content=2, n_style=2)
    # Outputs that are exactly their content image: zero content loss and zero LPIPS.
    for pair in image_set.pairs:
        (image_set.outputs / f"{pair.pair_id}.png").write_bytes((image_set.content / pair.content).read_bytes())
    result = seeded_suite().score(image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    for values in result.per_pair.values():
        assert values["content_loss"] == pytest.approx(0.0, abs=1e-6)
        assert values["lpips"] == pytest.approx(0.0, abs=1e-6)
        assert values["style_loss"] > 1e-3
