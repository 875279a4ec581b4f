"""The statistics protocol: how intervals are drawn and ties ranked, as one versioned string.

Standard library only: ``evaluator.scorer`` folds ``PROTOCOL`` into the scorer identity (so a
change of method, count, seed or rank rule is a new scorer whose numbers never mix with the
old ones), and the web process reads the constants to label boards.
"""
from __future__ import annotations

# Resamples per evaluation. 1,000 puts the 2.5 % / 97.5 % order statistics 25 draws from the
# ends, which is what a 95 % interval needs to be stable to about a tenth of its width.
DEFAULT_RESAMPLES = 1000
# Fixed, so every evaluation on one dataset version draws the same resamples (paired tests).
DEFAULT_SEED = 20261202
CONFIDENCE = 0.95
# Pair indices resampled with replacement within each style (the style mix is kept); the
# interval is the basic (reverse-percentile) bootstrap, 2·θ̂ − q, which removes the
# resampling bias of set metrics such as FID to first order (a plain percentile interval of
# FID sits above the estimate, because duplicates shrink the resampled set's spread).
METHOD = "stratified-pairs-basic-bootstrap"
# Rank = 1 + the number of entries better with confidence (paired, same resamples), found by
# testing every pair (incrementally after the first ranking); ranks are non-decreasing down the board;
# a medal needs rank <= 3, an unshared rank and a confident win over the next entry.
RANK_RULE = "paired-ties-exact-count-1"
# Float32 replicate values as stored in ``score_replicates.data``.
REPLICATE_DTYPE = "<f4"

PROTOCOL = (f"{METHOD};B={DEFAULT_RESAMPLES};seed={DEFAULT_SEED};conf={CONFIDENCE:g};"
            f"rank={RANK_RULE};v=1")
