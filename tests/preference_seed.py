"""A competition with a published public set and scored entries with stored public outputs (arena tests)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from arena.core.store.outputs import store_outputs
from arena.services.publishing import publish
from datasets_helpers import make_dataset
from webseed import add_scored, full_scores, make_competition, make_user


def write_outputs(directory: Path, pair_ids: list[str], tint: int) -> Path:
    """One PNG per pair, a distinct colour per entry so screenshots show which is which."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(tint)
    for pid in pair_ids:
        base = np.array([(tint * 67) % 256, (tint * 131) % 256, (tint * 29 + 90) % 256], dtype=np.int16)
        noise = rng.integers(-30, 30, size=(96, 96, 3))
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB").save(directory / f"{pid}.png")
    return directory


def arena_world(session, settings, tmp: Path, entries: int = 4, slug: str = "arena"):
    """Publish a public set, make a competition and ``entries`` scored entries with public outputs."""
    public = publish(session, settings, make_dataset(tmp / "pub", name="arena-public", n_content=2, n_style=2),
                     reference_stats=None).version
    competition = make_competition(session, slug, public_dataset=public)
    pair_ids = ["p00", "p01", "p10", "p11"]
    subs = []
    for k in range(entries):
        owner = make_user(session, f"artist{k}")
        sha = store_outputs(settings, write_outputs(tmp / f"out{k}", pair_ids, k + 1))
        subs.append(add_scored(session, competition, owner, full_scores(10.0 + k), minutes=k + 1,
                               label=f"model-{k}", public_outputs_sha256=sha))
    session.commit()
    return competition, subs
