"""Content and style losses on VGG19 features (AdaIN, Huang & Belongie 2017; StyTr², Deng et al. 2022).

* ``mean_std``: per-channel mean and √(var + 1e-5) over space, ``var`` unbiased (torch's
  default, as StyTr²'s ``calc_mean_std``).
* content loss: for relu4_1 and relu5_1, the MSE (mean over C·H·W) between the
  mean-variance-normalised features of the output and of the content image; the two
  layers' MSEs are added.
* style loss: for relu1_1 … relu5_1, MSE over channels of the means plus MSE over channels
  of the stds, output vs style image; summed over layers.

All functions work per image (leading batch dimension kept) so per-pair values survive.
"""
from __future__ import annotations

import torch

EPS = 1e-5
CONTENT_LAYERS = (3, 4)  # relu4_1, relu5_1 among the five VGG taps
STYLE_LAYERS = (0, 1, 2, 3, 4)


def mean_std(feat: torch.Tensor, eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std (``[B, C]`` each) of ``[B, C, H, W]`` features."""
    flat = feat.flatten(2)
    var = flat.var(dim=2) + eps
    return flat.mean(dim=2), var.sqrt()


def mean_variance_normalize(feat: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Features with each channel shifted to zero mean and scaled to unit std (over space)."""
    mean, std = mean_std(feat, eps)
    return (feat - mean[:, :, None, None]) / std[:, :, None, None]


def content_targets(taps: list[torch.Tensor]) -> list[torch.Tensor]:
    """The normalised content-layer features a content image contributes (cached per dataset)."""
    return [mean_variance_normalize(taps[layer]) for layer in CONTENT_LAYERS]


def style_targets(taps: list[torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The per-layer (mean, std) a style image contributes (cached per dataset)."""
    return [mean_std(taps[layer]) for layer in STYLE_LAYERS]


def content_loss(output_taps: list[torch.Tensor], targets: list[torch.Tensor]) -> torch.Tensor:
    """Per-image content loss ``[B]``; ``targets`` are ``content_targets`` of the content images."""
    total = torch.zeros(output_taps[0].shape[0], dtype=torch.float32, device=output_taps[0].device)
    for layer, target in zip(CONTENT_LAYERS, targets):
        normalized = mean_variance_normalize(output_taps[layer])
        total = total + (normalized - target).pow(2).flatten(1).mean(dim=1)
    return total


def style_loss(
    output_taps: list[torch.Tensor], targets: list[tuple[torch.Tensor, torch.Tensor]]
) -> torch.Tensor:
    """Per-image style loss ``[B]``; ``targets`` are ``style_targets`` of the style images."""
    total = torch.zeros(output_taps[0].shape[0], dtype=torch.float32, device=output_taps[0].device)
    for layer, (target_mean, target_std) in zip(STYLE_LAYERS, targets):
        mean, std = mean_std(output_taps[layer])
        total = total + (mean - target_mean).pow(2).mean(dim=1) + (std - target_std).pow(2).mean(dim=1)
    return total
