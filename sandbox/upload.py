"""Host-side validation of an uploaded generator, before anything from it runs anywhere.

Nothing here unpickles, ``torch.jit.load``s or imports a submission: the archive is only
listed and streamed through a decompressor so that its real (not declared) sizes are counted.
All three accepted formats are zip archives (``torch.jit.save`` and ``torch.export.save``
write one), so the format is detected from the archive's contents, never from a file name:
a root ``stylearena.toml`` is a package; one top folder whose ``archive_format`` says
``pt2`` is a torch.export program (its ``models/*.json`` is read as JSON, never unpickled,
for the schema version); one top folder with ``data.pkl``, ``constants.pkl`` and ``code/``
is TorchScript.
"""
from __future__ import annotations

import json
import re
import stat
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from arena.core.files import sha256_file
from arena.core.enums import SubmissionFormat
from arena.core.sizes import human_size
from sandbox import environment
from sandbox.errors import UploadRejected

MANIFEST_NAME = "stylearena.toml"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CHUNK = 1 << 20
_ENTRY_POINT = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
_MANIFEST_KEYS = {"entry_point", "batch_size", "resolution", "name", "description", "parameters"}
_FORMAT_HINT = (
    "Upload a TorchScript file saved with torch.jit.save (.pt), a torch.export program saved with "
    "torch.export.save (.pt2) or a .zip package with a stylearena.toml manifest at its root."
)
# The graph JSON of a .pt2 is read only for its schema version; a larger one is left to the harness.
_MAX_EXPORT_JSON_BYTES = 64 << 20


@dataclass(frozen=True)
class ZipLimits:
    """Caps applied while streaming an archive; the defaults suit a 200 MB upload cap."""

    max_entries: int = 10_000
    max_total_uncompressed: int = 4 << 30
    max_ratio: float = 100.0
    # Below this many output bytes an entry's ratio is not judged (tiny text files compress well).
    ratio_grace_bytes: int = 1 << 20
    max_manifest_bytes: int = 64 << 10


@dataclass(frozen=True)
class UploadInfo:
    """What validation learned about an acceptable upload."""

    format: SubmissionFormat
    sha256: str
    size: int
    manifest: dict[str, Any] | None


def validate_upload(path: Path, max_bytes: int, limits: ZipLimits | None = None) -> UploadInfo:
    """Check that ``path`` is an acceptable generator upload, without running any of it.

    Args:
        path: the uploaded file.
        max_bytes: the upload size cap.
        limits: archive caps (entry count, total uncompressed size, compression ratio).

    Returns:
        The detected format, sha256, size and (for packages) the validated manifest.

    Raises:
        UploadRejected: with a code per reason (``too_large``, ``zip_bomb``, ``unsafe_path``...).
    """
    limits = limits or ZipLimits()
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise UploadRejected("empty_file", "The uploaded file is empty. " + _FORMAT_HINT)
    if size > max_bytes:
        raise UploadRejected(
            "too_large", f"The upload is {human_size(size)}; the limit is {human_size(max_bytes)}."
        )
    with path.open("rb") as fh:
        if fh.read(4) not in _ZIP_MAGIC:
            raise UploadRejected("unsupported_format", "The file is not a zip archive. " + _FORMAT_HINT)
    sha256 = sha256_file(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_entries(infos, limits)
            manifest_bytes = _stream_entries(zf, infos, limits)
            names = {info.filename for info in infos}
            if manifest_bytes is not None:
                manifest = parse_manifest(manifest_bytes, names)
                return UploadInfo(SubmissionFormat.PACKAGE, sha256, size, manifest)
            _check_nested_manifest(names)
            if _is_export_archive(zf, names):
                _check_export(zf, names)
                return UploadInfo(SubmissionFormat.EXPORT, sha256, size, None)
    except zipfile.BadZipFile as exc:
        raise UploadRejected("bad_zip", f"The archive is corrupt ({exc}). Re-create it and upload again.") from exc
    _check_torchscript(names)
    return UploadInfo(SubmissionFormat.TORCHSCRIPT, sha256, size, None)


def check_entry_name(name: str) -> None:
    """Reject names that could escape an extraction directory (zip slip)."""
    if "\\" in name or "\x00" in name:
        raise UploadRejected("unsafe_path", f"Archive entry {name[:200]!r} contains a backslash or NUL byte.")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UploadRejected("unsafe_path", f"Archive entry {name[:200]!r} has an absolute path; use relative paths.")
    if ".." in PurePosixPath(name).parts:
        raise UploadRejected("unsafe_path", f"Archive entry {name[:200]!r} contains '..'; use paths inside the package.")


def _check_entries(infos: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    """Checks on the central directory alone: count, names, kinds, encryption, duplicates."""
    if len(infos) > limits.max_entries:
        raise UploadRejected(
            "too_many_entries", f"The archive has {len(infos)} entries; the limit is {limits.max_entries}."
        )
    seen: set[str] = set()
    offsets: set[int] = set()
    for info in infos:
        check_entry_name(info.filename)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if info.create_system == 3 and kind == stat.S_IFLNK:
            raise UploadRejected("symlink_entry", f"Archive entry {info.filename!r} is a symbolic link; include the file itself.")
        if info.create_system == 3 and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UploadRejected("special_entry", f"Archive entry {info.filename!r} is not a regular file or directory.")
        if info.flag_bits & 0x1:
            raise UploadRejected("encrypted_entry", f"Archive entry {info.filename!r} is encrypted; upload it unencrypted.")
        key = info.filename.rstrip("/")
        if key in seen:
            raise UploadRejected("duplicate_entry", f"Archive entry {info.filename!r} appears twice.")
        seen.add(key)
        # Entries sharing their data (overlapping-file zip bombs) point at one local header.
        if info.header_offset in offsets:
            raise UploadRejected("zip_bomb", "Archive entries overlap; this looks like a zip bomb.")
        offsets.add(info.header_offset)
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_total_uncompressed:
        raise UploadRejected(
            "too_large_uncompressed",
            f"The archive unpacks to {human_size(declared)}; the limit is {human_size(limits.max_total_uncompressed)}.",
        )


def _stream_entries(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: ZipLimits) -> bytes | None:
    """Decompress every entry, counting real output bytes; return the manifest's bytes if any."""
    total = 0
    manifest: bytes | None = None
    for info in infos:
        if info.is_dir():
            continue
        keep = info.filename == MANIFEST_NAME
        kept = bytearray()
        produced = 0
        compressed = max(info.compress_size, 1)
        with zf.open(info) as entry:
            for chunk in iter(lambda: entry.read(_CHUNK), b""):
                produced += len(chunk)
                total += len(chunk)
                if produced > limits.ratio_grace_bytes and produced > limits.max_ratio * compressed:
                    raise UploadRejected(
                        "zip_bomb",
                        f"Archive entry {info.filename!r} expands more than {limits.max_ratio:.0f}x; "
                        "this looks like a zip bomb.",
                    )
                if total > limits.max_total_uncompressed:
                    raise UploadRejected(
                        "too_large_uncompressed",
                        f"The archive unpacks to more than {human_size(limits.max_total_uncompressed)}.",
                    )
                if keep:
                    if produced > limits.max_manifest_bytes:
                        raise UploadRejected("manifest_invalid", f"{MANIFEST_NAME} is larger than {limits.max_manifest_bytes} bytes.")
                    kept += chunk
        if keep:
            manifest = bytes(kept)
    return manifest


def parse_manifest(data: bytes, names: set[str]) -> dict[str, Any]:
    """Parse and validate ``stylearena.toml`` (entry point, optional batch size and resolution).

    Raises:
        UploadRejected: ``manifest_invalid`` or ``entry_point_missing``.
    """
    try:
        manifest = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UploadRejected("manifest_invalid", f"{MANIFEST_NAME} is not valid TOML: {exc}") from exc
    unknown = sorted(set(manifest) - _MANIFEST_KEYS)
    if unknown:
        raise UploadRejected(
            "manifest_invalid",
            f"{MANIFEST_NAME} has unknown keys {unknown}; allowed: {sorted(_MANIFEST_KEYS)}.",
        )
    entry_point = manifest.get("entry_point")
    if not isinstance(entry_point, str) or not _ENTRY_POINT.match(entry_point):
        raise UploadRejected(
            "manifest_invalid",
            f'{MANIFEST_NAME} needs entry_point = "module:callable" (e.g. "model:Stylizer"), got {entry_point!r}.',
        )
    _check_int(manifest, "batch_size", 1, 64)
    _check_int(manifest, "resolution", 32, 2048)
    _check_int(manifest, "parameters", 0, 10**12)  # declared, shown as such (the harness cannot count a package's)
    for key in ("name", "description"):
        if key in manifest and not (isinstance(manifest[key], str) and len(manifest[key]) <= 1000):
            raise UploadRejected("manifest_invalid", f"{MANIFEST_NAME}: {key} must be a string of at most 1000 characters.")
    module = entry_point.split(":")[0].replace(".", "/")
    if f"{module}.py" not in names and f"{module}/__init__.py" not in names:
        raise UploadRejected(
            "entry_point_missing",
            f"entry_point names module {entry_point.split(':')[0]!r} but neither {module}.py nor "
            f"{module}/__init__.py is in the package.",
        )
    return manifest


def _check_int(manifest: dict[str, Any], key: str, low: int, high: int) -> None:
    if key not in manifest:
        return
    value = manifest[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UploadRejected("manifest_invalid", f"{MANIFEST_NAME}: {key} must be an integer from {low} to {high}, got {value!r}.")


def _check_torchscript(names: set[str]) -> None:
    """A TorchScript archive: one top folder with data.pkl, constants.pkl and code/."""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1:
        top = next(iter(tops))
        has_code = any(name.startswith(f"{top}/code/") for name in names)
        if f"{top}/data.pkl" in names and f"{top}/constants.pkl" in names and has_code:
            return
        if f"{top}/data.pkl" in names:
            raise UploadRejected(
                "not_torchscript",
                "This looks like a torch.save checkpoint, not a program. Save it with "
                "torch.export.save(torch.export.export(model, example_inputs, dynamic_shapes=...), 'model.pt2') "
                "or torch.jit.save(torch.jit.script(model), 'model.pt'), or upload a package with weights and code.",
            )
    raise UploadRejected("unsupported_format", f"The zip has no {MANIFEST_NAME} and is not TorchScript. " + _FORMAT_HINT)


def _top_folders(names: set[str]) -> set[str]:
    # macOS Finder adds __MACOSX/ beside the folder it zipped; it says nothing about the layout.
    return {name.split("/", 1)[0] for name in names if not name.startswith("__MACOSX/")}


def _check_nested_manifest(names: set[str]) -> None:
    """A package zipped as its folder (``pkg/stylearena.toml``): say where the manifest is.

    Refused rather than unpacked one level down: the platform would then run a different
    layout from the one the participant's own zip tool and ``stylearena check`` see.
    """
    nested = sorted((n for n in names if n.endswith("/" + MANIFEST_NAME)), key=lambda n: (n.count("/"), n))
    if not nested:
        return
    folder = nested[0][: -len(MANIFEST_NAME)]
    inside = "everything inside" if all(n.startswith(folder) for n in names if not n.startswith("__MACOSX/")) else "its manifest in"
    raise UploadRejected(
        "nested_package",
        f"Your archive has {inside} {folder}: {MANIFEST_NAME} must be at the archive's root. Zip the contents, "
        f"not the folder (cd {folder.rstrip('/')} && zip -r ../submission.zip .).",
    )


def _is_export_archive(zf: zipfile.ZipFile, names: set[str]) -> bool:
    """A torch.export.save archive: one top folder whose ``archive_format`` file says pt2."""
    tops = _top_folders(names)
    if len(tops) != 1:
        return False
    marker = f"{next(iter(tops))}/archive_format"
    return marker in names and zf.getinfo(marker).file_size <= 64 and zf.read(marker).strip() == b"pt2"


def _check_export(zf: zipfile.ZipFile, names: set[str]) -> None:
    """A .pt2 the sandbox's torch can load: a serialized program, of a schema major it reads, no compiled code."""
    top = next(iter(_top_folders(names)))
    sandbox_torch = environment.torch_version()
    if any(name.startswith(f"{top}/data/aotinductor/") for name in names):
        raise UploadRejected(
            "export_compiled",
            "This .pt2 is an AOTInductor package (compiled code), which the sandbox cannot run. Upload the "
            "program itself: torch.export.save(torch.export.export(model, example_inputs, dynamic_shapes=...), 'model.pt2').",
        )
    graphs = sorted(n for n in names if n.startswith(f"{top}/models/") and n.endswith(".json"))
    if not graphs:
        raise UploadRejected("export_invalid", "This .pt2 has no serialized program (models/*.json). "
                             "Save it with torch.export.save(exported_program, 'model.pt2').")
    for name in graphs:
        if zf.getinfo(name).file_size > _MAX_EXPORT_JSON_BYTES:
            continue  # too large to read here; the sandbox's torch.export.load judges it
        try:
            program = json.loads(zf.read(name))
            schema = program["schema_version"]
            major, minor = int(schema["major"]), int(schema["minor"])
        except (ValueError, KeyError, TypeError) as exc:
            raise UploadRejected("export_invalid", f"{name} in this .pt2 is not a torch.export program "
                                 "(no schema_version). Save it with torch.export.save.") from exc
        if major != environment.EXPORT_SCHEMA_MAJOR:
            saver = program.get("torch_version") if isinstance(program.get("torch_version"), str) else "another torch"
            raise UploadRejected(
                "export_version",
                f"This .pt2 was saved by torch {saver[:40]} with export schema {major}.{minor}; the sandbox runs "
                f"torch {sandbox_torch}, which reads schema {environment.EXPORT_SCHEMA_MAJOR}.x only. Export it "
                f"again with torch {sandbox_torch.split('+')[0]} (pip install torch=={sandbox_torch.split('+')[0]}).",
            )
