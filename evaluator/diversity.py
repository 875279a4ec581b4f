"""The worker's side of the diversity metric: when to ask for a repeat pass, and where it is kept.

Diversity (``evaluator.metrics.optional``) compares each output with the same pair's output
under a second seed. The sandbox makes those only when asked (``SandboxRunner.run(...,
repeat_dir=...)``, the harness's ``--repeat-seed``), so a competition that did not choose it
pays nothing. The repeat pass covers **every pair** of the hidden run, not only the public
board's: diversity is then a per-pair mean like the other optional metrics, with the same
bootstrap resamples and both board parts (``evaluator.board_parts``). It doubles the
generator's time and output space for those competitions (``sandbox.runner.repeat_limits``).

The repeat PNGs are stored content-addressed beside the outputs, and their address is kept
in the evaluation's provenance (``seeding.repeat_outputs_sha256``: no new column), so a
scorer-only rescore can reuse both; outputs stored without one (a run from before diversity
was chosen) are not reused when diversity is wanted, and the generator runs again.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.models import Evaluation
from arena.core.settings import Settings
from arena.core.store import outputs as outputs_store
from evaluator.metrics.optional_catalog import NEEDS_REPEAT_RUN
from sandbox.harness.seeding import REPEAT_SEED, RUN_SEED, SEED_RULE

PROVENANCE_KEY = "seeding"


def needs_repeat(optional_metrics: Iterable[str]) -> bool:
    """Whether the chosen optional metrics need the generator's repeat pass."""
    return bool(NEEDS_REPEAT_RUN & set(optional_metrics))


def repeat_dir_for(output_dir: Path) -> Path:
    """Where a run's repeat-pass PNGs go: beside its outputs (``outputs`` -> ``outputs-repeat``)."""
    return output_dir.with_name(f"{output_dir.name}-repeat")


def pick_reusable(settings: Settings, session: Session, rows: Sequence[Any],
                  repeat: bool) -> tuple[Any | None, str | None]:
    """The first ``(outputs_sha256, evaluation_id)`` row whose outputs can be reused, and its repeat address.

    Without ``repeat`` this is the first row whose outputs are stored (as before diversity
    existed). With it, the row's repeat outputs must be stored too.
    """
    for row in rows:
        if not outputs_store.has_outputs(settings, row[0]):
            continue
        if not repeat:
            return row, None
        stored = session.execute(sa.select(Evaluation.provenance).where(Evaluation.id == row[1])).scalar_one()
        address = ((stored or {}).get(PROVENANCE_KEY) or {}).get("repeat_outputs_sha256")
        if isinstance(address, str) and outputs_store.has_outputs(settings, address):
            return row, address
    return None, None


def seeding_provenance(repeat_outputs_sha256: str | None) -> dict[str, Any]:
    """How the generator was seeded, and where the repeat pass's outputs are (None: no repeat pass)."""
    return {
        "rule": SEED_RULE,
        "run_seed": RUN_SEED,
        "repeat_seed": REPEAT_SEED if repeat_outputs_sha256 else None,
        "repeat_pairs": "all" if repeat_outputs_sha256 else None,
        "repeat_outputs_sha256": repeat_outputs_sha256,
    }
