"""The public dev set as one zip, built once per immutable dataset version and cached."""
from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from arena.core.errors import NotFound
from arena.core.models import DatasetVersion
from arena.core.settings import Settings


def dataset_zip(settings: Settings, version: DatasetVersion) -> Path:
    """A zip of the version's stored files (built on first request); raises NotFound."""
    source = (settings.datasets_dir / version.storage_path).resolve()
    if not source.is_dir() or settings.datasets_dir.resolve() not in source.parents:
        raise NotFound("dataset_missing", "The dev set's files are not available on this server.")
    target = settings.cache_dir / "downloads" / f"{version.manifest_sha256}.zip"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write aside and rename, so concurrent requests never serve a half-written zip.
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for path in sorted(source.rglob("*")):
                if path.is_file():  # stored files may be links into the blob store
                    zf.write(path, arcname=f"{version.name}/{path.relative_to(source).as_posix()}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
