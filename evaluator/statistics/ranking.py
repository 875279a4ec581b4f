"""Intervals, paired comparisons and tied ranks from stored bootstrap replicates (numpy only).

Everything here reads point estimates and replicates; nothing resamples. The rule, in words:

- The interval of a value θ̂ with replicates θ*₁…θ*_B is the basic bootstrap interval
  [2θ̂ − q₀.₉₇₅, 2θ̂ − q₀.₀₂₅] (``protocol.METHOD``); for a quantity that cannot be negative it
  is cut at 0. Its reflected replicates r_b = 2θ̂ − θ*_b are the distribution it is read from.
- Entry A is *better with confidence* than B when, on the same resamples, the reflected paired
  difference r^A_b − r^B_b (signed so that below 0 means A is better) is below 0 in at least
  97.5 % of the resamples: the upper end of a two-sided 95 % interval of the difference is < 0.
- Rank = 1 + the number of entries better with confidence, made non-decreasing down the board
  (the running maximum over the point-estimate order, so a board never reads 1, 3, 2). The
  counts are exact: every pair is tested once when a board is ranked from scratch (M² tests,
  vectorised), and after that a new score costs only the tests that involve it
  (``update_beaten_by``: 2·M tests), so 2,000 entries re-rank in milliseconds. (A binary
  search over the point order would need log₂ M tests per entry, but it assumes the entries
  that beat one form a prefix of that order; on noisy boards that is false often enough to
  move ranks by several places, so it is not used.)
- An entry is *tied* when another entry has the same rank (shown ``=r``); it is *separated*
  when it is better with confidence than the entry right below it (the last entry is). A
  medal (1st, 2nd, 3rd) goes to an entry whose rank is at most 3, not tied, and separated.
- A metric without replicates (KID) ranks in exact order: rank = 1 + the number of strictly
  better point estimates; equal values tie.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evaluator.statistics.protocol import CONFIDENCE, REPLICATE_DTYPE

ONE_SIDED = 1.0 - (1.0 - CONFIDENCE) / 2.0  # 0.975
MEDAL_RANKS = 3
_CHUNK = 32  # rows per block of paired tests: [32, M, B] booleans at a time


def basic_interval(point: float, replicates: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The basic bootstrap interval of ``point`` (see the module doc), cut at 0 for non-negative quantities."""
    reps = np.asarray(replicates, dtype=np.float64)
    alpha = (1.0 - confidence) / 2.0
    q_lo, q_hi = np.quantile(reps, [alpha, 1.0 - alpha])
    low, high = 2.0 * point - q_hi, 2.0 * point - q_lo
    if point >= 0.0 and float(reps.min()) >= 0.0:
        low, high = max(low, 0.0), max(high, 0.0)
    return float(low), float(high)


def needed_wins(resamples: int) -> int:
    """How many of B paired differences must favour A for "better with confidence"."""
    return math.ceil(ONE_SIDED * resamples - 1e-9)


def encode(replicates: np.ndarray) -> bytes:
    """Replicates as stored (little-endian float32)."""
    return np.asarray(replicates, dtype=REPLICATE_DTYPE).tobytes()


def decode(data: bytes) -> np.ndarray:
    """Stored replicates back as float64."""
    return np.frombuffer(data, dtype=REPLICATE_DTYPE).astype(np.float64)


@dataclass(frozen=True)
class RankedBoard:
    """Ranks of the entries of one board, in the order given (board order)."""

    ranks: np.ndarray  # [M] int
    tied: np.ndarray  # [M] bool: another entry shares the rank
    separated: np.ndarray  # [M] bool: better with confidence than the next entry (True for the last)
    beaten_by: np.ndarray  # [M] int: entries better with confidence (stored, for incremental updates)
    statistical: bool  # False: exact order (the metric has no replicates)

    def medals(self) -> list[bool]:
        """Whether each entry earns its rank's medal (see ``earns_medal``)."""
        return [earns_medal(int(r), bool(t), bool(s)) for r, t, s in zip(self.ranks, self.tied, self.separated)]


def earns_medal(rank: int | None, tied: bool, separated: bool) -> bool:
    """A medal needs rank <= 3, a rank no one else shares, and a confident win over the next entry."""
    return rank is not None and rank <= MEDAL_RANKS and not tied and separated


def reflected(points: np.ndarray, replicates: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """[M, B] reflected replicates 2θ̂ − θ*, signed so that lower is better."""
    r = 2.0 * np.asarray(points, dtype=np.float64)[:, None] - np.asarray(replicates, dtype=np.float64)
    # float32 (as replicates are stored): half the memory traffic of the paired tests, and one
    # precision for every path, so incremental and from-scratch counts agree exactly.
    return (-r if higher_is_better else r).astype(np.float32)


def rank_with_ties(points: np.ndarray, replicates: np.ndarray | None, higher_is_better: bool,
                   beaten_by: np.ndarray | None = None) -> RankedBoard:
    """Tied ranks of entries given in board order (best point estimate first).

    ``replicates`` is [M, B] on the same resamples, or None for a metric without replicates.
    ``beaten_by`` (from ``update_beaten_by``) saves the M² paired tests when it is known.
    """
    points = np.asarray(points, dtype=np.float64)
    m = len(points)
    if m == 0:
        empty = np.zeros(0, dtype=bool)
        return RankedBoard(np.zeros(0, dtype=np.int64), empty, empty, np.zeros(0, dtype=np.int64),
                           replicates is not None)
    if replicates is None:
        return _exact_order(points, higher_is_better)
    r = reflected(points, replicates, higher_is_better)
    counts = count_beaters(r) if beaten_by is None else np.asarray(beaten_by, dtype=np.int64)
    ranks = np.maximum.accumulate(1 + counts)
    separated = np.ones(m, dtype=bool)
    if m > 1:
        separated[:-1] = wins(r[:-1], r[1:]) >= needed_wins(r.shape[1])
    return RankedBoard(ranks, _shared(ranks), separated, counts, True)


def wins(better: np.ndarray, worse: np.ndarray) -> np.ndarray:
    """Row by row, how many resamples favour ``better`` over ``worse`` (reflected, lower is better).

    ``a < b`` is ``a − b < 0`` for finite floats, without the temporary difference array;
    ``count_nonzero`` on booleans is ten times faster than summing them.
    """
    return np.count_nonzero(better < worse, axis=-1)


def beats_matrix(r_rows: np.ndarray, r_cols: np.ndarray) -> np.ndarray:
    """[R, C] bool: entry row i is better with confidence than entry column j."""
    need = needed_wins(r_rows.shape[1])
    out = np.zeros((len(r_rows), len(r_cols)), dtype=bool)
    for start in range(0, len(r_rows), _CHUNK):
        block = r_rows[start:start + _CHUNK]
        out[start:start + _CHUNK] = wins(block[:, None, :], r_cols[None, :, :]) >= need
    return out


def count_beaters(r: np.ndarray) -> np.ndarray:
    """For each entry, how many entries are better with confidence: every pair tested (M² tests).

    Used when a board is ranked from scratch; one new score only needs ``update_beaten_by``.
    """
    need = needed_wins(r.shape[1])
    out = np.zeros(len(r), dtype=np.int64)
    for start in range(0, len(r), _CHUNK):
        block = r[start:start + _CHUNK]  # the entries being beaten
        out[start:start + _CHUNK] = np.count_nonzero(wins(r[None, :, :], block[:, None, :]) >= need, axis=1)
    return out


def update_beaten_by(r: np.ndarray, beaten_by: np.ndarray, added: np.ndarray, r_removed: np.ndarray) -> np.ndarray:
    """Exact beaten-by counts after entries joined (``added`` mask) and left (``r_removed``) a board.

    ``beaten_by`` holds the stored counts of the entries that stayed (any value for added ones);
    only the pairs involving a changed entry are tested: O(changes · M) paired tests.
    """
    counts = np.asarray(beaten_by, dtype=np.int64).copy()
    stayed = ~added
    if len(r_removed):
        counts[stayed] -= beats_matrix(r_removed, r[stayed]).sum(axis=0)
    if added.any():
        new = r[added]
        counts[added] = beats_matrix(r, new).sum(axis=0)  # an entry never beats itself
        counts[stayed] += beats_matrix(new, r[stayed]).sum(axis=0)
    return counts


def _exact_order(points: np.ndarray, higher_is_better: bool) -> RankedBoard:
    key = -points if higher_is_better else points
    ranks = 1 + np.searchsorted(np.sort(key), key, side="left")
    separated = np.ones(len(points), dtype=bool)
    separated[:-1] = key[:-1] < key[1:]
    beaten = (ranks - 1).astype(np.int64)
    return RankedBoard(ranks.astype(np.int64), _shared(ranks), separated, beaten, False)


def _shared(ranks: np.ndarray) -> np.ndarray:
    values, counts = np.unique(ranks, return_counts=True)
    return np.isin(ranks, values[counts > 1])
