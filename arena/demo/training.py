"""The demo's trained baseline: a small feed-forward network fitted briefly on the public split.

The network starts from the style image (resized to the content) and learns, from the
content photograph, a per-pixel modulation of the style's brightness, a small colour
residual and how much of the style's fine detail to restore after the resize — so its
outputs keep the style's texture while the photograph's layout shows through. It is trained with the platform's own metric features (evaluator.metrics' VGG19
— seeded when no weights are installed) on the AdaIN/StyTr² content loss (relu4_1,
relu5_1) and style loss (relu1_1…relu5_1 means and stds), for a bounded wall-clock budget.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from arena.core.imageset import PAIRS_NAME
from arena.demo.baselines import export_torchscript

Log = Callable[[str], None]


@dataclass(frozen=True)
class TrainingConfig:
    """How long and how hard to train; the defaults fit the ≤ ~60 s CPU budget."""

    seconds: float = 45.0
    max_steps: int = 400
    batch_size: int = 4
    crop: int = 128
    content_weight: float = 1.0
    style_weight: float = 1.0
    lr: float = 3e-3
    seed: int = 7


class StyleNet(nn.Module):
    """Style image, modulated by a map the network computes from the content (and the style)."""

    def __init__(self, width: int = 24) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(7, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=4, dilation=4), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
        )
        self.head = nn.Conv2d(width, 4, 1)
        # How much of the style's fine detail, lost when it is shrunk to the content's size,
        # to restore (an unsharp mask of strength 4·tanh(detail)); learnt, starting at 1.
        self.detail = nn.Parameter(torch.full((1,), 0.2554))
        # Zero head: untrained, the network is the prior below (the style, shaded by the
        # photograph's normalised luminance, detail restored); training corrects the prior.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        size = [int(content.shape[2]), int(content.shape[3])]
        styled = F.interpolate(style, size=size, mode="bilinear", align_corners=False, antialias=True)
        luma = content.mean(dim=1, keepdim=True)
        # Normalised luminance makes the input independent of the photo's exposure.
        luma_n = (luma - luma.mean(dim=(2, 3), keepdim=True)) / (luma.std(dim=(2, 3), keepdim=True) + 1e-3)
        x = torch.cat([content, styled, luma_n], dim=1)
        out = self.head(self.body(x))
        gain = 1.0 + 0.5 * torch.tanh(0.3 * luma_n + out[:, :1])
        residual = 0.25 * torch.tanh(out[:, 1:])
        modulated = styled * gain
        blurred = F.avg_pool2d(F.pad(modulated, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
        sharpened = modulated + 4.0 * torch.tanh(self.detail) * (modulated - blurred)
        return (sharpened + residual).clamp(0, 1)


def _load_dir(folder: Path) -> dict[str, torch.Tensor]:
    images = {}
    for path in sorted(folder.iterdir()):
        with Image.open(path) as img:
            array = np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
        images[path.name] = torch.from_numpy(array).permute(2, 0, 1).float().div_(255.0)
    return images


def train_style_net(public_dir: Path, config: TrainingConfig = TrainingConfig(), log: Log = print) -> StyleNet:
    """Fit a StyleNet on the pairs of a (staged or source) public image-set directory."""
    from evaluator.metrics import losses
    from evaluator.metrics.backbones import load_backbones
    from evaluator.metrics.io import read_pairs_csv

    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    vgg = load_backbones(None, torch.device("cpu")).vgg
    contents = _load_dir(public_dir / "content")
    styles = _load_dir(public_dir / "style")
    pairs = read_pairs_csv(public_dir / PAIRS_NAME)
    net = StyleNet()
    optimiser = torch.optim.Adam(net.parameters(), lr=config.lr)
    started = time.monotonic()
    step = 0
    while step < config.max_steps and time.monotonic() - started < config.seconds:
        picks = torch.randint(len(pairs), (config.batch_size,), generator=gen).tolist()
        c_batch, s_batch = [], []
        for index in picks:
            content, style = contents[pairs[index].content], styles[pairs[index].style]
            top = int(torch.randint(content.shape[1] - config.crop + 1, (1,), generator=gen))
            left = int(torch.randint(content.shape[2] - config.crop + 1, (1,), generator=gen))
            c_batch.append(content[:, top:top + config.crop, left:left + config.crop])
            s_batch.append(style)
        content_b, style_b = torch.stack(c_batch), torch.stack(s_batch)
        output = net(content_b, style_b)
        with torch.no_grad():
            content_t = losses.content_targets(vgg(content_b))
            style_t = losses.style_targets(vgg(style_b))
        taps = vgg(output)
        loss = (config.content_weight * losses.content_loss(taps, content_t).mean()
                + config.style_weight * losses.style_loss(taps, style_t).mean())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        step += 1
        if step % 25 == 0:
            log(f"  step {step}: loss {loss.item():.4f}")
    log(f"trained the style network for {step} steps in {time.monotonic() - started:.0f}s")
    return select_on_public(net.eval(), public_dir, log)


def select_on_public(trained: StyleNet, public_dir: Path, log: Log = print) -> StyleNet:
    """Keep the trained weights only if they beat the untrained prior's ArtFID on the public split.

    A short CPU budget can leave the network worse than where it started; validating on the
    public split (never the hidden one) guards the demo board against that.
    """
    import tempfile

    from arena.demo.local_eval import score_module
    from evaluator.metrics.shared import shared_suite

    suite = shared_suite(None)
    with tempfile.TemporaryDirectory() as tmp:
        scores = {name: score_module(model, public_dir, Path(tmp) / name, suite)["art_fid"]
                  for name, model in (("trained", trained), ("prior", StyleNet().eval()))}
    best = "trained" if scores["trained"] <= scores["prior"] else "prior"
    log(f"public-split ArtFID: trained {scores['trained']:.4g}, prior {scores['prior']:.4g}; keeping the {best}")
    return trained if best == "trained" else StyleNet().eval()


def export_trained(public_dir: Path, dest: Path, config: TrainingConfig = TrainingConfig(), log: Log = print) -> Path:
    """Train on ``public_dir`` and write the TorchScript archive to ``dest``."""
    return export_torchscript(train_style_net(public_dir, config, log), dest)
