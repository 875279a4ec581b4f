"""Sample outputs of a submission's public-split run, read from the content-addressed store.

Only ``Submission.public_outputs_sha256`` is ever looked up here, so hidden-split outputs
(addressed from evaluations) can never be served, whatever name a client asks for. The
gallery's inputs come only from the competition's public dev set (downloadable anyway), and
only files its pairs name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from arena.core.imageset import CONTENT_DIR, STYLE_DIR, Pair, PairsError, read_pairs
from arena.core.models import Competition, Submission
from arena.core.settings import Settings
from arena.core.store.datasets import dataset_path
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


@dataclass(frozen=True)
class Triplet:
    """One public pair as the gallery shows it: content | style | output."""

    pair_id: str
    content: str
    style: str
    output: str  # the output file name (``<pair_id>.png``)


def public_pairs(settings: Settings, competition: Competition) -> list[Pair]:
    """The pairs of the competition's public dev set (its pairs.csv in the store); [] when there is none."""
    version = competition.public_dataset
    if version is None:
        return []
    try:
        return read_pairs(dataset_path(settings, version))
    except PairsError:
        return []


def gallery_triplets(settings: Settings, submission: Submission, limit: int = MAX_GALLERY) -> list[Triplet]:
    """Up to ``limit`` public pairs with this submission's output, in the dev set's pair order."""
    names = set(gallery_images(settings, submission, limit=10**6))
    pairs = public_pairs(settings, submission.competition)
    return [Triplet(p.pair_id, p.content, p.style, f"{p.pair_id}.png") for p in pairs
            if f"{p.pair_id}.png" in names][:limit]


def input_file(settings: Settings, competition: Competition, kind: str, name: str) -> Path | None:
    """A content or style image of the public dev set, only when a public pair names it (else None)."""
    if kind not in (CONTENT_DIR, STYLE_DIR) or competition.public_dataset is None:
        return None
    allowed = {getattr(p, "content" if kind == CONTENT_DIR else "style") for p in public_pairs(settings, competition)}
    if name not in allowed:
        return None
    path = dataset_path(settings, competition.public_dataset) / kind / name
    return path if path.is_file() else None
