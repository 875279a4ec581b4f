"""Seeded random backbones whose features stay informative through the network's depth.

Used when no verified weights are installed. Plain random init makes deep activations
collapse or explode, so the demo board could not rank anything; instead:

* conv/linear weights are He-normal from a private, seeded ``torch.Generator`` (never the
  global RNG, so scoring does not disturb or depend on other code's random state);
* networks with BatchNorm get BN running statistics from one training-mode forward over a
  fixed synthetic calibration set (a data-dependent init);
* networks without BatchNorm (VGG19, AlexNet) get each conv rescaled and shifted so its
  pre-activations have zero mean and unit variance per channel on that set (LSUV-style).

Everything is deterministic for a given torch build and CPU; the resulting parameters are
hashed, and that hash keys the reference cache, so a machine whose numerics differ gets a
cache miss rather than someone else's statistics.
"""
from __future__ import annotations

import hashlib
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

SEED_SCHEME = "he-calib-v1"


def calibration_images(count: int, size: int, seed: int) -> torch.Tensor:
    """A fixed synthetic set in ``[0,1]``: smooth colour fields, stripes and fine noise."""
    gen = torch.Generator().manual_seed(seed)
    images = []
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    for index in range(count):
        coarse = torch.rand(1, 3, 4 + index % 5, 4 + index % 5, generator=gen)
        field = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)[0]
        freq = 2.0 + 14.0 * torch.rand(2, generator=gen)
        phase = 6.283 * torch.rand(3, generator=gen)
        stripes = torch.stack(
            [torch.sin(6.283 * (freq[0] * xx + freq[1] * yy) + phase[c]) for c in range(3)]
        )
        # Noise from none to strong, at two scales, so the statistics cover smooth photos
        # as well as heavily textured stylised outputs.
        fine = torch.rand(3, size, size, generator=gen)
        grain = F.interpolate(
            torch.rand(1, 3, size // 4, size // 4, generator=gen), size=(size, size), mode="nearest"
        )[0]
        amount = 0.6 * index / max(count - 1, 1)
        base = 0.65 * field + 0.35 * (stripes * 0.5 + 0.5)
        image = (1 - amount) * base + amount * (0.5 * fine + 0.5 * grain)
        images.append(image.clamp(0, 1))
    return torch.stack(images)


def he_init_(module: nn.Module, seed: int) -> None:
    """He-normal weights and zero biases for every conv/linear layer, from a seeded generator."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu", generator=gen)
                if layer.bias is not None:
                    layer.bias.zero_()
            elif isinstance(layer, nn.BatchNorm2d):
                layer.weight.fill_(1.0)
                layer.bias.zero_()
                layer.reset_running_stats()


def calibrate_batchnorm_(
    model: nn.Module, forward: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor
) -> None:
    """Set every BN layer's running stats to its batch statistics on ``images`` (one pass)."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: after one batch, exactly that batch's stats
        bn.train()
    with torch.no_grad():
        forward(images)
    for bn in bns:
        bn.momentum = 0.1
    model.eval()


def normalize_plain_convs_(layers: nn.Sequential, images: torch.Tensor) -> None:
    """Rescale each conv of a BN-free stack so its outputs are zero-mean, unit-variance per channel."""
    x = images
    with torch.no_grad():
        for layer in layers:
            if isinstance(layer, nn.Conv2d):
                y = layer(x)
                mean = y.mean(dim=(0, 2, 3))
                std = y.std(dim=(0, 2, 3)).clamp_min(1e-6)
                layer.weight.div_(std.view(-1, 1, 1, 1))
                layer.bias.sub_(mean).div_(std)
                x = (y - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)
            else:
                x = layer(x)


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """sha256 over the names, shapes and bytes of a state dict (stable identity of random weights)."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()
