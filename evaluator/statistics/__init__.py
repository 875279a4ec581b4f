"""Confidence intervals and statistical ties for StyleArena's boards.

``protocol`` (standard library: the scorer identity and the web read it), ``resample``
(seeded, style-stratified pair resamples), ``replicates`` (each metric recomputed per
resample, a registry keyed by metric name), ``ranking`` (paired comparisons, tied ranks,
medals; numpy only), ``board`` (which entries a board ranks, and the stored ranks in SQL).
"""
