"""The participants' download of a public split: one zip, built once per version."""
from __future__ import annotations

import zipfile
from pathlib import Path

from arena.core.store import datasets as store
from arena.core.datasets.errors import DatasetError
from arena.core.imageset import CONTENT_DIR, PAIRS_NAME, REFERENCES_DIR, STYLE_DIR
from arena.core.datasets.manifest import MANIFEST_NAME
from arena.core.datasets.staging import stored_manifest
from arena.core.enums import DatasetSplit
from arena.core.errors import Forbidden
from arena.core.files import written_aside
from arena.core.models import DatasetVersion
from arena.core.settings import Settings

# A fixed timestamp makes the zip's bytes depend on the version only.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def public_zip_path(settings: Settings, dataset_version: DatasetVersion) -> Path:
    """Where the download zip of a version is cached."""
    return settings.datasets_dir / "downloads" / f"{dataset_version.manifest_sha256}.zip"


def public_download(settings: Settings, dataset_version: DatasetVersion) -> Path:
    """The zip (manifest.json, pairs.csv, content/, style/) of a public version; built once.

    Raises:
        arena.core.errors.Forbidden: the version is hidden — hidden splits never leave the worker.
        DatasetError: the stored files are missing.
    """
    if dataset_version.split != DatasetSplit.PUBLIC:
        raise Forbidden("hidden_dataset", "Hidden dataset versions cannot be downloaded.")
    target = public_zip_path(settings, dataset_version)
    if target.is_file():
        return target
    manifest = stored_manifest(settings, dataset_version)
    source = store.dataset_path(settings, dataset_version)
    prefix = f"{dataset_version.name}-{dataset_version.manifest_sha256[:12]}"
    members = [MANIFEST_NAME, PAIRS_NAME]
    members += [f"{CONTENT_DIR}/{e['file']}" for e in manifest["content"]]
    members += [f"{STYLE_DIR}/{e['file']}" for e in manifest["style"]]
    members += [f"{REFERENCES_DIR}/{e['file']}" for e in manifest.get("references", [])]
    # Written aside and renamed: concurrent requests never serve (or build on) half a zip.
    with written_aside(target) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
        for member in members:
            src = source / member
            if not src.is_file():
                raise DatasetError("dataset_missing", f"{member}: missing from stored version {dataset_version.manifest_sha256[:12]}.")
            info = zipfile.ZipInfo(f"{prefix}/{member}", date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            zf.writestr(info, src.read_bytes())
    return target
