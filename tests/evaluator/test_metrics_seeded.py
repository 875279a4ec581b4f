"""Seeded backbones: the same bits whatever torch's thread count; a digest per backbone; pool3 scale."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from evaluator.metrics.backbones.seeded import SEED_SCHEME, state_digest

REPO = Path(__file__).resolve().parents[2]

# Builds every seeded backbone under the thread count given, then (on one thread, so that
# only the build can differ) computes features of a fixed input, and prints digests of both.
BUILD_AND_MEASURE = r"""
import hashlib, json, sys
import torch
torch.set_num_threads(int(sys.argv[1]))
from evaluator.metrics.backbones import load_backbones
nets = load_backbones(None, torch.device("cpu"))
threads_after_build = torch.get_num_threads()
torch.set_num_threads(1)
x = torch.rand(2, 3, 72, 96, generator=torch.Generator().manual_seed(0))
with torch.inference_mode():
    feats = [nets.inception(x), nets.art_inception(x)] + nets.vgg(x) + nets.lpips.features(x)
features = hashlib.sha256(b"".join(f.contiguous().numpy().tobytes() for f in feats)).hexdigest()
print(json.dumps({
    "digests": nets.digests,
    "weight_hashes": nets.weight_hashes,
    "threads_after_build": threads_after_build,
    "features": features,
}))
"""


def _build(threads: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", BUILD_AND_MEASURE, str(threads)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_seeded_backbones_are_bit_identical_on_one_and_two_threads():
    # Before the float64 single-thread build, the Inception's BN statistics differed by up to
    # 3e-4 relative between these two, so workers (1 thread while loading) missed the cache.
    runs = {threads: _build(threads) for threads in (1, 2)}
    reports = {}
    for threads, process in runs.items():
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        reports[threads] = json.loads(out.strip().splitlines()[-1])
    one, two = reports[1], reports[2]
    assert set(one["digests"]) == {"inception", "vgg19", "alexnet", "art_inception", "lpips_linear"}
    assert one["digests"] == two["digests"]
    assert one["weight_hashes"] == two["weight_hashes"]
    assert one["features"] == two["features"]
    # The build runs on one thread but gives the caller its thread count back.
    assert (one["threads_after_build"], two["threads_after_build"]) == (1, 2)
    for name in ("inception", "vgg19", "alexnet", "art_inception"):
        digest = one["digests"][name]
        assert len(digest) == 64 and one["weight_hashes"][name] == f"uncalibrated:{SEED_SCHEME}:{digest}"


def test_suite_reports_a_digest_per_backbone_file_or_seeded(metric_suite):
    from metrics_support import seeded_suite, seeded_weights

    from evaluator.weights import sha256_file

    seeded = metric_suite.backbone_digests()
    # A seeded network's digest is the hash of exactly the parameters it runs with.
    assert seeded["vgg19"] == state_digest(metric_suite.backbones.vgg.features.state_dict())
    assert seeded["alexnet"] == state_digest(metric_suite.backbones.lpips.trunk.state_dict())
    # A file's digest is the file's sha256; the seeded Inception file of the tests is not the seeded
    # default network (another seed), so the two digests differ.
    with_file = seeded_suite().backbone_digests()
    from metrics_support import ART_INCEPTION_FILE, INCEPTION_FILE

    weights_dir = seeded_weights().weights_dir
    assert with_file["inception"] == sha256_file(weights_dir / INCEPTION_FILE) != seeded["inception"]
    assert with_file["art_inception"] == sha256_file(weights_dir / ART_INCEPTION_FILE) != seeded["art_inception"]
    assert with_file["vgg19"] == seeded["vgg19"] and with_file["lpips_linear"] == seeded["lpips_linear"]
    assert metric_suite.weight_hashes["vgg19"].endswith(seeded["vgg19"])


def test_seeded_build_leaves_the_global_random_state_alone():
    from evaluator.metrics.backbones.lpips_alex import seeded_alexnet_trunk

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    seeded_alexnet_trunk(seed=5)
    assert torch.equal(torch.rand(3), expected)


def _demo_images(count: int) -> torch.Tensor:
    from arena.demo.builder import MAIN_HIDDEN, MAIN_PUBLIC, render_crop, render_style

    images = [render_crop(crop) for crop in MAIN_PUBLIC.content + MAIN_HIDDEN.content]
    images += [render_style(style).resize((128, 128)) for style in MAIN_PUBLIC.styles + MAIN_HIDDEN.styles]
    arrays = [np.asarray(image.convert("RGB"), dtype=np.float32) / 255 for image in images[:count]]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def test_seeded_pool3_has_the_scale_of_the_real_inception(metric_suite):
    # The real pool3 (post-ReLU spatial means) has means of about 0.3-0.5 and per-dimension
    # stds of about 0.2-0.5 on natural images; unscaled, the seeded network gave means near 12.
    with torch.inference_mode():
        feats = metric_suite.backbones.inception(_demo_images(24)).double().numpy()
    assert (feats >= 0).all()
    assert 0.3 <= feats.mean() <= 0.6
    assert 0.2 <= feats.std(axis=0).mean() <= 0.5


def test_seeded_art_inception_has_the_scale_of_the_real_pool3():
    # Measured at the demo photos' native 128 px (the published ArtFID does not resize).
    from evaluator.metrics.backbones.art_inception import ArtInception, seeded_art_inception

    net = ArtInception(seeded_art_inception(seed=2022))
    with torch.inference_mode():
        feats = net(_demo_images(24)).double().numpy()
    assert (feats >= 0).all()
    assert 0.25 <= feats.mean() <= 0.6
    assert 0.2 <= feats.std(axis=0).mean() <= 0.5


def test_seeded_build_follows_its_seed_only():
    from evaluator.metrics.backbones.lpips_alex import seeded_alexnet_trunk

    first = state_digest(seeded_alexnet_trunk(seed=3).state_dict())
    assert state_digest(seeded_alexnet_trunk(seed=3).state_dict()) == first
    assert state_digest(seeded_alexnet_trunk(seed=4).state_dict()) != first
