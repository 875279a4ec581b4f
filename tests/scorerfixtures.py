"""The scorer id that workers in tests are: seeded backbones, no weights installed.

Competitions whose evaluations real workers score must name this scorer (a worker refuses
an evaluation for another scorer). Loaded once per test process.
"""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def seeded_scorer_id() -> str:
    """The id of the scorer a worker without installed weights is."""
    from evaluator.metrics.shared import shared_suite
    from evaluator.scorer import suite_identity

    return suite_identity(shared_suite(None)).id
