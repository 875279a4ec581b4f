"""The FID InceptionV3 (``pt_inception-2015-12-05``) to pool3, with pytorch-fid's preprocessing.

The architecture is torchvision's Inception3 with the four patches that make it the
TensorFlow FID network (average pools that exclude padding; max pool in the last block), so
the state-dict keys are those of ``pt_inception-2015-12-05-6726825d.pth``. Preprocessing is
pytorch-fid's: ``[0,1]`` input, bilinear resize to 299×299 (``align_corners=False``, no
antialiasing) inside the network, then scaled to ``[-1,1]``.

For inference each conv+BatchNorm pair is folded into one biased conv and the network runs
in channels-last layout, where oneDNN's convolutions are about twice as fast on CPU; the
folding changes features by float32 rounding only (checked against pytorch-fid in tests).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torchvision.models import inception as tv_inception

from evaluator.metrics.backbones.seeded import (
    CALIBRATION_DTYPE,
    build_context,
    calibrate_batchnorm_,
    calibration_images,
    he_init_,
)

FEATURE_DIM = 2048
INPUT_SIDE = 299
# The seeded network's pool3 is multiplied by this factor (applied in float64), so that its
# features have the scale of the real pool3 (post-ReLU means of about 0.4, per-dimension
# stds of 0.2-0.5): without it the calibrated random network gives means near 7 and FIDs in
# the hundreds of thousands. Measured figures: evaluator/metrics/README.md.
SEEDED_POOL3_SCALE = 0.04


class _FIDInceptionA(tv_inception.InceptionA):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        # TF's average pool ignores the padded zeros.
        pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return torch.cat([branch1x1, branch5x5, branch3x3dbl, self.branch_pool(pool)], 1)


class _FIDInceptionC(tv_inception.InceptionC):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch1x1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d7 = self.branch7x7dbl_1(x)
        d7 = self.branch7x7dbl_5(self.branch7x7dbl_4(self.branch7x7dbl_3(self.branch7x7dbl_2(d7))))
        pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return torch.cat([branch1x1, b7, d7, self.branch_pool(pool)], 1)


class _FIDInceptionE(tv_inception.InceptionE):
    def __init__(self, in_channels: int, max_pool: bool) -> None:
        super().__init__(in_channels)
        # The FID network's last block max-pools here (a quirk of the TF graph, kept on purpose).
        self.max_pool = max_pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch1x1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d3 = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d3 = torch.cat([self.branch3x3dbl_3a(d3), self.branch3x3dbl_3b(d3)], 1)
        if self.max_pool:
            pool = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return torch.cat([branch1x1, b3, d3, self.branch_pool(pool)], 1)


def build_fid_inception() -> tv_inception.Inception3:
    """The FID Inception graph with torchvision's parameter names (weights uninitialised)."""
    net = torchvision.models.inception_v3(
        weights=None, aux_logits=False, num_classes=1008, init_weights=False
    )
    net.Mixed_5b = _FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = _FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = _FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = _FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = _FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = _FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = _FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = _FIDInceptionE(1280, max_pool=False)
    net.Mixed_7c = _FIDInceptionE(2048, max_pool=True)
    return net.eval()


class _ConvReLU(nn.Module):
    """A BasicConv2d after folding its BatchNorm into the conv."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x), inplace=True)


def fold_batchnorms(module: nn.Module) -> None:
    """Replace every BasicConv2d (conv, BN, ReLU) by one biased conv + ReLU, in place (eval mode)."""
    for name, child in list(module.named_children()):
        if isinstance(child, tv_inception.BasicConv2d):
            setattr(module, name, _ConvReLU(fuse_conv_bn_eval(child.conv, child.bn)))
        else:
            fold_batchnorms(child)


class FidInception(nn.Module):
    """InceptionV3 pool3 features (``[B, 2048]``) of ``[0,1]`` images, as pytorch-fid computes them."""

    def __init__(self, net: tv_inception.Inception3) -> None:
        super().__init__()
        net = net.eval()
        fold_batchnorms(net)
        self.blocks = nn.Sequential(
            net.Conv2d_1a_3x3, net.Conv2d_2a_3x3, net.Conv2d_2b_3x3,
            nn.MaxPool2d(kernel_size=3, stride=2),
            net.Conv2d_3b_1x1, net.Conv2d_4a_3x3,
            nn.MaxPool2d(kernel_size=3, stride=2),
            net.Mixed_5b, net.Mixed_5c, net.Mixed_5d,
            net.Mixed_6a, net.Mixed_6b, net.Mixed_6c, net.Mixed_6d, net.Mixed_6e,
            net.Mixed_7a, net.Mixed_7b, net.Mixed_7c,
        )  # fmt: skip
        self.eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Pool3 features of a ``[B,3,H,W]`` batch in ``[0,1]`` (any size; resized to 299)."""
        x = F.interpolate(images, size=(INPUT_SIDE, INPUT_SIDE), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = self.blocks(x.contiguous(memory_format=torch.channels_last))
        return x.mean(dim=(2, 3))


def scale_block_outputs_(block: nn.Module, factor: float) -> None:
    """Multiply a block's outputs by ``factor > 0`` by scaling the BN affine of each branch's last conv.

    Every branch of an Inception block ends in conv → BN → ReLU, and ReLU(f·y) = f·ReLU(y)
    for f > 0, so this scales the concatenated output (and pool3, its spatial mean) exactly.
    """
    for name in _LAST_CONVS[type(block)]:
        bn = getattr(block, name).bn
        bn.weight.mul_(factor)
        bn.bias.mul_(factor)


_E_LAST_CONVS = ("branch1x1", "branch3x3_2a", "branch3x3_2b", "branch3x3dbl_3a", "branch3x3dbl_3b", "branch_pool")
# The FID network's last block, and torchvision's (the art Inception's), have the same branches.
_LAST_CONVS = {_FIDInceptionE: _E_LAST_CONVS, tv_inception.InceptionE: _E_LAST_CONVS}


def seeded_fid_inception(seed: int) -> tv_inception.Inception3:
    """A random FID Inception: He init, BN statistics from the synthetic calibration set, pool3
    scaled by ``SEEDED_POOL3_SCALE``; built in float64 on one thread (see ``seeded``)."""
    with build_context():
        net = build_fid_inception()
        he_init_(net, seed)
        net = net.to(CALIBRATION_DTYPE)
        images = calibration_images(6, INPUT_SIDE, seed)

        def forward(x: torch.Tensor) -> torch.Tensor:
            x = 2 * x - 1
            for name in ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3"):
                x = getattr(net, name)(x)
            x = F.max_pool2d(x, kernel_size=3, stride=2)
            x = net.Conv2d_4a_3x3(net.Conv2d_3b_1x1(x))
            x = F.max_pool2d(x, kernel_size=3, stride=2)
            for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c",
                         "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"):  # fmt: skip
                x = getattr(net, name)(x)
            return x

        calibrate_batchnorm_(net, forward, images)
        scale_block_outputs_(net.Mixed_7c, SEEDED_POOL3_SCALE)
        return net.float()
