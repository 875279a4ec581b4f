"""ArtFID as published: the ``art-fid`` package's own functions on the same images and weights.

The package (0.0.2) is installed without its dependencies (it pins numpy<2; its code runs on
numpy 2). It downloads ``art_inception.pth`` and torchvision's AlexNet on first use; neither
can be downloaded here, so it is handed the same seeded files the suite loads: its
``utils.download`` returns our seeded art-Inception file, and its LPIPS module gets the
suite's AlexNet trunk (the linear layers are the lpips package's own in both).
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from evaluator.metrics.artfid import FID_INF_MIN, FID_INF_SEED, ESTIMATOR_FID, ESTIMATOR_FID_INF, art_fid, one_reference_per_output
from evaluator.metrics.io import Pair
from metrics_support import ART_INCEPTION_FILE, seeded_suite, seeded_weights

art_fid_pkg = pytest.importorskip("art_fid.art_fid", reason="the art-fid reference package is not installed")
RTOL = 1e-4
# The package calls scipy's sqrtm with its deprecated ``disp`` argument, and sqrtm warns that a
# covariance of fewer images than dimensions is singular (the suite turns warnings into errors):
# the package's own code, not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The `disp` argument is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Matrix is singular:scipy.linalg.LinAlgWarning"),
]


def _image(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    coarse = Image.fromarray((rng.random((5, 5, 3)) * 255).astype(np.uint8))
    smooth = np.asarray(coarse.resize((width, height), Image.BICUBIC), dtype=np.float64)
    grain = rng.normal(0.0, 14.0, (height, width, 3))
    return Image.fromarray(np.clip(smooth + grain, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Pairs with contents of three sizes (measured at native size), styles used unequally,
    outputs blending content and style."""
    root = tmp_path_factory.mktemp("artfid")
    rng = np.random.default_rng(5)
    dirs = {name: root / name for name in ("content", "style", "outputs", "tool_stylized", "tool_style", "tool_content")}
    for folder in dirs.values():
        folder.mkdir()
    sizes = [(96, 80), (112, 96), (96, 80), (120, 88)]
    for i, (w, h) in enumerate(sizes):
        _image(rng, w, h).save(dirs["content"] / f"c{i}.png")
    for j in range(3):
        _image(rng, 100 + 8 * j, 90).save(dirs["style"] / f"s{j}.png")
    # Style 0 is used by more pairs than the others: the package counts a style once per use.
    styles_of = {0: [0, 1, 2], 1: [0, 1], 2: [0, 2], 3: [0]}
    pairs = []
    for i, style_ids in styles_of.items():
        for j in style_ids:
            pair = Pair(f"p{i}-{j}", f"c{i}.png", f"s{j}.png")
            pairs.append(pair)
            content = Image.open(dirs["content"] / pair.content)
            style = Image.open(dirs["style"] / pair.style).convert("RGB").resize(content.size, Image.BILINEAR)
            mix = 0.25 + 0.15 * j
            out = (1 - mix) * np.asarray(content, dtype=np.float64) + mix * np.asarray(style, dtype=np.float64)
            Image.fromarray(out.astype(np.uint8)).save(dirs["outputs"] / f"{pair.pair_id}.png")
            # The package's layout: stylized and content matched by sorted name, one style image per output.
            shutil.copy(dirs["outputs"] / f"{pair.pair_id}.png", dirs["tool_stylized"] / f"{pair.pair_id}.png")
            shutil.copy(dirs["content"] / pair.content, dirs["tool_content"] / f"{pair.pair_id}.png")
            shutil.copy(dirs["style"] / pair.style, dirs["tool_style"] / f"{pair.pair_id}.png")
    return pairs, dirs


@pytest.fixture(scope="module")
def tool(monkeypatch_module):
    """The package, pointed at the suite's weights instead of its downloads."""
    import art_fid.image_metrics as image_metrics
    import art_fid.utils as utils
    import lpips

    suite = seeded_suite()
    art_file = str(seeded_weights().weights_dir / ART_INCEPTION_FILE)
    monkeypatch_module.setattr(utils, "download", lambda url, ckpt_dir=None: art_file)
    trunk = suite.backbones.lpips.trunk.state_dict()

    def lpips_with_suite_trunk(self):
        torch.nn.Module.__init__(self)
        self.dist = lpips.LPIPS(pretrained=True, net="alex", version="0.1", pnet_rand=True, verbose=False)
        for index in range(1, 6):
            for name, layer in getattr(self.dist.net, f"slice{index}").named_children():
                if isinstance(layer, torch.nn.Conv2d):
                    layer.weight.data.copy_(trunk[f"{name}.weight"])
                    layer.bias.data.copy_(trunk[f"{name}.bias"])

    monkeypatch_module.setattr(image_metrics.LPIPS, "__init__", lpips_with_suite_trunk)
    return art_fid_pkg


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_art_fid_matches_the_art_fid_package(images, tool):
    pairs, dirs = images
    result = seeded_suite().score(pairs, dirs["outputs"], dirs["content"], dirs["style"])
    kwargs = dict(batch_size=1, device="cpu", num_workers=0)
    # One call of each: the package's FID takes a scipy sqrtm of a 2048×2048 matrix (a minute
    # on this machine), so its FID is read back from ArtFID and the content distance.
    content = float(tool.compute_content_distance(str(dirs["tool_stylized"]), str(dirs["tool_content"]),
                                                  content_metric="lpips", **kwargs))
    value = tool.compute_art_fid(str(dirs["tool_stylized"]), str(dirs["tool_style"]), str(dirs["tool_content"]),
                                 mode="art_fid", content_metric="lpips", **kwargs)
    fid = value / (1.0 + content) - 1.0
    ours = result.art_fid
    # The agreement figures the notes report (pytest -s).
    print(f"art-fid agreement: FID {ours.fid:.6g} vs {fid:.6g} (rel {abs(ours.fid - fid) / fid:.1e}), content "
          f"{ours.content_distance:.6g} vs {content:.6g} (rel {abs(ours.content_distance - content) / content:.1e}), "
          f"ArtFID {ours.value:.6g} vs {value:.6g} (rel {abs(ours.value - value) / value:.1e})")
    assert ours.estimator == ESTIMATOR_FID and ours.n == len(pairs) and ours.n_distinct_references == 3
    assert ours.content_distance == pytest.approx(content, rel=RTOL)
    assert ours.fid == pytest.approx(fid, rel=RTOL)
    assert result.metrics["art_fid"] == pytest.approx(value, rel=RTOL)
    # Below 5,000 pairs the package's FID∞ subsets are all the whole set: its FID∞ is this FID
    # (shown on features in the next test, where the sqrtm is small).
    # Not the distinct-references variant: the same formula on another FID gives another number.
    assert result.metrics["art_fid_distinct"] == pytest.approx(
        (1 + result.metrics["lpips"]) * (1 + result.metrics["fid"]), rel=1e-12)
    assert abs(result.metrics["art_fid_distinct"] - result.metrics["art_fid"]) > 1e-3 * result.metrics["art_fid"]


def test_fid_infinity_matches_the_package_estimator(tool, monkeypatch):
    """FID∞ at N >= 5,000 on given features (the image path above covers the features): the
    package's ``compute_fid_infinity`` after ``np.random.seed`` equals our seeded estimator."""
    rng = np.random.default_rng(3)
    n, dim = FID_INF_MIN + 400, 24  # the estimator's logic does not depend on the dimension
    outputs = rng.normal(0.2, 1.0, (n, dim))
    references = rng.normal(0.0, 1.1, (n, dim))
    served = iter([outputs, references])
    monkeypatch.setattr(tool, "get_activations", lambda *args, **kwargs: next(served))
    monkeypatch.setattr(tool, "get_image_paths", lambda path, sort=False: [path] * n)
    np.random.seed(FID_INF_SEED)
    expected = tool.compute_fid_infinity("stylized", "style", batch_size=50, device="cpu")
    ours = art_fid(outputs, references, np.zeros(n), n_distinct_references=n)
    print(f"art-fid FID-infinity agreement at N={n}: {ours.fid:.8g} vs {expected:.8g} "
          f"(rel {abs(ours.fid - expected) / abs(expected):.1e})")
    assert ours.estimator == ESTIMATOR_FID_INF and ours.seed == FID_INF_SEED
    assert ours.fid == pytest.approx(expected, rel=RTOL)
    assert ours.value == pytest.approx(1.0 + expected, rel=RTOL)  # content distance 0 here
    # Below 5,000 the package's FID∞ is the plain FID of the whole set, which is what we report.
    small = 300
    served = iter([outputs[:small], references[:small]])
    monkeypatch.setattr(tool, "get_image_paths", lambda path, sort=False: [path] * small)
    expected_small = tool.compute_fid_infinity("stylized", "style", batch_size=50, device="cpu", num_points=3)
    plain = art_fid(outputs[:small], references[:small], np.zeros(small), n_distinct_references=small)
    assert plain.estimator == ESTIMATOR_FID and plain.seed is None
    assert plain.fid == pytest.approx(expected_small, rel=RTOL)


def test_one_reference_per_output_takes_each_styles_references_in_turn():
    pairs = [("b", "s1"), ("a", "s1"), ("c", "s1"), ("d", "s2")]
    rows = one_reference_per_output(pairs, {"s1": [4, 7], "s2": [9]})
    # In pair-id order a, b, c take 4, 7, 4; the result follows the input order.
    assert rows == (7, 4, 4, 9)


def test_held_out_references_feed_the_published_art_fid(tmp_path):
    """Under the held-out protocol the art side uses the references, not the conditioning image:
    a copy of the style image no longer has FID ≈ 0 against what it is compared with."""
    from metrics_support import make_image_set

    image_set = make_image_set(tmp_path, n_content=2, n_style=2, side=80)
    rng = np.random.default_rng(9)
    references = {}
    for pair in image_set.pairs:
        references.setdefault(pair.style, [])
    for style in references:
        for k in range(2):
            path = tmp_path / f"ref-{style}-{k}.png"
            _image(rng, 90, 84).save(path)
            references[style].append(path)
    suite = seeded_suite()
    held = suite.score(image_set.pairs, image_set.outputs, image_set.content, image_set.style, references=references)
    plain = suite.score(image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    assert held.art_fid.n_distinct_references == 4 and plain.art_fid.n_distinct_references == 2
    assert held.metrics["art_fid"] != pytest.approx(plain.metrics["art_fid"], rel=1e-3)
    assert held.art_fid.content_distance == pytest.approx(plain.art_fid.content_distance, rel=1e-12)
