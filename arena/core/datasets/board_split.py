"""A hidden version's public-board / private-board split: which pairs each board is scored on.

Made once, at publish, and deterministic: the same pair list, fraction and seed always give the
same split, so a worker recomputes it from the staged pairs and checks it against the digest
stored with the version (``split_digest``) instead of shipping a list of ids around.

Stratified by style, as the bootstrap is: each style puts ``round(fraction · n)`` of its pairs on
the public board, at least one on each side when it has two or more, so both boards keep the
benchmark's style mix. A style with a single pair goes to the private board (the one that
decides the competition). Below ``MIN_SPLIT_PAIRS`` pairs a version is not split: two boards
of a handful of pairs each would rank noise, and FID needs two outputs per board.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from arena.core.datasets.errors import DatasetError
from arena.core.enums import DatasetSplit

if TYPE_CHECKING:
    from arena.core.models import DatasetVersion

DEFAULT_PUBLIC_FRACTION = 0.3
DEFAULT_SEED = 20261202
MIN_SPLIT_PAIRS = 10


class HasStyle(Protocol):
    pair_id: str
    style: str


@dataclass(frozen=True)
class BoardSplit:
    """The pair ids of each board and the identity of the split."""

    public: frozenset[str]
    private: frozenset[str]
    fraction: float
    seed: int
    digest: str


class SplitRefused(ValueError):
    """A fraction outside (0, 1) or too few pairs to split."""


def check_fraction(fraction: float) -> float:
    """``fraction`` if it can split a set; raises SplitRefused with what to pass instead."""
    if not 0.0 < fraction < 1.0:
        raise SplitRefused(f"The public-board fraction must be between 0 and 1 (exclusive), got {fraction:g}; "
                           f"{DEFAULT_PUBLIC_FRACTION:g} is the default.")
    return float(fraction)


def can_split(n_pairs: int) -> bool:
    """Whether a version of ``n_pairs`` pairs is large enough for two boards."""
    return n_pairs >= MIN_SPLIT_PAIRS


def board_split(pairs: Iterable[HasStyle], fraction: float, seed: int) -> BoardSplit:
    """Split ``pairs`` into the public and private board (see module doc).

    Raises:
        SplitRefused: a bad fraction, fewer than ``MIN_SPLIT_PAIRS`` pairs, or a board left with
            fewer than two pairs.
    """
    fraction = check_fraction(fraction)
    by_style: dict[str, list[str]] = {}
    for pair in pairs:
        by_style.setdefault(pair.style, []).append(pair.pair_id)
    n = sum(len(ids) for ids in by_style.values())
    if not can_split(n):
        raise SplitRefused(f"{n} pairs are too few for a public and a private board (at least {MIN_SPLIT_PAIRS}).")
    public: set[str] = set()
    for style in sorted(by_style):
        ids = sorted(by_style[style])
        # One generator per style, seeded from the style's name: adding a style never reshuffles another.
        key = hashlib.sha256(f"stylearena-board-split-1\0{seed}\0{style}".encode()).digest()
        rng = np.random.Generator(np.random.PCG64(int.from_bytes(key[:16], "big")))
        order = [ids[i] for i in rng.permutation(len(ids))]
        take = 0 if len(ids) < 2 else min(len(ids) - 1, max(1, round(fraction * len(ids))))
        public.update(order[:take])
    everything = {pid for ids in by_style.values() for pid in ids}
    private = everything - public
    if len(public) < 2 or len(private) < 2:
        raise SplitRefused(f"A fraction of {fraction:g} leaves {len(public)} public and {len(private)} private "
                           f"pairs; each board needs at least 2.")
    return BoardSplit(frozenset(public), frozenset(private), fraction, int(seed),
                      split_digest(public, fraction, seed))


def split_digest(public_ids: Iterable[str], fraction: float, seed: int) -> str:
    """The split's identity: its fraction, seed and public-board pair ids."""
    digest = hashlib.sha256(f"stylearena-board-split-1\0{fraction!r}\0{seed}\0".encode())
    for pair_id in sorted(public_ids):
        digest.update(pair_id.encode() + b"\n")
    return digest.hexdigest()


def record_split(version: DatasetVersion, pairs: Iterable[HasStyle], fraction: float | None, seed: int,
                 created: bool) -> str:
    """Record a newly published hidden version's board split on its row; say what happened ("": none asked).

    The split belongs to the version and never changes: scores already made on it would mean
    something else. Re-publishing an existing version keeps its split (or its lack of one).

    Raises:
        DatasetError: ``bad_board_fraction`` for a fraction outside (0, 1).
    """
    if fraction is None or version.split is not DatasetSplit.HIDDEN:
        return ""
    pairs = list(pairs)
    try:
        check_fraction(fraction)
    except SplitRefused as exc:
        raise DatasetError("bad_board_fraction", str(exc)) from exc
    if not created:
        if version.board_public_fraction is None:
            return "already published without a public/private board split; a version's split never changes"
        return (f"already split: {version.board_public_fraction:.0%} of its pairs on the public board "
                f"(a version's split never changes)")
    if not can_split(len(pairs)):
        return (f"not split: {len(pairs)} pairs are too few for a public and a private board "
                f"(at least {MIN_SPLIT_PAIRS}); the board is scored on every pair")
    try:
        split = board_split(pairs, fraction, seed)
    except SplitRefused as exc:
        return f"not split: {exc}"
    version.board_public_fraction, version.board_split_seed = split.fraction, split.seed
    version.board_split_sha256 = split.digest
    return (f"split: {len(split.public)} pairs on the public board, {len(split.private)} on the private board "
            f"(shown after `stylearena competition finalize`)")
