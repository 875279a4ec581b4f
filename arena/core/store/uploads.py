"""Content-addressed storage of accepted uploads under ``settings.uploads_dir/<sha256>``."""
from __future__ import annotations

from pathlib import Path

from arena.core.files import copy_atomic
from arena.core.settings import Settings


def upload_path(settings: Settings, sha256: str) -> Path:
    """Where the upload with this sha256 lives (whether or not it exists)."""
    return settings.uploads_dir / sha256


def store_upload(settings: Settings, path: Path, sha256: str) -> Path:
    """Place a validated upload at ``uploads_dir/<sha256>`` (idempotent); returns that path."""
    dest = upload_path(settings, sha256)
    if not dest.is_file():
        # Workers on other hosts reading the shared volume never see a partial file.
        copy_atomic(path, dest)
    return dest
