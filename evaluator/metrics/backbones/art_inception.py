"""The Inception of ArtFID as published (Wright & Ommer; the ``art-fid`` package, 0.0.2).

The package's ``inception.Inception3`` is torchvision's Inception3 with two classifier heads
(fine-tuned on art), so its trunk has torchvision's blocks and parameter names, and
``art_inception.pth`` loads into ``torchvision.models.inception_v3``'s trunk unchanged. Its
features are what the package's ``get_activations`` computes: ``ToTensor`` images (``[0,1]``,
no normalisation, ``transform_input=False``) at **native resolution** — no resize to 299 —
through the trunk, then the global average pool (2048-d). The classifier heads do not touch
the features and are not loaded.

One deviation, forced: the trunk needs at least 75 px a side, while StyleArena accepts images
from 32 px; a smaller image is upscaled (bilinear, aspect kept) until its short side is 75
(the package would crash on it). Inference folds each conv+BatchNorm pair, as the FID
Inception does (float32 rounding only).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torchvision.models import inception as tv_inception

from evaluator.metrics.backbones.inception import fold_batchnorms, scale_block_outputs_
from evaluator.metrics.backbones.seeded import (
    CALIBRATION_DTYPE,
    build_context,
    calibrate_batchnorm_,
    calibration_images,
    he_init_,
)

# The least side Inception3's trunk accepts (torchvision's documented minimum).
MIN_SIDE = 75
# Smaller than 299 to keep the seeded build at about two seconds; the network runs at native
# resolution anyway, and 4x192x192 positions give every BatchNorm its statistics.
CALIBRATION_SIDE = 192
CALIBRATION_COUNT = 4
# Pool features ×0.1 (in float64), so that on the demo photos at their native 128 px they have
# the scale of the real pool3 (post-ReLU means about 0.4, per-dimension stds 0.2-0.5); measured
# unscaled ×0.04 -> mean 0.13, std 0.15 (the FID Inception's factor, at 299 px, is 0.04).
SEEDED_POOL_SCALE = 0.1


def build_art_inception() -> tv_inception.Inception3:
    """torchvision's Inception3 trunk (no classifier, no aux head), weights uninitialised."""
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False)
    net.fc = nn.Identity()  # the package's fc1/fc2 heads never reach the features
    return net.eval()


def art_input_size(height: int, width: int) -> tuple[int, int]:
    """(height, width) an image is measured at: native, or upscaled to a 75-px short side."""
    shortest = min(height, width)
    if shortest >= MIN_SIDE:
        return height, width
    scale = MIN_SIDE / shortest
    return max(MIN_SIDE, round(height * scale)), max(MIN_SIDE, round(width * scale))


def _trunk(net: tv_inception.Inception3, x: torch.Tensor) -> torch.Tensor:
    for name in ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
                 "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b",
                 "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"):  # fmt: skip
        x = getattr(net, name)(x)
    return x


class ArtInception(nn.Module):
    """Pool features (``[B, 2048]``) of ``[0,1]`` images at native resolution, as ``art-fid`` computes them."""

    def __init__(self, net: tv_inception.Inception3) -> None:
        super().__init__()
        net = net.eval()
        fold_batchnorms(net)
        self.net = net
        self.eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features of a ``[B,3,H,W]`` batch in ``[0,1]`` (one size per batch; see ``art_input_size``)."""
        height, width = images.shape[-2:]
        size = art_input_size(height, width)
        if size != (height, width):
            images = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
        x = _trunk(self.net, images.contiguous(memory_format=torch.channels_last))
        return x.mean(dim=(2, 3))


def seeded_art_inception(seed: int) -> tv_inception.Inception3:
    """A random art Inception: He init, BN statistics from the synthetic calibration set (fed as
    ``[0,1]``, the package's input range), pool features scaled by ``SEEDED_POOL_SCALE``;
    built in float64 on one thread (see ``seeded``). Its state dict is a valid
    ``art_inception.pth`` for the package (the agreement test feeds it to both)."""
    with build_context():
        net = build_art_inception()
        he_init_(net, seed)
        net = net.to(CALIBRATION_DTYPE)
        images = calibration_images(CALIBRATION_COUNT, CALIBRATION_SIDE, seed)
        calibrate_batchnorm_(net, lambda x: _trunk(net, x), images)
        scale_block_outputs_(net.Mixed_7c, SEEDED_POOL_SCALE)
        return net.float()
