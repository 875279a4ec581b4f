"""How the harness seeds a generator: one rule, read by the harness (in the container) and the host.

Standard library only: copied flat beside harness.py in the image (and by ``sandbox.local``);
the host imports it as ``sandbox.harness.seeding`` to ask for a repeat run and to record the
rule in provenance. Nothing here loads torch until ``seed_generators`` runs inside the harness.

Before **every call of the generator** the harness seeds Python's ``random``, NumPy's global
generator and torch (``torch.manual_seed``, which seeds CUDA too) from the run seed and the
call's pair ids. A call is one batch, and batches are formed deterministically (same pairs,
same image sizes, same batch size -> the same batches), so a stochastic generator that draws
from those global generators writes the same outputs every run; with batch size 1 the seed
is the pair's own. The second pass that the diversity metric needs runs the same batches
with ``REPEAT_SEED`` instead of ``RUN_SEED``.
"""
from __future__ import annotations

import hashlib
import sys

RUN_SEED = 0
REPEAT_SEED = 1
# The directory of /out the repeat pass writes its PNGs to (``images/`` holds the first pass).
REPEAT_DIR = "repeat"
SEED_RULE = ("seed = int.from_bytes(sha256(f'{run_seed}:' + ','.join(pair_ids)).digest()[:8], 'big') & (2**63 - 1) "
             "per generator call (one batch); random.seed(seed), numpy.random.seed(seed % 2**32), "
             f"torch.manual_seed(seed); run_seed {RUN_SEED} for the outputs, {REPEAT_SEED} for the repeat pass")


def batch_seed(run_seed: int, pair_ids: list[str] | tuple[str, ...]) -> int:
    """The seed of one generator call: a hash of the run seed and the call's pair ids, in order."""
    digest = hashlib.sha256(f"{run_seed}:{','.join(pair_ids)}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


def seed_generators(seed: int) -> None:
    """Seed ``random``, NumPy's global generator (when loaded) and torch before one generator call."""
    import random

    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
