"""Small example generators and image sets, for tests, benchmarks, demos and participants.

These are written by the platform (trusted); they show the two upload formats' contracts.
torch, NumPy and Pillow are imported inside the functions that need them.
"""
from __future__ import annotations

import csv
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

from sandbox.upload import MANIFEST_NAME

# A package generator: a pure-Python module whose class is instantiated once, then called
# with (content, style) float tensors [B,3,H,W] in [0,1].
BLEND_PACKAGE_CODE = '''\
import torch


class Stylizer(torch.nn.Module):
    """Blends the content image with the style image's mean colour."""

    def __init__(self):
        super().__init__()
        self.alpha = torch.nn.Parameter(torch.tensor(0.7))

    def forward(self, content, style):
        tint = style.mean(dim=(2, 3), keepdim=True)
        return (self.alpha * content + (1 - self.alpha) * tint).clamp(0, 1)
'''


def write_image_set(dest: Path, n_pairs: int = 4, size: tuple[int, int] = (64, 48), seed: int = 0) -> Path:
    """Write a tiny image set (content/, style/, pairs.csv) of random RGB PNGs; returns ``dest``.

    Args:
        dest: directory to create.
        n_pairs: number of pairs (one content and one style image each).
        size: (width, height) of content images; styles are a different size on purpose.
        seed: seed of the pixel noise.
    """
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    (dest / "content").mkdir(parents=True, exist_ok=True)
    (dest / "style").mkdir(parents=True, exist_ok=True)
    width, height = size
    rows = []
    for i in range(n_pairs):
        content = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        style = rng.integers(0, 256, (height + 8, width + 8, 3), dtype=np.uint8)
        Image.fromarray(content, "RGB").save(dest / "content" / f"c{i}.png")
        Image.fromarray(style, "RGB").save(dest / "style" / f"s{i}.png")
        rows.append((f"p{i}", f"c{i}.png", f"s{i}.png"))
    with (dest / "pairs.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["pair_id", "content", "style"])
        writer.writerows(rows)
    return dest


def write_torchscript_generator(path: Path) -> Path:
    """Save a small TorchScript generator (a 3x3 conv plus the style's mean colour) to ``path``."""
    import torch

    class TinyStylizer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)

        def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
            tint = style.mean(dim=(2, 3), keepdim=True)
            return torch.sigmoid(self.conv(content) + tint)

    torch.manual_seed(0)
    with warnings.catch_warnings():
        # Recent torch marks TorchScript deprecated; it is still the upload format we accept.
        warnings.filterwarnings("ignore", category=FutureWarning, message=r".*torch\.jit")
        torch.jit.save(torch.jit.script(TinyStylizer().eval()), str(path))
    return path


def toml_dumps(manifest: Mapping[str, object]) -> str:
    """A minimal TOML writer for flat manifests of strings, ints and bools."""
    lines = []
    for key, value in manifest.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int):
            lines.append(f"{key} = {value}")
        else:
            escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'{key} = "{escaped}"')
    return "\n".join(lines) + "\n"


def write_package(
    path: Path,
    files: Mapping[str, str | bytes],
    manifest: Mapping[str, object] | None = None,
) -> Path:
    """Write a zip package: ``files`` (name -> text or bytes) plus ``stylearena.toml``.

    Args:
        path: the .zip to create.
        files: package contents; must include the entry point's module.
        manifest: manifest keys; ``None`` means ``entry_point = "generator:Stylizer"``.
    """
    manifest = {"entry_point": "generator:Stylizer"} if manifest is None else manifest
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST_NAME, toml_dumps(manifest))
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def write_blend_package(path: Path, **manifest_extra: object) -> Path:
    """The example package generator (``generator:Stylizer``) with optional manifest keys."""
    return write_package(path, {"generator.py": BLEND_PACKAGE_CODE}, {"entry_point": "generator:Stylizer", **manifest_extra})
