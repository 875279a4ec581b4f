"""Checks run on every image and on the structure of a dataset before it is published.

RGB policy (documented in ``datasets/FORMAT.md``): 8-bit RGB PNG and JPEG files are kept
byte for byte; anything else that decodes (grey, palette, alpha, 16-bit, CMYK, WebP, BMP,
TIFF, static GIF) is converted to 8-bit RGB — alpha composited over white — and stored as
PNG under the same stem. Every problem message starts with the offending file's name.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from arena.core.datasets.errors import DatasetError
from arena.core.enums import DatasetSplit
from arena.core.imageset import CONTENT_DIR, PAIR_ID_RE, REFERENCES_DIR, STYLE_DIR
from arena.core.datasets.manifest import FILE_RE, ImageEntry, Manifest
from arena.core.datasets.perceptual import Labelled, find_matches

MIN_SIDE = 64
MAX_SIDE = 4096
MAX_PIXELS = 16_777_216
ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF"})
# Formats whose 8-bit RGB files are stored unchanged (every decoder downstream reads them).
KEPT_FORMATS = frozenset({"PNG", "JPEG"})


@dataclass(frozen=True)
class NormalisedImage:
    """The bytes that will be stored for one image, and what they decode to."""

    file: str
    data: bytes
    width: int
    height: int
    converted: bool
    converted_from: str = ""  # e.g. "CMYK JPEG": what the source was, when it was converted

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any decoded mode to 8-bit RGB; alpha is composited over white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return img.convert("RGB")


def normalise_image(path: Path, name: str | None = None) -> NormalisedImage:
    """Decode and check one image and return the bytes to store (see the RGB policy above).

    Raises:
        DatasetError: unreadable, not an allowed format, animated, too small or too large.
    """
    name = name or path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError("unreadable_image", f"{name}: cannot be read ({exc.strerror}).") from None
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning is an error here: we reject by size below anyway.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(raw))
            fmt = img.format or ""
            if fmt not in ALLOWED_FORMATS:
                raise DatasetError("bad_format", f"{name}: format {fmt or 'unknown'} is not allowed (use PNG or JPEG).")
            width, height = img.size
            if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                raise DatasetError("image_too_large", f"{name}: {width}x{height} is larger than {MAX_SIDE}px a side / {MAX_PIXELS} pixels.")
            if getattr(img, "n_frames", 1) > 1:
                raise DatasetError("animated_image", f"{name}: animated or multi-page images are not allowed.")
            img.load()
    except DatasetError:
        raise
    except UnidentifiedImageError:
        # PIL's own text names the in-memory buffer (`<_io.BytesIO object at 0x...>`), not the file.
        raise DatasetError("undecodable_image", f"{name}: not a decodable image (the bytes are not a PNG or "
                                                "JPEG file; re-export it as PNG or JPEG).") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise DatasetError("undecodable_image", f"{name}: not a decodable image ({exc}).") from None
    if width < MIN_SIDE or height < MIN_SIDE:
        raise DatasetError("image_too_small", f"{name}: {width}x{height} is smaller than the minimum {MIN_SIDE}x{MIN_SIDE}.")
    if fmt in KEPT_FORMATS and img.mode == "RGB":
        return NormalisedImage(file=name, data=raw, width=width, height=height, converted=False)
    out = io.BytesIO()
    _to_rgb(img).save(out, format="PNG", optimize=False, compress_level=6)
    stored_name = Path(name).stem + ".png"
    return NormalisedImage(file=stored_name, data=out.getvalue(), width=width, height=height, converted=True,
                           converted_from=f"{img.mode} {fmt}")


def check_structure(manifest: Manifest, source_dir: Path) -> list[str]:
    """Problems with names, duplicates, missing files and dangling or unused pair references."""
    problems: list[str] = []
    for kind, entries, folder in (("content", manifest.content, CONTENT_DIR), ("style", manifest.style, STYLE_DIR)):
        counts = Counter(e.file for e in entries)
        for file, n in sorted(counts.items()):
            if n > 1:
                problems.append(f"{folder}/{file}: listed {n} times in '{kind}'.")
        for entry in entries:
            if not FILE_RE.match(entry.file):
                problems.append(f"{folder}/{entry.file}: not a plain file name (letters, digits, '.', '_', '-').")
            elif not (source_dir / folder / entry.file).is_file():
                problems.append(f"{folder}/{entry.file}: listed in the manifest but the file does not exist.")
    content_files = {e.file for e in manifest.content}
    style_files = {e.file for e in manifest.style}
    for pair_id, n in sorted(Counter(p.pair_id for p in manifest.pairs).items()):
        if n > 1:
            problems.append(f"pairs: pair_id '{pair_id}' is used {n} times.")
    seen_combos: dict[tuple[str, str], str] = {}
    for pair in manifest.pairs:
        if not PAIR_ID_RE.match(pair.pair_id):
            problems.append(f"pairs: pair_id '{pair.pair_id}' must be 1-80 letters, digits, '_' or '-'.")
        if pair.content not in content_files:
            problems.append(f"content/{pair.content}: referenced by pair '{pair.pair_id}' but not listed in 'content'.")
        if pair.style not in style_files:
            problems.append(f"style/{pair.style}: referenced by pair '{pair.pair_id}' but not listed in 'style'.")
        combo = (pair.content, pair.style)
        if combo in seen_combos:
            problems.append(f"pairs: '{pair.pair_id}' repeats the pair '{seen_combos[combo]}' ({pair.content} + {pair.style}).")
        seen_combos.setdefault(combo, pair.pair_id)
    used_content = {p.content for p in manifest.pairs}
    used_style = {p.style for p in manifest.pairs}
    problems += [f"content/{f}: listed but used by no pair." for f in sorted(content_files - used_content)]
    problems += [f"style/{f}: listed but used by no pair." for f in sorted(style_files - used_style)]
    return problems + check_references_structure(manifest, source_dir)


def check_references_structure(manifest: Manifest, source_dir: Path) -> list[str]:
    """Problems with the held-out references: names, files, the styles they belong to, coverage.

    A format-2 hidden version needs at least one reference for every style; a public one may
    have none (its references, when given, let participants score locally as the platform does).
    """
    problems: list[str] = []
    style_files = {e.file for e in manifest.style}
    for file, n in sorted(Counter(r.file for r in manifest.references).items()):
        if n > 1:
            problems.append(f"{REFERENCES_DIR}/{file}: listed {n} times in 'references'.")
    for ref in manifest.references:
        if not FILE_RE.match(ref.file):
            problems.append(f"{REFERENCES_DIR}/{ref.file}: not a plain file name (letters, digits, '.', '_', '-').")
        elif not (source_dir / REFERENCES_DIR / ref.file).is_file():
            problems.append(f"{REFERENCES_DIR}/{ref.file}: listed in the manifest but the file does not exist.")
        if ref.style not in style_files:
            problems.append(f"{REFERENCES_DIR}/{ref.file}: belongs to style '{ref.style}', which is not listed in 'style'.")
    if manifest.format_version >= 2 and manifest.split == DatasetSplit.HIDDEN:
        covered = {r.style for r in manifest.references}
        problems += [f"style/{f}: has no held-out reference; a hidden set judges each style against "
                     f"other images of it (add them under 'references')." for f in sorted(style_files - covered)]
    return problems


def find_conditioning_copies(references: list[Labelled], shown: list[Labelled]) -> list[str]:
    """Problems for references that equal, or nearly equal, an image the generator is shown.

    The same test as the split-leak check (``perceptual.find_matches``).

    Args:
        references: each reference image, labelled with its path.
        shown: each conditioning style image and content image.
    """
    problems = []
    for m in find_matches(references, shown):
        if m.exact:
            problems.append(f"{m.image.label}: identical to {m.other.label}, which the generator sees; a reference "
                            f"must be another image of the style.")
        else:
            problems.append(f"{m.image.label}: a near-duplicate of {m.other.label} ({m.bits} of 64 hash bits and "
                            f"{m.levels} grey levels apart), which the generator sees; use another image of the style.")
    return problems


def check_declared_hash(entry: ImageEntry, raw_sha256: str, folder: str) -> list[str]:
    """A problem when the manifest declares a sha256 that the source file does not have."""
    if entry.sha256 and entry.sha256 != raw_sha256:
        return [f"{folder}/{entry.file}: sha256 {raw_sha256[:12]}... does not match the manifest's {entry.sha256[:12]}..."]
    return []


def find_duplicates(images: list[tuple[str, str]]) -> list[str]:
    """Problems for identical images, given ``(path label, sha256)`` for each stored image."""
    by_hash: dict[str, list[str]] = defaultdict(list)
    for label, sha in images:
        by_hash[sha].append(label)
    return [f"{labels[0]}: identical to {', '.join(labels[1:])}." for labels in by_hash.values() if len(labels) > 1]
