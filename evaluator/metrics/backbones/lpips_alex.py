"""LPIPS v0.1 with the AlexNet trunk, as the ``lpips`` package computes it.

Trunk: torchvision's ``alexnet().features[0:12]``, tapped after each of its five ReLUs.
Linear layers: the package's own ``weights/v0.1/alex.pth`` (read from the installed package,
never downloaded; located and pinned by ``evaluator.weights.lpips_linear_status``). Per
layer: unit-normalise features over channels (eps 1e-10), square the difference, weight
channels by the linear layer, average over space; sum the five layers.

Because the 1×1 linear layer and the spatial mean commute, the distance is computed as
``w · mean_hw((f0 - f1)^2)``: the same number up to float rounding, without materialising
the weighted maps. Content-side features are computed once per distinct content image.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from evaluator.metrics.backbones.seeded import (
    CALIBRATION_DTYPE,
    build_context,
    calibration_images,
    he_init_,
    normalize_plain_convs_,
)

TAPS = (1, 4, 7, 9, 11)
CHANNELS = (64, 192, 384, 256, 256)
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)


def build_alexnet_trunk() -> nn.Sequential:
    """torchvision's ``alexnet().features`` up to relu5 (weights uninitialised)."""
    # torchvision's alexnet().features layout (same indices, so its state dict loads as is),
    # built directly to skip initialising the 58M-parameter classifier.
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    ).eval()  # fmt: skip


def load_linear_weights(path: Path) -> list[torch.Tensor]:
    """The five ``lin{k}.model.1.weight`` vectors (``[C]`` each) from an LPIPS weights file."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    return [state[f"lin{k}.model.1.weight"].reshape(-1).float() for k in range(len(TAPS))]


def _unit_normalize(feat: torch.Tensor) -> torch.Tensor:
    # lpips.normalize_tensor: divide by the channel L2 norm plus 1e-10.
    norm = torch.sqrt(torch.sum(feat * feat, dim=1, keepdim=True))
    return feat / (norm + 1e-10)


class LpipsAlex(nn.Module):
    """LPIPS features (``features``) and distances (``distance``) for ``[0,1]`` images."""

    def __init__(self, trunk: nn.Sequential, linear: list[torch.Tensor]) -> None:
        super().__init__()
        self.trunk = trunk.eval()
        for k, weights in enumerate(linear):
            self.register_buffer(f"lin{k}", weights.clone())
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1))

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Channel-normalised trunk activations at the five taps."""
        x = ((2 * images - 1) - self.shift) / self.scale
        x = x.contiguous(memory_format=torch.channels_last)
        taps: list[torch.Tensor] = []
        for index, layer in enumerate(self.trunk):
            x = layer(x)
            if index in TAPS:
                taps.append(_unit_normalize(x))
        return taps

    def distance(self, feats_a: list[torch.Tensor], feats_b: list[torch.Tensor]) -> torch.Tensor:
        """Per-image LPIPS (``[B]``) between two feature lists of equal shapes."""
        total = torch.zeros(feats_a[0].shape[0], dtype=torch.float32, device=feats_a[0].device)
        for k, (fa, fb) in enumerate(zip(feats_a, feats_b)):
            per_channel = (fa - fb).pow(2).mean(dim=(2, 3))
            total = total + per_channel @ getattr(self, f"lin{k}")
        return total


def seeded_alexnet_trunk(seed: int) -> nn.Sequential:
    """Random AlexNet trunk: He init, then per-conv normalisation on the calibration set
    (float64 on one thread, see ``seeded``)."""
    with build_context():
        trunk = build_alexnet_trunk()
        he_init_(trunk, seed)
        trunk = trunk.to(CALIBRATION_DTYPE)
        images = calibration_images(8, 128, seed)
        shift = torch.tensor(SHIFT, dtype=CALIBRATION_DTYPE).view(1, 3, 1, 1)
        scale = torch.tensor(SCALE, dtype=CALIBRATION_DTYPE).view(1, 3, 1, 1)
        normalize_plain_convs_(trunk, ((2 * images - 1) - shift) / scale)
        return trunk.float()
