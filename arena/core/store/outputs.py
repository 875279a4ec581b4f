"""Content-addressed storage of validated generator outputs under ``settings.outputs_dir``.

A run's outputs are kept under the sha256 of their listing (file names and file hashes), so a
scorer-only rescore reads them back instead of running the generator again, and the public
gallery of a submission points at its smoke run's outputs by the same kind of address.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from arena.core.files import sha256_file
from arena.core.settings import Settings

# Outputs are PNGs plus the harness report; anything else was rejected by validation.
STORED_SUFFIXES = (".png",)


class OutputsMissing(LookupError):
    """No stored outputs under that address (deleted, or never stored on this volume)."""


def outputs_digest(directory: Path) -> str:
    """The content address of a directory of outputs: sha256 over sorted ``name  sha256`` lines."""
    lines = [
        f"{path.name}  {sha256_file(path)}\n"
        for path in sorted(directory.iterdir())
        if path.is_file() and path.suffix in STORED_SUFFIXES
    ]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def outputs_path(settings: Settings, sha256: str) -> Path:
    """Where the outputs with this address live (whether or not they exist)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 address: {sha256!r}")
    return settings.outputs_dir / sha256[:2] / sha256


def store_outputs(settings: Settings, directory: Path) -> str:
    """Copy the outputs in ``directory`` into the store (idempotent); returns their address."""
    sha256 = outputs_digest(directory)
    dest = outputs_path(settings, sha256)
    if dest.is_dir():
        return sha256
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Copy beside the destination, then rename: readers never see a half-written set, and two
    # workers storing the same outputs at once both end with the same complete directory.
    staging = Path(tempfile.mkdtemp(prefix=f".{sha256[:12]}-", dir=dest.parent))
    try:
        for path in sorted(directory.iterdir()):
            if path.is_file() and path.suffix in STORED_SUFFIXES:
                shutil.copyfile(path, staging / path.name)
        os.rename(staging, dest)
    except OSError:
        if not dest.is_dir():
            raise
        # Another worker stored the same outputs first: theirs are identical by construction.
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return sha256


def load_outputs(settings: Settings, sha256: str) -> Path:
    """The stored outputs directory for an address.

    Raises:
        OutputsMissing: nothing is stored under that address.
    """
    path = outputs_path(settings, sha256)
    if not path.is_dir():
        raise OutputsMissing(f"no stored outputs {sha256[:12]}")
    return path


def has_outputs(settings: Settings, sha256: str | None) -> bool:
    """Whether outputs with this address are stored."""
    return bool(sha256) and outputs_path(settings, sha256).is_dir()
