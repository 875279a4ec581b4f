"""Bounded handling of what comes out of a container: its log and its output archive.

Both are participant-controlled bytes: the log is capped while it streams (head and tail
kept), and the output tar is parsed member by member without ever creating a link or
writing outside the output directory. Whatever the bytes, only ``SandboxError``s leave
here: a malformed archive or report is the participant's ``InvalidOutput``, a failing
host disk the platform's ``SandboxUnavailable``.
"""
from __future__ import annotations

import json
import math
import os
import re
import tarfile
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

from sandbox.errors import InvalidOutput, SandboxUnavailable
from sandbox.harness.seeding import REPEAT_DIR

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
        # NUL is valid UTF-8 but PostgreSQL text cannot hold it, and the log is stored.
        return (bytes(self._head) + middle + tail).decode("utf-8", errors="replace").replace("\0", "\ufffd")


def extract_outputs(archive: IO[bytes], output_dir: Path, max_members: int,
                    repeat_dir: Path | None = None) -> dict[str, Any]:
    """Unpack ``images/*.png`` of the container's /out tar into ``output_dir``; return report.json.

    Only regular files with plain names are written (``O_EXCL|O_NOFOLLOW``); anything else
    under ``images/`` is rejected, and files elsewhere in /out are ignored. With
    ``repeat_dir`` the repeat pass's ``repeat/*.png`` (``harness/seeding.py``) go there under
    exactly the same rules; without it they are ignored like any other file. The report is
    parsed strictly (``parse_report``); an archive without one returns ``{}``.

    Raises:
        InvalidOutput: ``symlink`` for links, ``extra_output`` for other entries, duplicates or
            too many, ``bad_report`` for a report that is not the harness's shape,
            ``unreadable_output`` for bytes that are not a tar stream.
        SandboxUnavailable: ``storage_error`` when the host cannot write the files.
    """
    report: dict[str, Any] = {}
    count = 0
    folders = {"images": output_dir}
    if repeat_dir is not None:
        folders[REPEAT_DIR] = repeat_dir
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=archive, mode="r|") as tar:
            for member in tar:
                count += 1
                if count > max_members:
                    raise InvalidOutput("extra_output", f"The output directory holds more than {max_members} entries.")
                name = member.name.removeprefix("./")
                if (name in ("", ".") or name in folders) and member.isdir():
                    continue
                if name == "report.json":
                    if not member.isfile() or member.size > MAX_REPORT_BYTES:
                        raise InvalidOutput("bad_report", f"report.json is not a regular file of at most {MAX_REPORT_BYTES} bytes.")
                    source = tar.extractfile(member)
                    report = parse_report(source.read(MAX_REPORT_BYTES) if source is not None else b"")
                    continue
                folder, slash, file_name = name.partition("/")
                if folder not in folders or not slash:
                    continue
                where = "" if folder == "images" else " of the repeat pass (repeat/)"
                if member.issym() or member.islnk():
                    raise InvalidOutput("symlink", f"Output {file_name!r}{where} is a link; write regular PNG files.")
                if not member.isfile() or not _OUTPUT_NAME.fullmatch(file_name):
                    raise InvalidOutput("extra_output", f"Unexpected entry {file_name!r}{where} in the output directory.")
                _write_member(tar.extractfile(member), folders[folder] / file_name)
    # tarfile reports most damage as TarError, but a few malformed headers surface as
    # ValueError/OverflowError/EOFError from its number and block parsing.
    except (tarfile.TarError, ValueError, OverflowError, EOFError) as exc:
        raise InvalidOutput("unreadable_output", f"The outputs could not be collected ({type(exc).__name__}).") from exc
    return report


def _write_member(source: IO[bytes] | None, dest: Path) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(dest, flags, 0o644)
    except FileExistsError as exc:  # a tar of a directory never names a file twice
        raise InvalidOutput("extra_output", f"Output {dest.name!r} appears twice in the output archive.") from exc
    except OSError as exc:
        raise SandboxUnavailable("storage_error", f"The worker could not store an output: {exc.strerror}.") from exc
    with os.fdopen(fd, "wb") as out:
        if source is None:
            return
        while chunk := source.read(1 << 20):  # a read may raise TarError: the caller's to map
            try:
                out.write(chunk)
            except OSError as exc:
                raise SandboxUnavailable("storage_error", f"The worker could not store an output: {exc.strerror}.") from exc


# The report as the harness writes it (sandbox/harness/harness.py, ``main``): key -> kind.
# Anything else is dropped; a known key of the wrong kind means the report was tampered with.
_REPORT_SCHEMA = {
    "status": "text", "format": "text", "torch_version": "text", "device": "text", "python": "text",
    "load_s": "number", "total_s": "number", "peak_rss_mb": "number", "peak_cuda_mb": "number",
    "pairs_written": "count", "parameter_count": "count_or_null", "batches": "batches", "error": "error",
    "batch_size": "count", "efficiency": "efficiency",
    "seed": "count", "repeat_seed": "count", "repeat_batches": "batches", "repeat_pairs_written": "count",
}
_BATCH_SCHEMA = {"index": "count", "pairs": "count", "seconds": "number"}
_ERROR_SCHEMA = {"code": "text", "message": "message"}
# The harness's whole-run cost figures (``efficiency`` in harness.py); ranges are checked in sandbox.efficiency.
_EFFICIENCY_SCHEMA = {
    "warmup_pairs": "count", "timed_pairs": "count", "latency_median_ms": "number", "latency_p95_ms": "number",
    "throughput_ips": "number_or_null", "parameter_bytes": "count", "parameter_source": "text",
}
_NESTED = {"error": _ERROR_SCHEMA, "batch": _BATCH_SCHEMA, "efficiency": _EFFICIENCY_SCHEMA}
_TEXT_CHARS, _MESSAGE_CHARS = 200, 2000
_MAX_BATCHES = 100_000
# Counts and timings a JSON column, a BIGINT and a float all hold exactly.
_MAX_NUMBER = float(2**53)


def parse_report(data: bytes) -> dict[str, Any]:
    """The harness's report.json, parsed strictly into plain, bounded values.

    The generator could have rewritten it, so it is informational only, and parsed as
    hostile bytes: UTF-8 JSON without NaN/Infinity, no numbers beyond 2**53, bounded nesting;
    a JSON object whose known keys have the harness's types (unknown keys are dropped); text
    is truncated and stripped of NUL and unpaired surrogates, which databases refuse.

    Raises:
        InvalidOutput: ``bad_report``, naming what is wrong.
    """
    try:
        raw = json.loads(data.decode("utf-8"), parse_constant=_reject_constant, parse_int=_bounded_int,
                         parse_float=_bounded_float)
    except RecursionError as exc:  # the C decoder's guard against deep nesting
        raise InvalidOutput("bad_report", "report.json is nested too deeply.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidOutput("bad_report", f"report.json is not valid JSON ({str(exc)[:120]}).") from exc
    if not isinstance(raw, dict):
        raise InvalidOutput("bad_report", f"report.json holds a JSON {type(raw).__name__}, not an object.")
    return _clean_object(raw, _REPORT_SCHEMA, "report.json")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 16:
        raise ValueError(f"number {text[:20]}... is too large")
    return int(text)


def _bounded_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > _MAX_NUMBER:
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _clean_object(raw: dict[str, Any], schema: dict[str, str], where: str) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, kind in schema.items():
        if key in raw:
            clean[key] = _clean_value(raw[key], kind, f"{where} field {key!r}")
    return clean


def _clean_value(value: Any, kind: str, where: str) -> Any:
    if kind in ("text", "message") and isinstance(value, str):
        return _clean_text(value, _TEXT_CHARS if kind == "text" else _MESSAGE_CHARS)
    if kind == "count_or_null" and value is None:
        return None
    if kind in ("count", "count_or_null") and _is_number(value, int) and 0 <= value <= _MAX_NUMBER:
        return value
    if kind == "number_or_null" and value is None:
        return None
    if kind in ("number", "number_or_null") and _is_number(value, (int, float)) and abs(value) <= _MAX_NUMBER:
        return value
    if kind in _NESTED and isinstance(value, dict):
        return _clean_object(value, _NESTED[kind], where)
    if kind == "batches" and isinstance(value, list) and len(value) <= _MAX_BATCHES:
        return [_clean_value(batch, "batch", f"{where}[{i}]") for i, batch in enumerate(value)]
    raise InvalidOutput("bad_report", f"{where} is a JSON {_json_kind(value)}, not what the harness writes.")


def _is_number(value: Any, types: type | tuple[type, ...]) -> bool:
    return isinstance(value, types) and not isinstance(value, bool)  # JSON true is not 1


def _clean_text(value: str, cap: int) -> str:
    value = value[:cap]
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in value)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else "object"
