"""Cost of the per-style breakdown (issue 13): one evaluation's per-style statistics, and a board's.

Usage::

    python benchmarks/per_style.py [--pairs 1000] [--styles 20] [--entries 2000]

Prints the time to decode one evaluation's stored per-pair JSON and to reduce it to per-style
means and t-intervals (``arena.services.per_style.style_stats``), then the same for a whole
board of ``--entries`` entries plus its per-style ranks: what a cold build of the cached table
costs beyond the leaderboard query itself. Later refreshes decode only evaluations not seen
before (the per-evaluation memo), so they cost the query, one evaluation and the ranks.
Synthetic values; the figures are the cost.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from arena.services.per_style import DatasetStyles, EntryStyles, Style, column_ranks, style_stats
from evaluator.metrics.catalog import PER_PAIR_METRICS


def _styles(n_pairs: int, n_styles: int) -> DatasetStyles:
    pair_style = {f"p{i}": i % n_styles for i in range(n_pairs)}
    counts = np.bincount(list(pair_style.values()), minlength=n_styles)
    return DatasetStyles(tuple(Style(i + 1, f"style {i + 1}", int(counts[i]), 0) for i in range(n_styles)),
                         pair_style, False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--styles", type=int, default=20)
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    styles = _styles(args.pairs, args.styles)
    stored = [json.dumps({f"p{i}": {m: float(v) for m, v in zip(PER_PAIR_METRICS, rng.random(3))}
                          for i in range(args.pairs)}) for _ in range(min(args.entries, 50))]

    t0 = time.perf_counter()
    decoded = [json.loads(text) for text in stored]
    t_json = (time.perf_counter() - t0) / len(stored)
    t0 = time.perf_counter()
    for values in decoded:
        style_stats(values, styles)
    t_stats = (time.perf_counter() - t0) / len(decoded)
    print(f"one evaluation, {args.pairs} pairs, {args.styles} styles: JSON decode {t_json * 1e3:.2f} ms, "
          f"per-style stats {t_stats * 1e3:.2f} ms")

    class Row:  # the fields of a LeaderboardRow that ranking reads
        def __init__(self, sid: int) -> None:
            self.submission_id, self.is_baseline = sid, False

    t0 = time.perf_counter()
    entries = tuple(EntryStyles(Row(i), style_stats(decoded[i % len(decoded)], styles))  # type: ignore[arg-type]
                    for i in range(args.entries))
    t_board = time.perf_counter() - t0
    t0 = time.perf_counter()
    for metric in PER_PAIR_METRICS:
        for s in range(args.styles):
            column_ranks(entries, metric, s)
    t_ranks = time.perf_counter() - t0
    print(f"cold board of {args.entries} entries: per-style stats {t_board:.2f} s (+ JSON decode "
          f"~{t_json * args.entries:.2f} s), per-style ranks for {len(PER_PAIR_METRICS)} metrics {t_ranks:.2f} s")


if __name__ == "__main__":
    main()
