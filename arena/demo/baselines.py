"""The simple baseline generators, exported as TorchScript archives participants could upload.

Each module honours the generator contract: ``forward(content, style)`` takes two float
tensors ``[B,3,H,W]`` in ``[0,1]`` (the style may be another size) and returns
``[B,3,H,W]`` in ``[0,1]`` at the content's size.
"""
from __future__ import annotations

import warnings
from enum import Enum
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


class BaselineName(str, Enum):
    """The demo board's baselines (``trained`` lives in ``arena.demo.training``)."""

    IDENTITY = "identity"
    STYLE_COPY = "style-copy"
    PIXEL_ADAIN = "pixel-adain"
    TRAINED = "trained-net"


class Identity(nn.Module):
    """Returns the content image: perfect content preservation, no style at all."""

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return content.clone()


class StyleCopy(nn.Module):
    """Returns the style image resized to the content's size: all style, no content."""

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        size = [int(content.shape[2]), int(content.shape[3])]
        return F.interpolate(style, size=size, mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)


def channel_stats(x: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image, per-channel mean and std over space, shaped ``[B, C, 1, 1]``."""
    flat = x.flatten(2)
    mean = flat.mean(dim=2)[:, :, None, None]
    std = (flat.var(dim=2, unbiased=False) + eps).sqrt()[:, :, None, None]
    return mean, std


def pixel_adain(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """Adaptive instance normalisation on RGB pixels: the content's colours, the style's statistics."""
    c_mean, c_std = channel_stats(content)
    s_mean, s_std = channel_stats(style)
    return ((content - c_mean) / c_std * s_std + s_mean).clamp(0, 1)


class PixelAdaIN(nn.Module):
    """Per-channel statistics transfer (AdaIN on pixels): colour statistics only, no texture."""

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return pixel_adain(content, style)


SIMPLE_BASELINES: dict[BaselineName, type[nn.Module]] = {
    BaselineName.IDENTITY: Identity,
    BaselineName.STYLE_COPY: StyleCopy,
    BaselineName.PIXEL_ADAIN: PixelAdaIN,
}


def export_torchscript(module: nn.Module, path: Path) -> Path:
    """Script ``module`` and save it with ``torch.jit.save``; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with warnings.catch_warnings():
        # TorchScript is the platform's upload contract; torch's deprecation notice is noise here.
        warnings.filterwarnings("ignore", category=FutureWarning, message=r".*torch\.jit")
        scripted = torch.jit.script(module.eval())
        torch.jit.save(scripted, str(tmp))
    tmp.replace(path)
    return path


def export_simple_baselines(dest: Path) -> dict[BaselineName, Path]:
    """Write identity, style-copy and pixel-AdaIN archives into ``dest`` (``<name>.pt``)."""
    return {name: export_torchscript(cls(), Path(dest) / f"{name.value}.pt") for name, cls in SIMPLE_BASELINES.items()}
