"""Seeded, style-stratified bootstrap resamples of a benchmark's pairs.

The resamples depend only on the seed, the count and the ordered list of (pair id, style):
every evaluation on one dataset version draws the very same B index sets, so the replicates
of two entries can be compared draw by draw (a paired bootstrap) without storing indices.
Each style's pairs are resampled with replacement within the style, so every resample keeps
the benchmark's style mix (a style with 3 pairs contributes 3 draws to every resample).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Resamples:
    """B resamples of N pairs: ``indices[b]`` the drawn pair positions, ``counts[b, i]`` how often i was drawn."""

    indices: np.ndarray  # [B, N] int64, grouped by stratum in first-appearance order
    counts: np.ndarray  # [B, N] float64 (float so that ``counts @ values`` is one matmul)
    design_key: str  # sha256 of the seed, B and the ordered (pair id, style) list

    @property
    def size(self) -> int:
        """B, the number of resamples."""
        return int(self.indices.shape[0])

    @property
    def n(self) -> int:
        """N, the number of pairs each resample holds."""
        return int(self.indices.shape[1])


def design_key(pair_ids: Sequence[str], strata: Sequence[str], resamples: int, seed: int) -> str:
    """The identity of a resample design (recorded in provenance; equal keys, equal draws)."""
    digest = hashlib.sha256(f"stylearena-resamples-1\0{seed}\0{resamples}\0".encode())
    for pair_id, stratum in zip(pair_ids, strata, strict=True):
        digest.update(f"{pair_id}\t{stratum}\n".encode())
    return digest.hexdigest()


def stratified_resamples(pair_ids: Sequence[str], strata: Sequence[str], resamples: int, seed: int) -> Resamples:
    """Draw ``resamples`` stratified bootstrap resamples of the pairs (deterministic, see module doc).

    Raises:
        ValueError: no pairs, ids and strata of different lengths, or fewer than 2 resamples.
    """
    n = len(pair_ids)
    if n == 0 or n != len(strata):
        raise ValueError(f"need one stratum per pair, got {n} pairs and {len(strata)} strata")
    if resamples < 2:
        raise ValueError(f"need at least 2 resamples, got {resamples}")
    key = design_key(pair_ids, strata, resamples, seed)
    # The generator is seeded from the design key, so another pair list never reuses draws.
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(key, 16))))
    members: dict[str, list[int]] = {}
    for position, stratum in enumerate(strata):
        members.setdefault(stratum, []).append(position)
    blocks = []
    for positions in members.values():
        pool = np.asarray(positions, dtype=np.int64)
        blocks.append(pool[rng.integers(0, len(pool), size=(resamples, len(pool)))])
    indices = np.concatenate(blocks, axis=1)
    flat = (indices + np.arange(resamples, dtype=np.int64)[:, None] * n).ravel()
    counts = np.bincount(flat, minlength=resamples * n).reshape(resamples, n).astype(np.float64)
    return Resamples(indices=indices, counts=counts, design_key=key)
