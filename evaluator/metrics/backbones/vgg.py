"""torchvision's VGG19 up to relu5_1, returning relu1_1 … relu5_1 for the content/style losses.

Inputs are ``[0,1]`` RGB, normalised inside with the ImageNet mean/std torchvision's weights
were trained with (not the Caffe "normalised VGG" of AdaIN's repository, whose absolute
loss values differ). Only ``features.0`` … ``features.28`` are used; a torchvision
``vgg19-dcbb9e9d.pth`` state dict loads as is (its classifier keys are ignored).
"""
from __future__ import annotations

import torch
from torchvision.models import vgg as vgg_module
from torch import nn

from evaluator.metrics.backbones.seeded import (
    CALIBRATION_DTYPE,
    build_context,
    calibration_images,
    he_init_,
    normalize_plain_convs_,
)

# Indices into torchvision's vgg19().features of relu1_1, relu2_1, relu3_1, relu4_1, relu5_1.
TAPS = (1, 6, 11, 20, 29)
LAYER_NAMES = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def build_vgg19_features() -> nn.Sequential:
    """torchvision's ``vgg19().features`` cut after relu5_1 (weights uninitialised)."""
    # make_layers builds only the conv stack: constructing vgg19() would also initialise its
    # 120M-parameter classifier, which we never use (seconds of start-up on a small CPU).
    layers = vgg_module.make_layers(vgg_module.cfgs["E"], batch_norm=False)
    return layers[: TAPS[-1] + 1].eval()


def feature_keys(features: nn.Sequential) -> dict[str, torch.Size]:
    """State-dict keys (``features.N.weight``/``bias``) and shapes this encoder needs."""
    return {f"features.{name}": tensor.shape for name, tensor in features.state_dict().items()}


class VggEncoder(nn.Module):
    """relu1_1 … relu5_1 feature maps of a ``[0,1]`` batch, in channels-last layout."""

    def __init__(self, features: nn.Sequential) -> None:
        super().__init__()
        self.features = features.eval()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The five tapped activations, shallow to deep."""
        x = ((images - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
        taps: list[torch.Tensor] = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in TAPS:
                taps.append(x)
        return taps


def seeded_vgg19_features(seed: int) -> nn.Sequential:
    """Random VGG19 features: He init, then per-conv normalisation on the calibration set
    (float64 on one thread, see ``seeded``)."""
    with build_context():
        features = build_vgg19_features()
        he_init_(features, seed)
        features = features.to(CALIBRATION_DTYPE)
        images = calibration_images(8, 64, seed)
        mean = torch.tensor(IMAGENET_MEAN, dtype=CALIBRATION_DTYPE).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, dtype=CALIBRATION_DTYPE).view(1, 3, 1, 1)
        normalize_plain_convs_(features, (images - mean) / std)
        return features.float()
