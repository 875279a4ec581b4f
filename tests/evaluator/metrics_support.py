"""Shared helpers for the metric tests: a small synthetic image set and one seeded suite.

Not a test module. Images are small (64 px content) so the whole metric suite stays within
its time budget on a 2-core machine; Inception still sees them at 299×299.
"""
from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from evaluator.metrics.suite import MetricSuite
from evaluator.metrics.io import Pair
from evaluator.metrics.backbones.art_inception import seeded_art_inception
from evaluator.metrics.backbones.inception import seeded_fid_inception
from evaluator.weights import Backbone, manifest_entry

INCEPTION_FILE = manifest_entry(Backbone.INCEPTION).filename
INCEPTION_TEST_SEED = 7
ART_INCEPTION_FILE = manifest_entry(Backbone.ART_INCEPTION).filename
ART_INCEPTION_TEST_SEED = 11
# One thread: on this shared 2-core machine, OpenMP's two threads wait on each other behind
# other people's processes and run several times slower than one thread.
TEST_THREADS = 1


@dataclass(frozen=True)
class ImageSet:
    """A folder in the image-set layout plus an outputs folder."""

    root: Path
    content: Path
    style: Path
    outputs: Path
    pairs_csv: Path
    pairs: list[Pair]


def _image(seed: int, width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray((rng.random((6, 6, 3)) * 255).astype(np.uint8))
    smooth = np.asarray(coarse.resize((width, height), Image.BICUBIC), dtype=np.float64)
    grain = rng.normal(0.0, 12.0 + 4.0 * (seed % 5), (height, width, 3))
    return Image.fromarray(np.clip(smooth + grain, 0, 255).astype(np.uint8))


def make_image_set(root: Path, n_content: int = 3, n_style: int = 3, side: int = 64, seed: int = 0) -> ImageSet:
    """Contents × styles pairs; each output blends its content with its (resized) style image."""
    content, style, outputs = root / "content", root / "style", root / "outputs"
    for folder in (content, style, outputs):
        folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_content):
        _image(seed * 1000 + i, side, side).save(content / f"c{i}.png")
    for j in range(n_style):
        # Style images deliberately have another size than the contents.
        _image(seed * 1000 + 500 + j, side + 16, side + 8).save(style / f"s{j}.png")
    pairs: list[Pair] = []
    lines = ["pair_id,content,style"]
    for i in range(n_content):
        for j in range(n_style):
            pair = Pair(f"p{i}-{j}", f"c{i}.png", f"s{j}.png")
            pairs.append(pair)
            lines.append(f"{pair.pair_id},{pair.content},{pair.style}")
            c = np.asarray(Image.open(content / pair.content), dtype=np.float64)
            s = np.asarray(Image.open(style / pair.style).resize((side, side), Image.BILINEAR), dtype=np.float64)
            mix = 0.3 + 0.1 * j
            Image.fromarray(((1 - mix) * c + mix * s).astype(np.uint8)).save(outputs / f"{pair.pair_id}.png")
    pairs_csv = root / "pairs.csv"
    pairs_csv.write_text("\n".join(lines) + "\n")
    return ImageSet(root, content, style, outputs, pairs_csv, pairs)


@dataclass(frozen=True)
class SeededWeights:
    """A weights folder holding a seeded Inception and a seeded art Inception under their
    manifest names, and a torch hub home holding the first where pytorch-fid looks for its
    download (the art-fid package is handed the second directly)."""

    weights_dir: Path
    torch_home: Path


@functools.lru_cache(maxsize=1)
def seeded_weights() -> SeededWeights:
    """Made once per test process (and removed at exit): every suite in the tests loads its
    Inception from this file, so pytorch-fid can be given exactly the same weights."""
    torch.set_num_threads(TEST_THREADS)
    root = Path(tempfile.mkdtemp(prefix="stylearena-test-weights-"))
    atexit.register(shutil.rmtree, root, True)
    weights_dir = root / "weights"
    weights_dir.mkdir()
    torch.save(seeded_fid_inception(seed=INCEPTION_TEST_SEED).state_dict(), weights_dir / INCEPTION_FILE)
    torch.save(seeded_art_inception(seed=ART_INCEPTION_TEST_SEED).state_dict(), weights_dir / ART_INCEPTION_FILE)
    checkpoints = root / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    os.link(weights_dir / INCEPTION_FILE, checkpoints / INCEPTION_FILE)
    return SeededWeights(weights_dir, root / "torch")


@functools.lru_cache(maxsize=2)
def seeded_suite(batch_size: int = 8) -> MetricSuite:
    """One suite per batch size for the whole test process (loading takes seconds): both
    Inceptions from the seeded files (used as given, so uncalibrated), VGG19 and AlexNet seeded."""
    return MetricSuite.load(seeded_weights().weights_dir, "cpu", batch_size=batch_size, threads=TEST_THREADS)


def lpips_package(suite: MetricSuite):
    """The ``lpips`` package's AlexNet LPIPS (v0.1) with the suite's trunk copied in: the reference
    the agreement tests compare against.

    ``pnet_rand=True``: the package must not try to download torchvision's AlexNet weights; the
    trunk is then loaded with exactly the suite's weights (seeded here).
    """
    import lpips

    model = lpips.LPIPS(pretrained=True, net="alex", version="0.1", pnet_rand=True, verbose=False)
    trunk = suite.backbones.lpips.trunk.state_dict()
    loaded = 0
    for slice_index in range(1, 6):
        for name, layer in getattr(model.net, f"slice{slice_index}").named_children():
            if isinstance(layer, torch.nn.Conv2d):
                layer.weight.data.copy_(trunk[f"{name}.weight"])
                layer.bias.data.copy_(trunk[f"{name}.bias"])
                loaded += 1
    assert loaded == 5, f"copied {loaded} of AlexNet's 5 convolutions into the lpips package"
    return model.eval()
