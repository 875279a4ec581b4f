"""The resolution policy: the size at which VGG19 and the LPIPS trunk measure an image.

One owner for it: the suite, its reference side and the optional metrics all measure
outputs, contents and styles at the size ``metric_size`` says.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from evaluator.metrics import io

# Longest side fed to VGG19 and the LPIPS trunk; larger images are downscaled (antialiased).
MAX_METRIC_SIDE = 512


def metric_size(height: int, width: int) -> tuple[int, int]:
    """(height, width) an image is measured at by VGG19 and LPIPS: the resolution policy.

    Native size, the longer side capped at ``MAX_METRIC_SIDE`` (aspect kept); but never a
    shorter side below ``io.MIN_SIDE``, the least AlexNet and VGG19's relu5_1 can measure, so a
    very wide or tall image (more than 16:1) keeps a 32-pixel short side instead of crashing.
    """
    longest, shortest = max(height, width), min(height, width)
    if longest <= MAX_METRIC_SIDE:
        return height, width
    scale = max(MAX_METRIC_SIDE / longest, min(1.0, io.MIN_SIDE / shortest))
    if scale >= 1.0:
        return height, width
    return max(io.MIN_SIDE, round(height * scale)), max(io.MIN_SIDE, round(width * scale))


def to_metric_input(batch: torch.Tensor) -> torch.Tensor:
    """Apply the VGG/LPIPS resolution policy (``metric_size``) to a ``[B,3,H,W]`` batch."""
    height, width = batch.shape[-2:]
    size = metric_size(height, width)
    if size == (height, width):
        return batch
    return F.interpolate(batch, size=size, mode="bilinear", align_corners=False, antialias=True)
