"""Sample outputs of a submission's public-split run, read from the content-addressed store.

Only ``Submission.public_outputs_sha256`` is ever looked up here, so hidden-split outputs
(addressed from evaluations) can never be served, whatever name a client asks for.
"""
from __future__ import annotations

import re
from pathlib import Path

from arena.core.models import Submission
from arena.core.settings import Settings
from arena.core.store.outputs import outputs_path

IMAGE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.png$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_GALLERY = 24


def outputs_dir(settings: Settings, submission: Submission) -> Path | None:
    """The stored public outputs of ``submission``, or None when there are none."""
    sha = submission.public_outputs_sha256
    if not sha or not SHA_RE.match(sha):
        return None
    directory = outputs_path(settings, sha)
    return directory if directory.is_dir() else None


def gallery_images(settings: Settings, submission: Submission, limit: int = MAX_GALLERY) -> list[str]:
    """File names of up to ``limit`` public output images, sorted by name."""
    directory = outputs_dir(settings, submission)
    if directory is None:
        return []
    names = sorted(p.name for p in directory.iterdir() if p.is_file() and IMAGE_NAME_RE.match(p.name))
    return names[:limit]


def gallery_file(settings: Settings, submission: Submission, name: str) -> Path | None:
    """The path of one public output image, or None (bad name, no outputs, missing file)."""
    directory = outputs_dir(settings, submission)
    if directory is None or not IMAGE_NAME_RE.match(name):
        return None
    path = directory / name
    return path if path.is_file() else None
