"""Content-addressed storage of dataset files under ``settings.datasets_dir``.

Layout::

    datasets_dir/blobs/<sha[:2]>/<sha>          every stored image, named by its sha256
    datasets_dir/<manifest_sha256>/             one published version, in the image-set
        manifest.json  pairs.csv                layout: content/ and style/ hold hard links
        content/<file>  style/<file>            to the blobs (copies across file systems)

A version directory is built under a temporary name and renamed into place, so a reader
never sees half a version, and publishing twice finds it already there.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from arena.core.datasets.errors import DatasetError
from arena.core.imageset import CONTENT_DIR, PAIRS_NAME, REFERENCES_DIR, STYLE_DIR
from arena.core.datasets.manifest import MANIFEST_NAME, Manifest
from arena.core.models import DatasetVersion
from arena.core.files import DIR_MODE, FILE_MODE, write_atomic
from arena.core.settings import Settings


def blob_path(settings: Settings, sha256: str) -> Path:
    """Where the blob with this sha256 lives (whether or not it exists)."""
    return settings.datasets_dir / "blobs" / sha256[:2] / sha256


def put_blob(settings: Settings, data: bytes) -> str:
    """Store bytes content-addressed; returns their sha256 (storing twice is a no-op)."""
    sha = hashlib.sha256(data).hexdigest()
    path = blob_path(settings, sha)
    if not path.exists():
        write_atomic(path, data)
    return sha


def link_or_copy(src: Path, dest: Path) -> None:
    """Hard-link ``src`` to ``dest``; copy when they are on different file systems."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)
        os.chmod(dest, FILE_MODE)


def version_dir(settings: Settings, manifest_sha256: str) -> Path:
    """The directory of one published version."""
    return settings.datasets_dir / manifest_sha256


class StoredVersion(Protocol):
    """What the store needs of a published version: a ``DatasetVersion`` row or a ``DatasetRef``."""

    @property
    def manifest_sha256(self) -> str: ...

    @property
    def storage_path(self) -> str: ...


@dataclass(frozen=True)
class DatasetRef:
    """A published version as a plain value: what staging needs, without a detached ORM row."""

    id: int
    manifest_sha256: str
    storage_path: str
    # The public/private board split recorded at publish (``arena.core.datasets.board_split``); None: not split.
    board_fraction: float | None = None
    board_seed: int | None = None
    board_split_sha256: str | None = None

    @classmethod
    def of(cls, version: DatasetVersion) -> DatasetRef:
        """The reference of a ``DatasetVersion`` row."""
        return cls(version.id, version.manifest_sha256, version.storage_path, version.board_public_fraction,
                   version.board_split_seed, version.board_split_sha256)


def dataset_path(settings: Settings, version: StoredVersion) -> Path:
    """The stored directory of a version (``storage_path`` is relative to datasets_dir)."""
    return settings.datasets_dir / version.storage_path


def write_version(settings: Settings, manifest: Manifest) -> Path:
    """Materialise a canonical manifest's version directory from the blobs; idempotent.

    Raises:
        DatasetError: a blob the manifest names is missing from the store.
    """
    sha = manifest.sha256
    final = version_dir(settings, sha)
    if (final / MANIFEST_NAME).is_file():
        return final
    tmp = settings.datasets_dir / f".tmp-{sha[:12]}-{uuid.uuid4().hex[:8]}"
    try:
        for folder, entries in ((CONTENT_DIR, manifest.content), (STYLE_DIR, manifest.style),
                                (REFERENCES_DIR, manifest.references)):
            (tmp / folder).mkdir(parents=True, mode=DIR_MODE)
            for entry in entries:
                blob = blob_path(settings, entry.sha256)
                if not blob.is_file():
                    raise DatasetError("missing_blob", f"{folder}/{entry.file}: blob {entry.sha256} is not in the store.")
                link_or_copy(blob, tmp / folder / entry.file)
        (tmp / PAIRS_NAME).write_text(manifest.pairs_csv(), encoding="utf-8")
        # The manifest goes in last: its presence marks a complete version.
        (tmp / MANIFEST_NAME).write_bytes(manifest.canonical_bytes())
        for path in (tmp, tmp / PAIRS_NAME, tmp / MANIFEST_NAME):
            os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)
        if final.exists():
            # An incomplete leftover of an interrupted publish (no manifest.json).
            shutil.rmtree(final)
        try:
            os.replace(tmp, final)
        except OSError:
            # Another publisher of the same version won the rename; theirs is identical.
            if not (final / MANIFEST_NAME).is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def read_stored_manifest(settings: Settings, version: StoredVersion) -> bytes:
    """The canonical manifest bytes of a published version, checked against its id.

    Raises:
        DatasetError: the files are missing or do not match the recorded hash.
    """
    path = dataset_path(settings, version) / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except OSError:
        raise DatasetError("dataset_missing", f"{path}: the files of dataset version {version.manifest_sha256[:12]} are missing; publish it again.") from None
    if hashlib.sha256(data).hexdigest() != version.manifest_sha256:
        raise DatasetError("dataset_corrupt", f"{path}: does not match dataset version {version.manifest_sha256[:12]}.")
    return data
