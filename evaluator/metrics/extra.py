"""The optional metrics' definitions (issue 13): structure, colour and texture, per image.

Every function takes batches (leading dimension B, images in ``[0, 1]`` unless it says
uint8) and returns one value per image, so per-pair values survive for intervals and
per-style breakdowns. The wiring (which images, which resolution, which competition asks)
is ``evaluator.metrics.optional``; the names, versions and directions are in
``evaluator.metrics.optional_catalog``.

* SSIM / MS-SSIM (Wang et al. 2004/2003): torchmetrics' SSIM terms (Gaussian window 11 px,
  σ = 1.5, K = (0.01, 0.03), data range 1) averaged over the valid region as the reference
  code does; MS-SSIM with the five standard betas and ReLU-clamped per-scale values. Its
  coarsest scale needs a side of more than (11 − 1)·2⁴ = 160 px: smaller images are upscaled
  (bilinear, both images alike) until the short side is ``MS_SSIM_MIN_SIDE`` (161).
* RGB-uv histogram distance (Afifi et al., HistoGAN, CVPR 2021), as StyleID's evaluation uses
  it: 64×64 bins on [−3, 3] per log-chroma plane, inverse-quadratic kernel σ = 0.02, each pixel
  weighted by its intensity √(R²+G²+B²), images larger than 256 px on either side resized to
  256×256 (bilinear, no antialias), histogram normalised to sum 1; the distance is the
  Hellinger-style (1/√2)·‖√H₁ − √H₂‖₂. Computed in float64.
* Gram-matrix style loss (Gatys et al., CVPR 2016): G = F Fᵀ / (C·H·W) per VGG layer, the mean
  squared difference of the C×C entries, summed over the layers given.
* CFSD (Chung et al., StyleID, CVPR 2024): at VGG19 relu3_1, per image the row-wise softmax of
  the patch-similarity matrix S = (F/C)(F/C)ᵀ (HW × HW), and Σ_rows KL(P_content ‖ P_output)
  (``F.kl_div(..., reduction="batchmean")`` on a batch of one, as StyleID computes it).
  Softmax and KL in float64, in row blocks so memory stays O(block · HW).
* Greyscale for LPIPS: PIL's ``convert("L")`` luma (ITU-R 601-2, integer arithmetic, so
  exactly the uint8 image StyleID's ``Grayscale()`` transform makes), replicated to 3 channels.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torchmetrics.functional.image import structural_similarity_index_measure

SSIM_KERNEL = 11
SSIM_SIGMA = 1.5
MS_SSIM_BETAS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang et al. 2003
# The coarsest of five scales (1/16 of the side) must still be larger than one window:
# side > (11 - 1) * 16 = 160.
MS_SSIM_MIN_SIDE = (SSIM_KERNEL - 1) * 2 ** (len(MS_SSIM_BETAS) - 1) + 1

HIST_BINS = 64
HIST_MAX_SIDE = 256
HIST_SIGMA = 0.02
HIST_BOUNDARY = 3.0
HIST_EPS = 1e-6

# Rows of the HW×HW similarity matrix computed at once (memory: block × HW floats, twice).
CFSD_BLOCK_ROWS = 2048

# PIL's integer luma weights (Convert.c: L24), scaled by 2**16.
_LUMA = (19595, 38470, 7471)


def _ssim_terms(outputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image (SSIM, contrast-structure) ``[B]`` each, averaged over the valid region only.

    torchmetrics averages its SSIM map over the reflect-padded border too; Wang et al.'s
    reference code (and pytorch-msssim, which StyleID's evaluation uses) keep only the windows
    that lie inside the image, so the map is cropped by half a window on each side here.
    """
    _, full = structural_similarity_index_measure(
        outputs, targets, gaussian_kernel=True, sigma=SSIM_SIGMA, kernel_size=SSIM_KERNEL,
        reduction="none", data_range=1.0, return_full_image=True)
    _, cs = structural_similarity_index_measure(
        outputs, targets, gaussian_kernel=True, sigma=SSIM_SIGMA, kernel_size=SSIM_KERNEL,
        reduction="none", data_range=1.0, return_contrast_sensitivity=True)
    half = SSIM_KERNEL // 2
    valid = full[..., half:-half, half:-half]
    return valid.flatten(1).mean(dim=1), cs.reshape(outputs.shape[0])


def ssim(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM ``[B]`` of two ``[B,3,H,W]`` batches in [0, 1] (higher is more alike)."""
    return _ssim_terms(outputs, targets)[0]


def ms_ssim_input(batch: torch.Tensor) -> torch.Tensor:
    """The batch upscaled (bilinear, aspect kept) so its short side is at least ``MS_SSIM_MIN_SIDE``."""
    height, width = batch.shape[-2:]
    shortest = min(height, width)
    if shortest >= MS_SSIM_MIN_SIDE:
        return batch
    scale = MS_SSIM_MIN_SIDE / shortest
    size = (max(MS_SSIM_MIN_SIDE, math.ceil(height * scale - 1e-9)),
            max(MS_SSIM_MIN_SIDE, math.ceil(width * scale - 1e-9)))
    return F.interpolate(batch, size=size, mode="bilinear", align_corners=False)


def ms_ssim(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-image MS-SSIM ``[B]`` (five scales, Wang et al. 2003); small images are upscaled first.

    Per channel Π_{j<5} relu(cs_j)^β_j · relu(ssim_5)^β_5, then the channel mean, with
    torchmetrics' SSIM terms on the valid region (``_ssim_terms``) and 2×2 average pooling
    between scales, an odd side padded by one: pytorch-msssim's (and so StyleID's) convention;
    torchmetrics' own MS-SSIM averages channels before the powers and drops an odd last row.
    """
    x, y = ms_ssim_input(outputs), ms_ssim_input(targets)
    batch, channels = x.shape[:2]
    # Per channel (each a one-channel image), then the mean over channels, as pytorch-msssim does.
    x, y = x.reshape(batch * channels, 1, *x.shape[-2:]), y.reshape(batch * channels, 1, *y.shape[-2:])
    total = torch.ones(batch * channels, dtype=torch.float32, device=x.device)
    for scale, beta in enumerate(MS_SSIM_BETAS):
        similarity, contrast = _ssim_terms(x, y)
        term = similarity if scale == len(MS_SSIM_BETAS) - 1 else contrast
        total = total * torch.relu(term).pow(beta)
        padding = [side % 2 for side in x.shape[-2:]]
        x = F.avg_pool2d(x, kernel_size=2, padding=padding)
        y = F.avg_pool2d(y, kernel_size=2, padding=padding)
    return total.reshape(batch, channels).mean(dim=1)


def rgb_uv_histogram(images: torch.Tensor) -> torch.Tensor:
    """HistoGAN's RGB-uv histograms ``[B, 3, 64, 64]`` (float64, each summing to ≈ 1) of a [0,1] batch."""
    x = images.clamp(0, 1)
    if x.shape[-2] > HIST_MAX_SIDE or x.shape[-1] > HIST_MAX_SIDE:
        # HistoGAN resizes to a square whatever the aspect (its 'interpolation' mode).
        x = F.interpolate(x, size=(HIST_MAX_SIDE, HIST_MAX_SIDE), mode="bilinear", align_corners=False)
    centres = torch.linspace(-HIST_BOUNDARY, HIST_BOUNDARY, HIST_BINS, dtype=torch.float64, device=x.device)
    out = torch.empty((x.shape[0], 3, HIST_BINS, HIST_BINS), dtype=torch.float64, device=x.device)
    for index, image in enumerate(x.double().flatten(2)):  # one image at a time: [3, P]
        intensity = torch.sqrt(image.pow(2).sum(dim=0) + HIST_EPS)  # [P]
        log = torch.log(image + HIST_EPS)
        for channel, (a, b) in enumerate(((1, 2), (0, 2), (0, 1))):
            u = _kernel(log[channel] - log[a], centres)  # [P, bins]
            v = _kernel(log[channel] - log[b], centres)
            out[index, channel] = (intensity[:, None] * u).T @ v
    return out / (out.sum(dim=(1, 2, 3)).view(-1, 1, 1, 1) + HIST_EPS)


def _kernel(values: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    # HistoGAN's inverse-quadratic kernel: the soft (differentiable) count of each bin. In place:
    # one [P, 64] buffer instead of four (allocation dominated the time: 5x faster measured).
    diff = values[:, None] - centres[None, :]
    return diff.mul_(diff).mul_(1.0 / HIST_SIGMA**2).add_(1.0).reciprocal_()


def histogram_distance(hist_a: torch.Tensor, hist_b: torch.Tensor) -> torch.Tensor:
    """Per-image (1/√2)·‖√a − √b‖₂ ``[B]`` of two histogram batches (HistoGAN's loss)."""
    diff = (hist_a.sqrt() - hist_b.sqrt()).pow(2).flatten(1).sum(dim=1)
    return diff.sqrt() / math.sqrt(2.0)


def gram(feat: torch.Tensor) -> torch.Tensor:
    """Per-image normalised Gram matrices ``[B, C, C]``: F Fᵀ / (C·H·W) of ``[B,C,H,W]`` features."""
    batch, channels, height, width = feat.shape
    flat = feat.reshape(batch, channels, height * width).float()
    return torch.bmm(flat, flat.transpose(1, 2)) / (channels * height * width)


def gram_loss(output_taps: list[torch.Tensor], style_grams: list[torch.Tensor]) -> torch.Tensor:
    """Per-image Gram style loss ``[B]``: Σ_layers mean_ij (G(o) − G(s))²; ``style_grams`` from ``gram``."""
    total = torch.zeros(output_taps[0].shape[0], dtype=torch.float32, device=output_taps[0].device)
    for feat, target in zip(output_taps, style_grams):
        total = total + (gram(feat) - target).pow(2).flatten(1).mean(dim=1)
    return total


def cfsd(output_feat: torch.Tensor, content_feat: torch.Tensor, block_rows: int = CFSD_BLOCK_ROWS) -> torch.Tensor:
    """Per-image CFSD ``[B]`` from relu3_1 features of outputs and their contents (equal shapes)."""
    batch, channels = output_feat.shape[:2]
    # Similarities in float32 (the matmuls), softmax and KL in float64: the row distributions
    # are close to uniform, so their KL is tiny next to the log-probabilities; all in float32
    # the sum was 15 % off the float64 value on 64-px test images.
    out = output_feat.reshape(batch, channels, -1).transpose(1, 2).float() / channels  # [B, HW, C]
    cnt = content_feat.reshape(batch, channels, -1).transpose(1, 2).float() / channels
    total = torch.zeros(batch, dtype=torch.float64, device=output_feat.device)
    for start in range(0, out.shape[1], block_rows):
        rows = slice(start, start + block_rows)
        log_p_content = F.log_softmax(torch.bmm(cnt[:, rows], cnt.transpose(1, 2)).double(), dim=-1)
        log_p_output = F.log_softmax(torch.bmm(out[:, rows], out.transpose(1, 2)).double(), dim=-1)
        kl = (log_p_content.exp() * (log_p_content - log_p_output)).sum(dim=(1, 2))
        total = total + kl
    return total


def grey_uint8(images: torch.Tensor) -> torch.Tensor:
    """PIL's ``convert("L")`` of a uint8 ``[B,3,H,W]`` batch, replicated to ``[B,3,H,W]`` uint8."""
    wide = images.to(torch.int64)
    luma = (wide[:, 0] * _LUMA[0] + wide[:, 1] * _LUMA[1] + wide[:, 2] * _LUMA[2] + 0x8000) >> 16
    return luma.to(torch.uint8)[:, None].expand(-1, 3, -1, -1).contiguous()
