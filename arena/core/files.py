"""Small file helpers every store shares: hashing a file, and writing aside then renaming.

Files on the shared storage path are read by processes on other hosts; writing to a
temporary name beside the target and renaming it means a reader sees either no file or the
whole file, never half of one.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHUNK = 1 << 20
# Stored files are read by the sandbox's unprivileged user through hard links.
FILE_MODE = 0o644
DIR_MODE = 0o755


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def written_aside(target: Path, mode: int = FILE_MODE) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed onto ``target``.

    On an exception the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:24]}-", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half a file)."""
    with written_aside(path, mode) as tmp:
        tmp.write_bytes(data)


def copy_atomic(source: Path, target: Path, mode: int = FILE_MODE) -> None:
    """Copy ``source`` onto ``target`` through a temporary file and a rename."""
    with written_aside(target, mode) as tmp:
        shutil.copyfile(source, tmp)
