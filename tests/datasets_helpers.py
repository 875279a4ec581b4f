"""Small on-disk datasets for the dataset and CLI tests (not a test module)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image


def write_image(path: Path, seed: int, size: tuple[int, int] = (64, 72), mode: str = "RGB", fmt: str = "PNG") -> None:
    """A deterministic noise image (distinct per seed)."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    img = Image.fromarray(arr, "RGB")
    if mode != "RGB":
        img = img.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format=fmt)


def make_dataset(root: Path, name: str = "tiny", split: str | None = "public", n_content: int = 2,
                 n_style: int = 2, seed: int = 0, references_per_style: int = 0, **manifest_extra) -> Path:
    """A valid dataset directory with every content image paired with every style image.

    With ``references_per_style`` it is a format-2 set with that many held-out references per style.
    """
    content = [f"c{i}.png" for i in range(n_content)]
    style = [f"s{i}.png" for i in range(n_style)]
    for i, f in enumerate(content):
        write_image(root / "content" / f, seed * 100 + i)
    for i, f in enumerate(style):
        write_image(root / "style" / f, seed * 100 + 50 + i)
    pairs = [{"pair_id": f"p{ci}{si}", "content": c, "style": s}
             for ci, c in enumerate(content) for si, s in enumerate(style)]
    manifest = {"format": 1, "name": name, "licence": "CC0 test images", "content": content,
                "style": style, "pairs": pairs, **manifest_extra}
    if references_per_style:
        refs = [{"file": f"r{si}-{k}.png", "style": s} for si, s in enumerate(style) for k in range(references_per_style)]
        for i, ref in enumerate(refs):
            write_image(root / "references" / ref["file"], seed * 100 + 80 + i)
        manifest.update(format=2, references=refs)
    if split is not None:
        manifest["split"] = split
    write_manifest(root, manifest)
    return root


def read_manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())


def write_manifest(root: Path, manifest: dict) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1))


def publish_small_sets(session, settings, tmp: Path):
    """A public and a hidden (format 2, with references) version of 64x72 noise images, published."""
    from arena.services.publishing import publish

    public = publish(session, settings, make_dataset(tmp / "pub", name="guide-public"), reference_stats=None).version
    hidden = publish(session, settings, make_dataset(tmp / "hid", name="guide-hidden", split="hidden", seed=3,
                                                     references_per_style=1), reference_stats=None).version
    return public, hidden
