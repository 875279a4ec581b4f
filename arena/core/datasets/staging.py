"""Materialising a published version's image-set layout for one run (sandbox and scorer)."""
from __future__ import annotations

import json
from pathlib import Path

from arena.core.store import datasets as store
from arena.core.store.datasets import StoredVersion
from arena.core.datasets.errors import DatasetError
from arena.core.files import sha256_file
from arena.core.imageset import CONTENT_DIR, PAIRS_NAME, REFERENCES_DIR, STYLE_DIR
from arena.core.settings import Settings


def stage_dataset(settings: Settings, dataset_version: StoredVersion, dest: Path, verify: bool = True) -> Path:
    """Lay out ``content/``, ``style/`` and ``pairs.csv`` of a version in ``dest``; returns ``dest``.

    Files are hard links to the store (copies across file systems). With ``verify`` every
    file's sha256 is checked against the manifest first, so a run never scores bytes other
    than the ones the version id pins.

    Raises:
        DatasetError: the stored files are missing, altered, or ``dest`` is not empty.
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise DatasetError("stage_not_empty", f"{dest}: staging needs an empty directory.")
    manifest = json.loads(store.read_stored_manifest(settings, dataset_version))
    source = store.dataset_path(settings, dataset_version)
    for folder, key in ((CONTENT_DIR, "content"), (STYLE_DIR, "style")):
        (dest / folder).mkdir(parents=True, exist_ok=True, mode=store.DIR_MODE)
        for entry in manifest[key]:
            src = source / folder / entry["file"]
            if not src.is_file():
                raise DatasetError("dataset_missing", f"{folder}/{entry['file']}: missing from stored version {dataset_version.manifest_sha256[:12]}.")
            if verify and sha256_file(src) != entry["sha256"]:
                raise DatasetError("dataset_corrupt", f"{folder}/{entry['file']}: altered in stored version {dataset_version.manifest_sha256[:12]}.")
            store.link_or_copy(src, dest / folder / entry["file"])
    store.link_or_copy(source / PAIRS_NAME, dest / PAIRS_NAME)
    return dest


def stage_references(settings: Settings, dataset_version: StoredVersion, dest: Path,
                     verify: bool = True) -> dict[str, list[Path]] | None:
    """Lay out a version's held-out references in ``dest``; returns style file -> its references.

    None for a version without references (format 1: FID is then measured against the
    conditioning style images). The references are staged apart from the sandbox's inputs:
    no generator ever sees them.

    Raises:
        DatasetError: the stored files are missing or altered.
    """
    manifest = stored_manifest(settings, dataset_version)
    entries = manifest.get("references") or []
    if not entries:
        return None
    source = store.dataset_path(settings, dataset_version) / REFERENCES_DIR
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True, mode=store.DIR_MODE)
    by_style: dict[str, list[Path]] = {}
    for entry in entries:
        src = source / entry["file"]
        if not src.is_file():
            raise DatasetError("dataset_missing", f"{REFERENCES_DIR}/{entry['file']}: missing from stored version {dataset_version.manifest_sha256[:12]}.")
        if verify and sha256_file(src) != entry["sha256"]:
            raise DatasetError("dataset_corrupt", f"{REFERENCES_DIR}/{entry['file']}: altered in stored version {dataset_version.manifest_sha256[:12]}.")
        store.link_or_copy(src, dest / entry["file"])
        by_style.setdefault(entry["style"], []).append(dest / entry["file"])
    return by_style


def stored_manifest(settings: Settings, dataset_version: StoredVersion) -> dict:
    """The canonical manifest of a published version as a dict (checked against its id)."""
    return json.loads(store.read_stored_manifest(settings, dataset_version))
