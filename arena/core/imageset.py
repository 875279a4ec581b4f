"""The image-set layout every part of the platform reads and writes, in one place.

An image set is a folder with ``content/``, ``style/`` and ``pairs.csv`` (header
``pair_id,content,style``; file names relative to ``content/`` and ``style/``); a run's
outputs are ``<pair_id>.png`` in an output folder. This module owns those names, the pair-id
grammar and the parsing of ``pairs.csv``.

Standard library only, on purpose: the sandbox image carries a copy beside the harness, so
the harness (inside the container) and the host read pairs by the same rules.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

CONTENT_DIR = "content"
STYLE_DIR = "style"
# Held-out style references of a dataset version: scored against, never mounted for a generator.
REFERENCES_DIR = "references"
PAIRS_NAME = "pairs.csv"
PAIRS_HEADER = ("pair_id", "content", "style")
OUTPUT_SUFFIX = ".png"
# Pair ids become output file names: letters, digits, '_' and '-', starting with a letter or
# digit (no dots, so an id can never be '..' or end in '.png' twice).
PAIR_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


class PairsError(ValueError):
    """A ``pairs.csv`` that breaks the layout; the message names the file and line."""


@dataclass(frozen=True)
class Pair:
    """One benchmark pair: the output ``<pair_id>.png`` is scored against these two files."""

    pair_id: str
    content: str
    style: str

    @property
    def output_name(self) -> str:
        """The file name of this pair's output."""
        return output_name(self.pair_id)


def output_name(pair_id: str) -> str:
    """``<pair_id>.png``."""
    return f"{pair_id}{OUTPUT_SUFFIX}"


def is_pair_id(value: str) -> bool:
    """Whether ``value`` is a valid pair id."""
    return bool(PAIR_ID_RE.match(value))


def _check_file_name(name: str, column: str, where: str) -> None:
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or "\\" in name or ".." in parts or len(parts) != 1:
        raise PairsError(f"{where}: {column} {name!r} must be a file name inside the {column} folder")


def parse_pairs(text: str, source: str = PAIRS_NAME) -> list[Pair]:
    """Parse the text of a pairs file into pairs, in file order.

    Raises:
        PairsError: wrong header, wrong column count, bad or duplicate pair id, a file name
            that is not a plain name, or no pairs at all.
    """
    rows = list(csv.reader(text.lstrip("\ufeff").splitlines()))
    if not rows or tuple(cell.strip() for cell in rows[0]) != PAIRS_HEADER:
        raise PairsError(f"{source}: the first line must be the header {','.join(PAIRS_HEADER)}")
    pairs: list[Pair] = []
    seen: set[str] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"{source}: line {line}"
        if len(row) != 3:
            raise PairsError(f"{where}: expected 3 columns, got {len(row)}")
        pair_id, content, style = (cell.strip() for cell in row)
        if not is_pair_id(pair_id):
            raise PairsError(f"{where}: pair_id {pair_id!r} must be 1-80 letters, digits, '_' or '-'")
        if pair_id in seen:
            raise PairsError(f"{where}: duplicate pair_id {pair_id!r}")
        _check_file_name(content, CONTENT_DIR, where)
        _check_file_name(style, STYLE_DIR, where)
        seen.add(pair_id)
        pairs.append(Pair(pair_id, content, style))
    if not pairs:
        raise PairsError(f"{source}: no pairs listed")
    return pairs


def read_pairs(image_set: Path) -> list[Pair]:
    """The pairs of the image set in folder ``image_set``.

    Raises:
        PairsError: the file is missing, unreadable or breaks the layout.
    """
    path = Path(image_set) / PAIRS_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PairsError(f"cannot read {path}: {exc}") from exc
    return parse_pairs(text, str(path))


def format_pairs(pairs: Iterable[Pair]) -> str:
    """The text of a ``pairs.csv`` listing ``pairs`` in the given order."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(PAIRS_HEADER)
    for pair in pairs:
        writer.writerow([pair.pair_id, pair.content, pair.style])
    return buf.getvalue()


def write_pairs(image_set: Path, pairs: Iterable[Pair]) -> Path:
    """Write ``pairs.csv`` into folder ``image_set``; returns its path."""
    path = Path(image_set) / PAIRS_NAME
    path.write_text(format_pairs(pairs), encoding="utf-8")
    return path
