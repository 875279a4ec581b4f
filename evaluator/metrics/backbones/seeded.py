"""Seeded random backbones whose features stay informative through the network's depth.

Used when no verified weights are installed. Plain random init makes deep activations
collapse or explode, so the demo board could not rank anything; instead:

* conv/linear weights are He-normal from a private, seeded ``torch.Generator`` (never the
  global RNG, so scoring does not disturb or depend on other code's random state);
* networks with BatchNorm get BN running statistics from one training-mode forward over a
  fixed synthetic calibration set (a data-dependent init);
* networks without BatchNorm (VGG19, AlexNet) get each conv rescaled and shifted so its
  pre-activations have zero mean and unit variance per channel on that set (LSUV-style).

The result must not depend on the thread count of the process that builds it: a worker
loads its backbones on one thread (fork safety), the publisher on all CPUs, and both must
arrive at the same parameters, or the reference cache filled at publish is never hit and
`stylearena score` is not what the platform computes. Float32 convolutions and reductions
split their sums across threads, so a float32 calibration differs in the last bits (up to
3e-4 relative after 94 BatchNorms, measured). Everything here — random numbers, the
calibration images, the calibration forward passes — therefore runs in **float64 on one
thread** (``build_context``), and only the finished parameters are rounded to float32. The
parameters are hashed (``state_digest``); that digest is the seeded network's identity in
the reference-cache key and the scorer id.
"""
from __future__ import annotations

import hashlib
import math
from contextlib import contextmanager
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

# Names the construction recipe; part of every seeded weight hash (``uncalibrated:<scheme>:…``).
SEED_SCHEME = "he-calib-f64-1thread-v2"
CALIBRATION_DTYPE = torch.float64


@contextmanager
def build_context() -> Iterator[None]:
    """One torch thread and no autograd for the duration of a seeded build (restored after).

    The global RNG is restored too: constructing the modules runs their default init, which
    draws from it, and building a scorer must not shift other code's random numbers.
    """
    previous = torch.get_num_threads()
    if previous != 1:
        torch.set_num_threads(1)
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def calibration_images(count: int, size: int, seed: int) -> torch.Tensor:
    """A fixed synthetic float64 set in ``[0,1]``: smooth colour fields, stripes and fine noise."""
    dtype = CALIBRATION_DTYPE
    gen = torch.Generator().manual_seed(seed)
    images = []
    axis = torch.linspace(0, 1, size, dtype=dtype)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    for index in range(count):
        coarse = torch.rand(1, 3, 4 + index % 5, 4 + index % 5, generator=gen, dtype=dtype)
        field = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)[0]
        freq = 2.0 + 14.0 * torch.rand(2, generator=gen, dtype=dtype)
        phase = 6.283 * torch.rand(3, generator=gen, dtype=dtype)
        stripes = torch.stack(
            [torch.sin(6.283 * (freq[0] * xx + freq[1] * yy) + phase[c]) for c in range(3)]
        )
        # Noise from none to strong, at two scales, so the statistics cover smooth photos
        # as well as heavily textured stylised outputs.
        fine = torch.rand(3, size, size, generator=gen, dtype=dtype)
        grain = F.interpolate(
            torch.rand(1, 3, size // 4, size // 4, generator=gen, dtype=dtype), size=(size, size), mode="nearest"
        )[0]
        amount = 0.6 * index / max(count - 1, 1)
        base = 0.65 * field + 0.35 * (stripes * 0.5 + 0.5)
        image = (1 - amount) * base + amount * (0.5 * fine + 0.5 * grain)
        images.append(image.clamp(0, 1))
    return torch.stack(images)


def he_init_(module: nn.Module, seed: int) -> None:
    """He-normal weights (drawn in float64, then rounded) and zero biases for every conv/linear layer."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                fan_in = layer.weight[0].numel()
                draw = torch.empty(layer.weight.shape, dtype=torch.float64)
                draw.normal_(0.0, math.sqrt(2.0 / fan_in), generator=gen)
                layer.weight.copy_(draw)
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
    """sha256 over the names, shapes, dtypes and bytes of a state dict (identity of random weights)."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(str(tensor.dtype).encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()
