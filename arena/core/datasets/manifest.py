"""The dataset manifest: what an organizer writes, and the canonical form that is published.

A *source* manifest (``manifest.json`` beside ``content/``, ``style/`` and, from format 2,
``references/``) lists the images,
the pairs, the split and the licence; image hashes there are optional. Publishing turns it
into a *canonical* manifest in which every image carries the sha256 of the bytes that are
stored, so the sha256 of the canonical manifest (sorted keys, no whitespace, UTF-8) pins
every byte of the version and is its identifier. See ``datasets/FORMAT.md``.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arena.core.datasets.errors import DatasetError, DatasetInvalid
from arena.core.imageset import Pair, format_pairs
from arena.core.enums import DatasetSplit

# Format 2 adds held-out style references; format 1 versions stay readable (their ids, the
# hashes of their canonical bytes, never change).
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
MANIFEST_NAME = "manifest.json"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
# File names are plain names inside content/ or style/: no folders, no hidden files.
FILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


@dataclass(frozen=True)
class ImageEntry:
    """One image of a set; ``sha256``/size are filled in when the image has been checked."""

    file: str
    sha256: str = ""
    width: int = 0
    height: int = 0
    source: str = ""
    licence: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stored fields (source and licence only when set)."""
        data: dict[str, Any] = {"file": self.file, "sha256": self.sha256, "width": self.width, "height": self.height}
        if self.source:
            data["source"] = self.source
        if self.licence:
            data["licence"] = self.licence
        return data


@dataclass(frozen=True)
class PairEntry:
    """One (content, style) pair the generator must stylise; outputs are ``<pair_id>.png``."""

    pair_id: str
    content: str
    style: str

    def to_dict(self) -> dict[str, str]:
        return {"pair_id": self.pair_id, "content": self.content, "style": self.style}


@dataclass(frozen=True)
class ReferenceEntry(ImageEntry):
    """A held-out image of one style: FID/KID compare against it; no generator ever sees it."""

    style: str = ""  # the conditioning image (in ``style/``) whose style this image shows

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "style": self.style}


@dataclass(frozen=True)
class Manifest:
    """A dataset manifest (source or canonical; canonical ones have every image hash set)."""

    name: str
    split: DatasetSplit
    licence: str
    content: tuple[ImageEntry, ...]
    style: tuple[ImageEntry, ...]
    pairs: tuple[PairEntry, ...]
    description: str = ""
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    references: tuple[ReferenceEntry, ...] = ()

    def references_of(self, style_file: str) -> tuple[ReferenceEntry, ...]:
        """The held-out references of one conditioning style image."""
        return tuple(r for r in self.references if r.style == style_file)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; lists sorted so that the same set always serialises the same way."""
        data: dict[str, Any] = {
            "format": self.format_version,
            "name": self.name,
            "split": self.split.value,
            "licence": self.licence,
            "description": self.description,
            "content": [e.to_dict() for e in sorted(self.content, key=lambda e: e.file)],
            "style": [e.to_dict() for e in sorted(self.style, key=lambda e: e.file)],
            "pairs": [p.to_dict() for p in sorted(self.pairs, key=lambda p: p.pair_id)],
        }
        if self.extra:
            data["attribution"] = self.extra.get("attribution", [])
        if self.format_version >= 2:
            # Only format 2 has the key, so a format-1 version's canonical bytes (its id) stay.
            data["references"] = [r.to_dict() for r in sorted(self.references, key=lambda r: r.file)]
        return data

    def canonical_bytes(self) -> bytes:
        """The exact bytes that are hashed and stored as the published ``manifest.json``."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")

    @property
    def sha256(self) -> str:
        """The version identifier: sha256 of the canonical manifest."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def pairs_csv(self) -> str:
        """The ``pairs.csv`` of the image-set layout, pairs sorted by id."""
        return format_pairs(Pair(p.pair_id, p.content, p.style) for p in sorted(self.pairs, key=lambda p: p.pair_id))


_IMAGE_FIELDS = {"file", "sha256", "width", "height", "source", "licence"}


def _image_fields(raw: dict[str, Any], where: str, allowed: set[str]) -> dict[str, Any]:
    """The image fields of a manifest entry, typed; unknown fields are refused by name."""
    unknown = set(raw) - allowed
    if unknown:
        raise DatasetError("bad_manifest", f"{where}: unknown field(s) {sorted(unknown)} for {raw['file']}.")
    return {"file": raw["file"], "sha256": str(raw.get("sha256", "")).lower(),
            "width": int(raw.get("width", 0)), "height": int(raw.get("height", 0)),
            "source": str(raw.get("source", "")), "licence": str(raw.get("licence", ""))}


def _image_entry(raw: Any, where: str) -> ImageEntry:
    if isinstance(raw, str):
        raw = {"file": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
        raise DatasetError("bad_manifest", f"{where}: each image must be a file name or an object with 'file'.")
    return ImageEntry(**_image_fields(raw, where, _IMAGE_FIELDS))


def _pair_entry(raw: Any, index: int) -> PairEntry:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) for k in ("pair_id", "content", "style")):
        raise DatasetError("bad_manifest", f"manifest.json: pair #{index + 1} needs string 'pair_id', 'content' and 'style'.")
    return PairEntry(pair_id=raw["pair_id"], content=raw["content"], style=raw["style"])


def parse_manifest(data: Any, split: DatasetSplit | None = None, where: str = MANIFEST_NAME) -> Manifest:
    """Parse a manifest document; ``split`` fills in (or must agree with) the manifest's split.

    Raises:
        DatasetError: the document is not a manifest of a known format.
        DatasetInvalid: listing every problem of the fields at once (an organizer fixes them
            in one go, not one per attempt).
    """
    if not isinstance(data, dict):
        raise DatasetError("bad_manifest", f"{where}: the manifest must be a JSON object.")
    version = data.get("format", 1)
    if version not in READABLE_FORMATS:
        raise DatasetError("bad_manifest", f"{where}: unsupported format {version!r} "
                                           f"(this platform reads {', '.join(map(str, READABLE_FORMATS))}).")
    problems: list[str] = []
    name = data.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        problems.append(f"{where}: 'name' must be 1-120 letters, digits, '.', '_' or '-'.")
    raw_split = data.get("split")
    manifest_split = split
    if raw_split is None and split is None:
        problems.append(f"{where}: no 'split' in the manifest; pass --split public|hidden.")
    elif raw_split is not None:
        try:
            manifest_split = DatasetSplit(raw_split)
        except ValueError:
            problems.append(f"{where}: 'split' must be 'public' or 'hidden', not {raw_split!r}.")
        else:
            if split is not None and manifest_split != split:
                problems.append(f"{where}: the manifest says split '{manifest_split.value}' but '{split.value}' "
                                f"was asked for.")
    licence = data.get("licence", "")
    if not isinstance(licence, str) or not licence.strip():
        problems.append(f"{where}: 'licence' (licence and attribution text) is required.")
    lists: dict[str, list[Any]] = {}
    for key in ("content", "style", "pairs"):
        if not isinstance(data.get(key), list) or not data[key]:
            problems.append(f"{where}: '{key}' must be a non-empty list.")
        lists[key] = data[key] if isinstance(data.get(key), list) else []
    raw_refs = data.get("references", [])
    if version < 2 and "references" in data:
        problems.append(f"{where}: 'references' needs \"format\": 2.")
    if not isinstance(raw_refs, list):
        problems.append(f"{where}: 'references' must be a list.")
        raw_refs = []

    def each(parse, items, *args):
        parsed = []
        for index, item in enumerate(items):
            try:
                parsed.append(parse(item, *args) if args else parse(item, index))
            except DatasetError as exc:
                problems.append(exc.message)
        return tuple(parsed)

    content = each(_image_entry, lists["content"], f"{where} content")
    style = each(_image_entry, lists["style"], f"{where} style")
    pairs = each(_pair_entry, lists["pairs"])
    references = each(_reference_entry, raw_refs, f"{where} references")
    if problems:
        raise DatasetInvalid(problems)
    attribution = data.get("attribution")
    return Manifest(
        name=name, split=manifest_split, licence=licence, description=str(data.get("description", "")),
        content=content, style=style, pairs=pairs, extra={"attribution": attribution} if attribution else {},
        format_version=version, references=references,
    )


def _reference_entry(raw: Any, where: str) -> ReferenceEntry:
    if not isinstance(raw, dict) or not isinstance(raw.get("file"), str) or not isinstance(raw.get("style"), str):
        raise DatasetError("bad_manifest", f"{where}: each reference is an object with 'file' and 'style'.")
    return ReferenceEntry(**_image_fields(raw, where, _IMAGE_FIELDS | {"style"}), style=raw["style"])


def load_manifest(directory: Path, split: DatasetSplit | None = None) -> Manifest:
    """Read ``directory/manifest.json``; raises DatasetError naming the file when unreadable."""
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        raise DatasetError("no_manifest", f"{path}: not found (a dataset directory needs a manifest.json).")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError("bad_manifest", f"{path}: not valid JSON ({exc}).") from None
    return parse_manifest(data, split, where=str(path))
