"""Bounded handling of what comes out of a container: its log and its output archive.

Both are participant-controlled bytes: the log is capped while it streams (head and tail
kept), and the output tar is parsed member by member without ever creating a link or
writing outside the output directory.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tarfile
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

from sandbox.errors import InvalidOutput

_OUTPUT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$")
MAX_REPORT_BYTES = 1 << 20


class LogBuffer:
    """Keeps the first and last ``cap // 2`` bytes of a stream and counts what was dropped."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        # Fed by a reader thread while the runner may already read it (lingering children).
        self._lock = threading.Lock()
        self._head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_len = 0
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        """Add one chunk of output."""
        with self._lock:
            self._feed(chunk)

    def _feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.cap // 2 - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        tail_cap = self.cap - self.cap // 2
        chunk = chunk[-tail_cap:]
        self._tail.append(chunk)
        self._tail_len += len(chunk)
        while self._tail_len - len(self._tail[0]) >= tail_cap:
            self._tail_len -= len(self._tail.popleft())

    @property
    def dropped(self) -> int:
        """Bytes received but not kept."""
        return self.total - len(self._head) - self._kept_tail_len()

    def _kept_tail_len(self) -> int:
        return min(self._tail_len, self.cap - self.cap // 2)

    def text(self) -> str:
        """The kept log as text, with a marker where output was dropped."""
        with self._lock:
            return self._text()

    def _text(self) -> str:
        tail = b"".join(self._tail)
        tail = tail[len(tail) - self._kept_tail_len():]
        middle = f"\n[... {self.dropped} bytes of output dropped ...]\n".encode() if self.dropped else b""
        return (bytes(self._head) + middle + tail).decode("utf-8", errors="replace")


def extract_outputs(archive: IO[bytes], output_dir: Path, max_members: int) -> dict[str, Any]:
    """Unpack ``images/*.png`` of the container's /out tar into ``output_dir``; return report.json.

    Only regular files with plain names are written (``O_EXCL|O_NOFOLLOW``); anything else
    under ``images/`` is rejected, and files elsewhere in /out are ignored.

    Raises:
        InvalidOutput: ``symlink`` for links, ``extra_output`` for other entries or too many.
    """
    report: dict[str, Any] = {}
    count = 0
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=archive, mode="r|") as tar:
            for member in tar:
                count += 1
                if count > max_members:
                    raise InvalidOutput("extra_output", f"The output directory holds more than {max_members} entries.")
                name = member.name[2:] if member.name.startswith("./") else member.name
                if name in ("", ".", "images") and member.isdir():
                    continue
                if name == "report.json" and member.isfile() and member.size <= MAX_REPORT_BYTES:
                    report = _parse_report(tar.extractfile(member))
                    continue
                if not name.startswith("images/"):
                    continue
                file_name = name[len("images/"):]
                if member.issym() or member.islnk():
                    raise InvalidOutput("symlink", f"Output {file_name!r} is a link; write regular PNG files.")
                if not member.isfile() or not _OUTPUT_NAME.match(file_name):
                    raise InvalidOutput("extra_output", f"Unexpected entry {file_name!r} in the output directory.")
                _write_member(tar.extractfile(member), output_dir / file_name)
    except tarfile.TarError as exc:
        raise InvalidOutput("unreadable_output", f"The outputs could not be collected ({exc}).") from exc
    return report


def _write_member(source: IO[bytes] | None, dest: Path) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(dest, flags, 0o644)
    with os.fdopen(fd, "wb") as out:
        if source is not None:
            shutil.copyfileobj(source, out, 1 << 20)


def _parse_report(source: IO[bytes] | None) -> dict[str, Any]:
    """The harness's report; the generator could have rewritten it, so it is informational."""
    if source is None:
        return {}
    try:
        report = json.loads(source.read(MAX_REPORT_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}
