"""A competition whose entries have measured cost, public outputs and per-pair public scores (issue 16 tests).

Rows go through the ORM; the public dev set is really published and the outputs really
stored, so the gallery, compare view and Pareto plot read what a worker would have written.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from datasets_helpers import make_dataset
from PIL import Image
from webseed import add_scored, full_scores, make_competition, make_user

from arena.core.models import EvaluationEfficiency
from arena.core.store import outputs as outputs_store
from arena.services.publishing import publish

# (user, label, art_fid, latency ms, baseline): fast-and-bad to slow-and-good, one dominated, one baseline.
ENTRIES = [
    ("identity", "copy", 80.0, 0.05, False),
    ("tinyconv", "tiny-conv", 55.0, 2.0, False),
    ("adain", "adain-v2", 42.0, 40.0, False),
    ("bulky", "bulky-but-bad", 60.0, 90.0, False),   # dominated: slower and worse than tiny-conv
    ("slowpoke", "gatys-iterative", 35.0, 4000.0, False),
    ("organizers", "baseline-adain", 48.0, 60.0, True),  # dominated by adain-v2
]


def cost_row(evaluation_id: int, latency: float, spread: float = 1.4, **changes) -> EvaluationEfficiency:
    values = dict(latency_median_ms=latency, latency_p95_ms=round(latency * spread, 4), throughput_ips=1000 / latency,
                  batch_size=4, timed_pairs=12, warmup_pairs=4, load_s=0.3, peak_rss_mb=420.0, peak_device_mb=None,
                  parameter_count=int(latency * 1000), parameter_bytes=int(latency * 4000), parameter_source="exact",
                  size_bytes=123456, run_s=30.0, device="cpu", cpus=2.0, memory_mb=4096)
    values.update(changes)
    return EvaluationEfficiency(evaluation_id=evaluation_id, **values)


def _outputs(settings, pair_ids: list[str], tint: tuple[int, int, int], seed: int) -> str:
    """Smooth tinted gradients (visible differences between entries), stored; returns their address."""
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        y, x = np.mgrid[0:72, 0:64]
        for pid in pair_ids:
            base = np.stack([(x * 4 + rng.integers(0, 60)) % 256, (y * 3) % 256, ((x + y) * 2) % 256], axis=-1)
            img = (0.5 * base + 0.5 * np.array(tint)).astype(np.uint8)
            Image.fromarray(img, "RGB").save(folder / f"{pid}.png")
        return outputs_store.store_outputs(settings, folder)


def seed_competition(session, settings, tmp_path: Path, slug: str = "speed-2026"):
    """The competition and {user: submission} of ENTRIES, committed."""
    public = publish(session, settings, make_dataset(tmp_path / "pub", name="dev", split="public", seed=3),
                     reference_stats=None).version
    hidden = publish(session, settings, make_dataset(tmp_path / "hid", name="hidden", split="hidden", seed=4),
                     reference_stats=None).version
    comp = make_competition(session, slug, hidden_dataset=hidden, public_dataset=public, title="Fast or good 2026",
                            description="Quality against speed.")
    pair_ids = ["p00", "p01", "p10", "p11"]
    subs = {}
    for i, (user, label, art_fid, latency, baseline) in enumerate(ENTRIES):
        sub = add_scored(session, comp, make_user(session, user), full_scores(art_fid), i, label=label,
                         is_baseline=baseline)
        evaluation = sub.evaluations[0]
        for score in evaluation.scores:  # an interval on the ranking metric, as the bootstrap stores it
            if score.metric == comp.ranking_metric:
                score.ci_low, score.ci_high = score.value - 2.5, score.value + 3.0
        evaluation.provenance = {**evaluation.provenance, "public_scores": {
            "metrics": {"art_fid": art_fid},
            "per_pair": {pid: {"lpips": round(0.2 + 0.01 * i + 0.005 * k, 4), "content_loss": 1.0 + i + k}
                         for k, pid in enumerate(pair_ids)}}}
        sub.public_outputs_sha256 = _outputs(settings, pair_ids, ((i * 70) % 256, (255 - i * 40) % 256, 120), i)
        session.add(cost_row(evaluation.id, latency))
        subs[user] = sub
    session.commit()
    return comp, subs
