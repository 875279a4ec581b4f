"""The per-style breakdown: each board entry's per-pair metrics averaged per style, with intervals.

An evaluation stores every pair's LPIPS and VGG losses (``Evaluation.per_pair``); the dataset
version's manifest says which style each pair uses. Per style and metric this module gives
the mean over that style's pairs and a 95 % Student-t interval (mean ± t·s/√n). Why t and not
the main board's bootstrap: a style often has only a handful of pairs, where a percentile
bootstrap is too narrow (it cannot see spread it has not sampled), while t is exact for
normal values, needs no seed and is one vectorised pass, cheap enough for a web process.

Entries are the main board's (``every_leaderboard_row`` on the ranking metric), so the heatmap and
the per-style boards show exactly the submissions the leaderboard ranks. Styles of a hidden
version are shown by an opaque label ("style 3"): their file names are part of the hidden set.
Numpy only: the web process never imports torch.
"""
from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.datasets.errors import DatasetError
from arena.core.datasets.manifest import parse_manifest
from arena.core.enums import DatasetSplit, EvaluationStatus
from arena.core.models import Competition, DatasetVersion, Evaluation
from arena.core.settings import Settings
from arena.core.store.datasets import read_stored_manifest
from arena.core.target import EvaluationTarget
from arena.services.leaderboard import LeaderboardRow, every_leaderboard_row
from evaluator.metrics.catalog import METRICS, PER_PAIR_METRICS, MetricInfo
from evaluator.metrics.per_style_sets import FID_MIN_IMAGES, PROVENANCE_KEY, StyleSets, from_json

# Per-style FID/KID: computed by the worker where a style has enough references and outputs
# (thresholds and why: evaluator.metrics.per_style_sets), read here from provenance.
SET_METRIC_MIN_REFERENCES = FID_MIN_IMAGES

# Two-sided 95 % Student-t quantiles t(0.975, df) for df = 1..30 (beyond, ``_t975`` expands).
_T975 = (12.7062047, 4.3026527, 3.1824463, 2.7764451, 2.5705818, 2.4469119, 2.3646243, 2.3060041,
         2.2621572, 2.2281389, 2.2009852, 2.1788128, 2.1603687, 2.1447867, 2.1314495, 2.1199053,
         2.1098156, 2.1009220, 2.0930241, 2.0859634, 2.0796138, 2.0738731, 2.0686576, 2.0638986,
         2.0595386, 2.0555294, 2.0518305, 2.0484071, 2.0452296, 2.0422725)
_Z975 = 1.959963984540054


@dataclass(frozen=True)
class Style:
    """One style of a dataset version: ``index`` (1-based, in file-name order) keys its page."""

    index: int
    label: str
    n_pairs: int
    n_references: int


@dataclass(frozen=True)
class StyleStat:
    """A style's mean of one per-pair metric over its ``n`` pairs, and its 95 % t-interval."""

    mean: float
    low: float | None  # None with one pair (no spread to estimate)
    high: float | None
    n: int


@dataclass(frozen=True)
class DatasetStyles:
    """The styles of one dataset version and the style index of each pair id."""

    styles: tuple[Style, ...]
    pair_style: dict[str, int]  # pair id -> index into ``styles`` (0-based)
    public_names: bool
    # Style file names in ``styles`` order, to read per-style FID/KID; never shown (hidden names).
    names: tuple[str, ...] = ()

    @property
    def max_references(self) -> int:
        return max((s.n_references for s in self.styles), default=0)


@dataclass(frozen=True)
class EntryStyles:
    """One board entry and its per-style statistics: metric -> one StyleStat (or None) per style."""

    row: LeaderboardRow
    stats: dict[str, tuple[StyleStat | None, ...]]


@dataclass(frozen=True)
class StyleTable:
    """Every entry of a competition's board with its per-style statistics, in main-board order."""

    styles: DatasetStyles
    entries: tuple[EntryStyles, ...]
    # metric -> per style, submission id -> rank (built once with the table, then only read).
    ranks: dict[str, tuple[dict[int, int], ...]] = field(default_factory=dict)

    def style_board(self, metric: str, style: int) -> list[tuple[int | None, EntryStyles]]:
        """(rank, entry) of one style ordered by that style's mean; baselines in place, unranked."""
        info = METRICS[metric]
        ranks = self.ranks[metric][style]
        scored = [e for e in self.entries if e.stats[metric][style] is not None]
        scored.sort(key=lambda e: ((-1 if info.higher_is_better else 1) * e.stats[metric][style].mean,
                                   e.row.created_at, e.row.submission_id))
        return [(ranks.get(e.row.submission_id), e) for e in scored]


def column_ranks(entries: tuple[EntryStyles, ...], metric: str, style: int) -> dict[int, int]:
    """Submission id -> rank in one style (1 + the entries strictly better); baselines unranked."""
    info = METRICS[metric]
    values = [(e.row.submission_id, e.stats[metric][style].mean) for e in entries
              if not e.row.is_baseline and e.stats[metric][style] is not None]
    keys = np.array([-v if info.higher_is_better else v for _, v in values], dtype=np.float64)
    ranks = np.searchsorted(np.sort(keys), keys, side="left") + 1
    return {sid: int(rank) for (sid, _), rank in zip(values, ranks)}


def per_pair_columns() -> tuple[MetricInfo, ...]:
    """The metrics that have a value per pair, in catalog order."""
    return tuple(METRICS[name] for name in PER_PAIR_METRICS)


def default_metric(competition: Competition) -> str:
    """The ranking metric when it is a per-pair one, else LPIPS."""
    return competition.ranking_metric if competition.ranking_metric in PER_PAIR_METRICS else PER_PAIR_METRICS[0]


def t975(df: int) -> float:
    """The two-sided 95 % Student-t quantile for ``df`` degrees of freedom (numpy-free of scipy)."""
    if df < 1:
        raise ValueError("a t quantile needs at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    # Cornish-Fisher expansion of t around the normal quantile: error < 1e-6 for df > 30.
    z, n = _Z975, float(df)
    return (z + (z**3 + z) / (4 * n) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * n**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * n**3))


def load_styles(settings: Settings, version: DatasetVersion) -> DatasetStyles:
    """The styles of a published version (cached: a version is immutable, named by its hash).

    Raises:
        DatasetError: the version's files are missing or do not match its hash.
    """
    return _load_styles(settings, _Version(version.manifest_sha256, version.storage_path))


@dataclass(frozen=True)
class _Version:
    """The hashable part of a version row that the store reads (the cache key)."""

    manifest_sha256: str
    storage_path: str


@lru_cache(maxsize=32)
def _load_styles(settings: Settings, version: _Version) -> DatasetStyles:
    # The stored manifest is checked against its hash, so a cached parse can never be stale.
    manifest = parse_manifest(json.loads(read_stored_manifest(settings, version)))
    names = sorted({p.style for p in manifest.pairs})
    index = {name: i for i, name in enumerate(names)}
    public = manifest.split is DatasetSplit.PUBLIC
    pair_counts = np.bincount([index[p.style] for p in manifest.pairs], minlength=len(names))
    styles = tuple(
        Style(i + 1, name if public else f"style {i + 1}", int(pair_counts[i]), len(manifest.references_of(name)))
        for i, name in enumerate(names)
    )
    return DatasetStyles(styles, {p.pair_id: index[p.style] for p in manifest.pairs}, public, tuple(names))


def style_stats(per_pair: dict[str, dict[str, float]] | None,
                styles: DatasetStyles) -> dict[str, tuple[StyleStat | None, ...]]:
    """Per metric, each style's mean and 95 % t-interval over its pairs (None: no values)."""
    n_styles = len(styles.styles)
    per_pair = per_pair or {}
    ids = [pid for pid in per_pair if pid in styles.pair_style]
    groups = np.array([styles.pair_style[pid] for pid in ids], dtype=np.int64)
    out: dict[str, tuple[StyleStat | None, ...]] = {}
    for name in PER_PAIR_METRICS:
        values = np.array([per_pair[pid].get(name, math.nan) for pid in ids], dtype=np.float64)
        keep = np.isfinite(values)
        g, v = groups[keep], values[keep]
        n = np.bincount(g, minlength=n_styles)
        mean = np.bincount(g, weights=v, minlength=n_styles) / np.maximum(n, 1)
        # Two passes (deviations from the mean) so large, close values keep their precision.
        ss = np.bincount(g, weights=(v - mean[g]) ** 2, minlength=n_styles)
        out[name] = tuple(_stat(float(mean[i]), float(ss[i]), int(n[i])) for i in range(n_styles))
    return out


def _stat(mean: float, ss: float, n: int) -> StyleStat | None:
    if n == 0:
        return None
    if n == 1:
        return StyleStat(mean, None, None, 1)
    half = t975(n - 1) * math.sqrt(ss / (n - 1) / n)
    return StyleStat(mean, mean - half, mean + half, n)


# Submissions whose per-style statistics one query loads (bounded IN lists).
STATS_BATCH = 2_000


def style_table(session: Session, settings: Settings, competition: Competition) -> StyleTable | None:
    """Every board entry's per-style statistics; None without a hidden version or readable manifest."""
    version = competition.hidden_dataset
    if version is None:
        return None
    try:
        styles = load_styles(settings, version)
    except DatasetError:
        return None
    entries: list[EntryStyles] = []
    # The main board's own entry selection and order, in one query, statistics in batches.
    rows = list(every_leaderboard_row(session, competition))
    for start in range(0, len(rows), STATS_BATCH):
        batch = rows[start:start + STATS_BATCH]
        stats = _stats_of(session, competition, styles, version.manifest_sha256, [r.submission_id for r in batch])
        entries.extend(EntryStyles(r, stats.get(r.submission_id) or style_stats(None, styles)) for r in batch)
    done = tuple(entries)
    ranks = {m: tuple(column_ranks(done, m, i) for i in range(len(styles.styles))) for m in PER_PAIR_METRICS}
    return StyleTable(styles, done, ranks)


class _StatsMemo:
    """Per-style statistics of scored evaluations, by (evaluation, finish time, dataset version).

    Why: a scored evaluation's per-pair values never change, and decoding them is most of a
    table's cost (about 10 ms per 1,000 pairs), so a refresh after one new score decodes one
    evaluation, not the whole board. Bounded; the least recently used go first.
    """

    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> dict | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple, value: dict) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)


_MEMO = _StatsMemo()


def _stats_of(session: Session, competition: Competition, styles: DatasetStyles, dataset_sha: str,
              submission_ids: list[int]) -> dict[int, dict]:
    """Submission id -> per-style statistics of its evaluation on the board's target."""
    where = (Evaluation.submission_id.in_(submission_ids), EvaluationTarget.of(competition).condition(),
             Evaluation.status == EvaluationStatus.SCORED)
    keys = {sid: (eid, finished, dataset_sha) for sid, eid, finished in session.execute(
        sa.select(Evaluation.submission_id, Evaluation.id, Evaluation.finished_at).where(*where))}
    out = {sid: memo for sid, key in keys.items() if (memo := _MEMO.get(key)) is not None}
    missing = [keys[sid][0] for sid in keys if sid not in out]
    if missing:
        # Only the evaluations not seen before have their per-pair JSON loaded and decoded.
        for sid, values in session.execute(sa.select(Evaluation.submission_id, Evaluation.per_pair)
                                           .where(Evaluation.id.in_(missing))):
            out[sid] = style_stats(values, styles)
            _MEMO.put(keys[sid], out[sid])
    return out


def evaluation_styles(settings: Settings, evaluation: Evaluation) -> tuple[DatasetStyles, dict] | None:
    """One evaluation's styles and per-style statistics (for its submission's page), or None."""
    if not evaluation.per_pair:
        return None
    version = evaluation.dataset_version
    try:
        styles = load_styles(settings, version)
    except DatasetError:
        return None
    key = (evaluation.id, evaluation.finished_at, version.manifest_sha256)
    stats = _MEMO.get(key)
    if stats is None:
        stats = style_stats(evaluation.per_pair, styles)
        _MEMO.put(key, stats)
    return styles, stats


def evaluation_style_sets(evaluation: Evaluation, styles: DatasetStyles) -> tuple[StyleSets | None, ...] | None:
    """Per style (in ``styles`` order) its stored FID/KID, None for a style without; None when never computed.

    The worker computed them on the public board's pairs only (``evaluator.pipeline.compute_scores``).
    """
    values = from_json((evaluation.provenance or {}).get(PROVENANCE_KEY))
    if values is None:
        return None
    return tuple(values.get(name) for name in styles.names)
