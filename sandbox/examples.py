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

# A stochastic package generator: the blend above plus Gaussian noise from torch's global
# generator, which the harness seeds before every call (sandbox/harness/seeding.py), so its
# outputs reproduce run to run and differ between the harness's two seeds.
NOISY_PACKAGE_CODE = '''\
import torch


class Stylizer(torch.nn.Module):
    """The content image blended with the style's mean colour, plus seeded Gaussian noise."""

    def forward(self, content, style):
        tint = style.mean(dim=(2, 3), keepdim=True)
        noise = 0.15 * torch.randn(content.shape, device=content.device)
        return (0.7 * content + 0.3 * tint + noise).clamp(0, 1)
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


def tiny_stylizer():
    """A small generator module (a 3x3 conv plus the style's mean colour), seeded weights."""
    import torch

    class TinyStylizer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)

        def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
            tint = style.mean(dim=(2, 3), keepdim=True)
            return torch.sigmoid(self.conv(content) + tint)

    torch.manual_seed(0)
    return TinyStylizer().eval()


def write_torchscript_generator(path: Path) -> Path:
    """Save ``tiny_stylizer`` as TorchScript (torch.jit.save) to ``path``."""
    import torch

    with warnings.catch_warnings():
        # Recent torch marks TorchScript deprecated; it is still an upload format we accept.
        warnings.filterwarnings("ignore", category=FutureWarning, message=r".*torch\.jit")
        torch.jit.save(torch.jit.script(tiny_stylizer()), str(path))
    return path


def export_program(module, max_side: int = 4096):
    """``torch.export`` of a (content, style) generator for one pair per call, any height and width.

    The sandbox calls a .pt2 with one pair at a time, so only the spatial sizes are dynamic;
    content and style get their own (their sizes may differ).
    """
    import torch

    dim = torch.export.Dim
    content_h, content_w = dim("content_h", min=8, max=max_side), dim("content_w", min=8, max=max_side)
    style_h, style_w = dim("style_h", min=8, max=max_side), dim("style_w", min=8, max=max_side)
    example = (torch.rand(1, 3, 64, 48), torch.rand(1, 3, 40, 56))
    return torch.export.export(module, example, dynamic_shapes={
        "content": {2: content_h, 3: content_w}, "style": {2: style_h, 3: style_w}})


def write_export_generator(path: Path, module=None) -> Path:
    """Save ``module`` (default ``tiny_stylizer``) as a torch.export program (torch.export.save) to ``path``."""
    import torch

    torch.export.save(export_program(module if module is not None else tiny_stylizer()), str(path))
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


def write_noisy_package(path: Path, **manifest_extra: object) -> Path:
    """The stochastic example package (``NOISY_PACKAGE_CODE``): diversity > 0, reproducible per seed."""
    return write_package(path, {"generator.py": NOISY_PACKAGE_CODE}, {"entry_point": "generator:Stylizer", **manifest_extra})


REPO_LAYOUT_DIR = Path(__file__).resolve().parent / "example_packages" / "adain_layout"


def write_repo_layout_package(path: Path, seed: int = 0) -> Path:
    """Zip ``example_packages/adain_layout`` (a repository-style package) with seeded weights.

    The weights are the state dicts of the networks its ``adain/net.py`` builds at import
    time, saved with ``torch.save`` under the relative paths ``stylize.py`` loads.
    """
    import importlib
    import importlib.util
    import io
    import sys

    import torch

    # Import the example's own package under a private name: trusted code of the platform's.
    name = "_stylearena_example_adain"
    spec = importlib.util.spec_from_file_location(name, REPO_LAYOUT_DIR / "adain" / "__init__.py",
                                                  submodule_search_locations=[str(REPO_LAYOUT_DIR / "adain")])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    try:
        spec.loader.exec_module(package)
        net = importlib.import_module(f"{name}.net")
        torch.manual_seed(seed)
        weights = {}
        for file_name, module in (("decoder.pth", net.decoder), ("vgg_normalised.pth", net.vgg)):
            for param in module.parameters():
                torch.nn.init.normal_(param, 0.0, 0.05)
            buffer = io.BytesIO()
            torch.save(module.state_dict(), buffer)
            weights[f"adain/models/{file_name}"] = buffer.getvalue()
    finally:
        for module_name in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module_name]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for source in sorted(REPO_LAYOUT_DIR.rglob("*")):
            if source.is_file() and "__pycache__" not in source.parts:
                zf.write(source, source.relative_to(REPO_LAYOUT_DIR).as_posix())
        for arcname, data in weights.items():
            zf.writestr(arcname, data)
    return path
