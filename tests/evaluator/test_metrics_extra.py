"""The optional metrics (issue 13) against independent implementations on identical inputs.

Each reference reads the image files itself (PIL → numpy), and is either another package
(pytorch-msssim for SSIM/MS-SSIM, the ``lpips`` package for grey LPIPS) or a straightforward
version written here from the paper's formula (HistoGAN's histogram in numpy, Gatys's Gram
loss and StyleID's CFSD on a plain torchvision VGG19 holding the suite's weights).
"""
from __future__ import annotations

import math
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

from evaluator.metrics import extra
from evaluator.metrics.optional import add_optional_metrics, compute_optional
from evaluator.metrics.optional_catalog import OPTIONAL_METRICS, WEIGHT_FREE
from evaluator.statistics.replicates import bootstrap
from metrics_support import lpips_package, make_image_set, seeded_suite

pytorch_msssim = pytest.importorskip("pytorch_msssim")

VGG_TAPS = (1, 6, 11, 20, 29)  # relu1_1 … relu5_1 in torchvision's vgg19.features
RELU3_1 = 11


def _load(path) -> torch.Tensor:
    array = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1)[None]


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """2 contents × 2 styles at 64 px, every optional metric through the suite's wiring."""
    image_set = make_image_set(tmp_path_factory.mktemp("extra"), n_content=2, n_style=2)
    suite = seeded_suite()
    state = suite.collect(image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    # Diversity's repeat pass: another set's outputs under the same names and sizes (test_diversity.py
    # checks its values against the lpips package).
    repeat = make_image_set(tmp_path_factory.mktemp("extra-repeat"), n_content=2, n_style=2, seed=1).outputs
    result = add_optional_metrics(suite, state, suite.compute(state), list(OPTIONAL_METRICS),
                                  image_set.outputs, image_set.style, repeat_dir=repeat)
    return image_set, suite, state, result


def _each(image_set):
    for pair in image_set.pairs:
        yield pair, _load(image_set.outputs / f"{pair.pair_id}.png"), _load(image_set.content / pair.content), \
            _load(image_set.style / pair.style)


def test_ssim_and_ms_ssim_agree_with_pytorch_msssim(scored):
    image_set, _, _, result = scored
    for pair, out, content, _ in _each(image_set):
        got = result.per_pair[pair.pair_id]
        assert got["ssim"] == pytest.approx(float(pytorch_msssim.ssim(out, content, data_range=1.0)), abs=1e-5)
        # 64 px is below MS-SSIM's 161 px: both images are upscaled alike (bilinear, short side 161).
        side = 161
        size = (math.ceil(out.shape[2] * side / min(out.shape[2:])), math.ceil(out.shape[3] * side / min(out.shape[2:])))
        up = [F.interpolate(x, size=size, mode="bilinear", align_corners=False) for x in (out, content)]
        expected = float(pytorch_msssim.ms_ssim(*up, data_range=1.0))
        assert got["ms_ssim"] == pytest.approx(expected, abs=1e-5)
        assert 0.0 < got["ssim"] < 0.999  # outputs blend in the style image: similar, not equal
    assert result.metrics["ssim"] == pytest.approx(np.mean([v["ssim"] for v in result.per_pair.values()]))


@pytest.mark.parametrize("side", [161, 200, 256])
def test_ms_ssim_at_native_size_agrees_with_pytorch_msssim(side):
    rng = torch.Generator().manual_seed(side)
    a = F.interpolate(torch.rand(2, 3, 12, 12, generator=rng), size=(side, side + 9), mode="bilinear")
    b = (0.6 * a + 0.4 * torch.rand(a.shape, generator=rng)).clamp(0, 1)
    expected = pytorch_msssim.ms_ssim(a, b, data_range=1.0, size_average=False)
    assert torch.allclose(extra.ms_ssim(a, b), expected, atol=1e-5)
    assert torch.allclose(extra.ssim(a, b), pytorch_msssim.ssim(a, b, data_range=1.0, size_average=False), atol=1e-5)
    assert extra.ms_ssim(a, a) == pytest.approx([1.0, 1.0], abs=1e-5)


def _histogram_numpy(image: np.ndarray, bins: int = 64, sigma: float = 0.02, eps: float = 1e-6) -> np.ndarray:
    """HistoGAN Eq. 2-3 written out: for each primary c, a (u, v) = log-ratio histogram, kernel-weighted."""
    pixels = image.reshape(-1, 3).astype(np.float64)
    intensity = np.sqrt((pixels ** 2).sum(axis=1) + eps)
    centres = np.linspace(-3, 3, bins)
    hist = np.zeros((3, bins, bins))
    for c in range(3):
        others = [k for k in range(3) if k != c]
        u = np.log(pixels[:, c] + eps) - np.log(pixels[:, others[0]] + eps)
        v = np.log(pixels[:, c] + eps) - np.log(pixels[:, others[1]] + eps)
        ku = 1.0 / (1.0 + ((u[:, None] - centres[None, :]) / sigma) ** 2)
        kv = 1.0 / (1.0 + ((v[:, None] - centres[None, :]) / sigma) ** 2)
        hist[c] = np.einsum("p,pi,pj->ij", intensity, ku, kv)
    return hist / (hist.sum() + eps)


def _hellinger(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(((np.sqrt(a) - np.sqrt(b)) ** 2).sum()) / np.sqrt(2.0))


def test_colour_histogram_agrees_with_a_numpy_histogan(scored):
    image_set, _, _, result = scored
    values = []
    for pair, out, _, style in _each(image_set):
        expected = _hellinger(_histogram_numpy(out[0].permute(1, 2, 0).numpy()),
                              _histogram_numpy(style[0].permute(1, 2, 0).numpy()))
        assert result.per_pair[pair.pair_id]["colour_hist"] == pytest.approx(expected, rel=1e-6)
        values.append(expected)
    assert min(values) > 0.01  # outputs are part content: their colours differ from the style's


def test_colour_histogram_resizes_large_images_to_256_as_histogan_does():
    rng = np.random.default_rng(3)
    image = torch.from_numpy(rng.random((1, 3, 300, 270))).float()
    resized = F.interpolate(image, size=(256, 256), mode="bilinear", align_corners=False)
    expected = _histogram_numpy(resized[0].permute(1, 2, 0).numpy())
    got = extra.rgb_uv_histogram(image)[0].numpy()
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-12) and got.sum() == pytest.approx(1.0, abs=1e-5)
    assert float(extra.histogram_distance(extra.rgb_uv_histogram(image), extra.rgb_uv_histogram(image))[0]) == 0.0


def _reference_vgg(suite) -> torch.nn.Module:
    # The plain torchvision network, default layout, one image at a time, with the suite's weights.
    net = torchvision.models.vgg19(weights=None).features[:30].eval()
    net.load_state_dict(suite.backbones.vgg.features.state_dict())
    return net


def _vgg_taps(net, x: torch.Tensor) -> dict[int, torch.Tensor]:
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = (x - mean) / std
    taps = {}
    for index, layer in enumerate(net):
        x = layer(x)
        if index in VGG_TAPS:
            taps[index] = x.clone()
    return taps


def _gram_numpy(feat: torch.Tensor) -> np.ndarray:
    f = feat[0].double().numpy()
    c, h, w = f.shape
    flat = f.reshape(c, h * w)
    return flat @ flat.T / (c * h * w)


def _patch_kl(out_feat: torch.Tensor, content_feat: torch.Tensor) -> float:
    """StyleID's CFSD written from its definition: KL(softmax(S_content) ‖ softmax(S_output)) summed over rows."""
    def similarity(feat):
        c = feat.shape[1]
        flat = feat[0].double().reshape(c, -1).T / c  # [HW, C]
        return flat @ flat.T
    log_p_out = torch.log_softmax(similarity(out_feat), dim=-1)
    p_content = torch.softmax(similarity(content_feat), dim=-1)
    return float(F.kl_div(log_p_out[None], p_content[None], reduction="batchmean"))


def test_gram_loss_and_cfsd_agree_with_a_plain_vgg(scored):
    image_set, suite, _, result = scored
    net = _reference_vgg(suite)
    with torch.no_grad():
        for pair, out, content, style in _each(image_set):
            o, c, s = _vgg_taps(net, out), _vgg_taps(net, content), _vgg_taps(net, style)
            gram = sum(float(np.mean((_gram_numpy(o[k]) - _gram_numpy(s[k])) ** 2)) for k in VGG_TAPS)
            got = result.per_pair[pair.pair_id]
            assert got["gram_loss"] == pytest.approx(gram, rel=1e-3)
            assert got["cfsd"] == pytest.approx(_patch_kl(o[RELU3_1], c[RELU3_1]), rel=1e-3, abs=1e-9)
            assert got["gram_loss"] > 0 and got["cfsd"] > 0


def test_cfsd_row_blocks_do_not_change_the_value():
    rng = torch.Generator().manual_seed(5)
    a, b = torch.rand(2, 8, 9, 11, generator=rng), torch.rand(2, 8, 9, 11, generator=rng)
    assert torch.allclose(extra.cfsd(a, b, block_rows=7), extra.cfsd(a, b), rtol=1e-6)
    assert float(extra.cfsd(a, a).abs().max()) < 1e-9



def _grey(path) -> torch.Tensor:
    # StyleID: torchvision's Grayscale() on the PIL image (convert("L")), then ToTensor: one channel.
    array = np.asarray(Image.open(path).convert("RGB").convert("L"), dtype=np.float32) / 255.0
    return torch.from_numpy(array)[None, None]


def test_grey_lpips_agrees_with_the_lpips_package_on_pil_greyscale(scored):
    image_set, suite, _, result = scored
    reference = lpips_package(suite)
    with torch.no_grad():
        for pair in image_set.pairs:
            out, content = _grey(image_set.outputs / f"{pair.pair_id}.png"), _grey(image_set.content / pair.content)
            # A one-channel image broadcasts over the package's per-channel scaling, as in StyleID.
            expected = float(reference(out, content, normalize=True).reshape(()))
            assert result.per_pair[pair.pair_id]["lpips_grey"] == pytest.approx(expected, abs=1e-6)
            assert result.per_pair[pair.pair_id]["lpips_grey"] != pytest.approx(result.per_pair[pair.pair_id]["lpips"])


def test_weight_free_metrics_use_no_network(scored):
    """SSIM, MS-SSIM and the histogram computed with no backbones at all give the same numbers:
    they cannot depend on the (seeded or verified) weights, so they are calibrated by construction."""
    image_set, suite, state, result = scored
    no_networks = types.SimpleNamespace(backbones=None, runtime=suite.runtime, _grouped=suite._grouped)
    values = compute_optional(no_networks, state, sorted(WEIGHT_FREE), image_set.outputs, image_set.style)
    for pair in image_set.pairs:
        for name in WEIGHT_FREE:
            assert values[pair.pair_id][name] == result.per_pair[pair.pair_id][name]


def test_optional_metrics_get_intervals_and_versions(scored):
    _, _, state, result = scored
    drawn = bootstrap(state, sorted(result.metrics), resamples=200)
    for name in OPTIONAL_METRICS:
        assert result.metric_versions[name] == OPTIONAL_METRICS[name].version
        replicates = drawn.replicates[name]
        assert replicates.shape == (200,) and np.std(replicates) > 0
        assert replicates.min() <= result.metrics[name] <= replicates.max()
    # The catalog's metrics are untouched by adding the optional ones.
    assert {"fid", "kid", "lpips", "art_fid"} <= set(result.metrics)
