"""Where try-it images live: content-addressed PNGs under ``settings.data_dir/tryit``.

Only bytes ``tryit_images.clean_image`` wrote are stored here (the visitor's re-encoded photo
and style, the re-encoded result). Addresses are shared: two requests with the same photo
name one file, so the sweep deletes a file only once no live request names it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from arena.core.files import written_aside
from arena.core.settings import Settings


def tryit_dir(settings: Settings) -> Path:
    """The root of the try-it store."""
    return Path(settings.data_dir) / "tryit"


def tryit_path(settings: Settings, sha256: str) -> Path:
    """The stored PNG with this sha256 (whether or not it exists)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 address: {sha256!r}")
    return tryit_dir(settings) / sha256[:2] / f"{sha256}.png"


def store_png(settings: Settings, png: bytes) -> str:
    """Store re-encoded PNG bytes (idempotent); returns their sha256."""
    sha256 = hashlib.sha256(png).hexdigest()
    target = tryit_path(settings, sha256)
    if not target.is_file():
        with written_aside(target) as tmp:
            tmp.write_bytes(png)
    return sha256
