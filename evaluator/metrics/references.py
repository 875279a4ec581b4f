"""Which images FID, KID and the published ArtFID compare the outputs with.

Two protocols (``catalog.REFERENCE_PROTOCOL_*``): the held-out reference images of the styles
the pairs use, when the dataset version has them, else the conditioning style images.
``reference_set`` gives FID/KID's side (each distinct image once); ``art_reference_rows`` gives
the published ArtFID's (one reference per output, as the art-fid package wants).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from evaluator.metrics import refcache
from evaluator.metrics.artfid import one_reference_per_output
from evaluator.metrics.errors import ScoringError
from evaluator.metrics.io import Pair

# Held-out references as the dataset staging gives them: conditioning style file name -> the
# paths of that style's reference images (``arena.core.datasets.staging.stage_references``).
References = Mapping[str, Sequence[Path]]


class ReferenceImage(NamedTuple):
    """One distinct held-out reference image: its name, where it lies, its sha256."""

    name: str
    path: Path
    sha256: str


class ReferenceSet(NamedTuple):
    """The held-out references of the styles some pairs use: distinct images, and who uses them."""

    images: tuple[ReferenceImage, ...]  # distinct by content, sorted by name
    by_style: tuple[tuple[str, str, str], ...]  # (style, reference name, sha256), for the cache key


def reference_set(pairs: list[Pair], references: References) -> ReferenceSet:
    """The distinct held-out reference images of the styles ``pairs`` use (each image once).

    Only the references of styles the pairs use count (as the conditioning protocol counts only
    their styles); an image listed twice, or under two names with the same bytes, counts once.

    Raises:
        ScoringError: ``missing_input`` for a style without references or a missing file,
            ``too_few_images`` for fewer than 2 distinct reference images.
    """
    distinct: dict[str, ReferenceImage] = {}
    by_style: set[tuple[str, str, str]] = set()
    for style in sorted({pair.style for pair in pairs}):
        paths = references.get(style) or ()
        if not paths:
            raise ScoringError("missing_input", f"style image {style} has no held-out reference image")
        for path in paths:
            path = Path(path)
            if not path.is_file():
                raise ScoringError("missing_input", f"reference image {path.name} of style {style} not found")
            sha256 = refcache.fingerprint_files(path.parent, [path.name], names_too=False)
            image = distinct.setdefault(sha256, ReferenceImage(path.name, path, sha256))
            by_style.add((style, image.name, sha256))
    if len(distinct) < 2:
        raise ScoringError(
            "too_few_images", f"FID/KID need at least 2 distinct reference images, the pairs' styles have {len(distinct)}"
        )
    images = tuple(sorted(distinct.values(), key=lambda image: (image.name, image.sha256)))
    return ReferenceSet(images, tuple(sorted(by_style)))



def art_reference_rows(pairs: Sequence[Pair], style_names: Sequence[str], held_out: ReferenceSet | None) -> tuple[int, ...]:
    """Per pair (in order), the row of its one published-ArtFID reference image.

    Rows index ``held_out.images`` (held-out protocol: the pair's style's references in turn,
    ordered by name) or ``style_names`` (conditioning protocol: the pair's own style image).
    """
    return one_reference_per_output([(pair.pair_id, pair.style) for pair in pairs],
                                    reference_rows_by_style(pairs, style_names, held_out))


def reference_rows_by_style(pairs: Sequence[Pair], style_names: Sequence[str],
                            held_out: ReferenceSet | None) -> dict[str, tuple[int, ...]]:
    """Per style the pairs use, the rows of its reference images (per-style FID/KID, the published ArtFID).

    Rows index ``held_out.images`` (held-out protocol: the style's references, ordered by name;
    the same rows as ``ReferenceStats.fid_features``) or ``style_names`` (conditioning protocol:
    the style's own image, one row).
    """
    if held_out is None:
        index = {name: row for row, name in enumerate(style_names)}
        return {style: (index[style],) for style in sorted({pair.style for pair in pairs})}
    row_of = {image.sha256: row for row, image in enumerate(held_out.images)}
    rows_by_style: dict[str, list[int]] = {}
    for style, _name, sha256 in held_out.by_style:  # sorted by (style, name)
        rows_by_style.setdefault(style, []).append(row_of[sha256])
    return {style: tuple(rows) for style, rows in rows_by_style.items()}
