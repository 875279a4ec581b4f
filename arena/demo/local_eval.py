"""Scoring the platform's own baseline modules in-process (tuning and fast tests only).

Participant code never runs here — only the demo's baselines, which this package builds;
submissions always go through the sandbox. Outputs are written exactly as the sandbox
harness writes them (8-bit RGB PNG per pair), so the scores match the real pipeline's.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from arena.core.imageset import CONTENT_DIR, PAIRS_NAME, STYLE_DIR


def _load(path: Path) -> torch.Tensor:
    with Image.open(path) as img:
        array = np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    return torch.from_numpy(array).permute(2, 0, 1).float().div_(255.0)


def run_generator(module: nn.Module, inputs_dir: Path, outputs_dir: Path) -> None:
    """Stylise every pair of an image-set directory into ``outputs_dir/<pair_id>.png``."""
    from evaluator.metrics.io import read_pairs_csv

    outputs_dir.mkdir(parents=True, exist_ok=True)
    module.eval()
    for pair in read_pairs_csv(inputs_dir / PAIRS_NAME):
        content = _load(inputs_dir / CONTENT_DIR / pair.content)[None]
        style = _load(inputs_dir / STYLE_DIR / pair.style)[None]
        with torch.inference_mode():
            out = module(content, style)[0]
        array = out.clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
        Image.fromarray(array, "RGB").save(outputs_dir / f"{pair.pair_id}.png", format="PNG")


def score_module(module: nn.Module, inputs_dir: Path, outputs_dir: Path, suite=None,
                 cache_dir: Path | None = None, dataset_key: str | None = None) -> dict[str, float]:
    """Run ``module`` on the set and return its metrics (evaluator.metrics, same as the worker)."""
    from evaluator.metrics.shared import shared_suite
    from evaluator.metrics.io import read_pairs_csv

    suite = suite or shared_suite(None)
    run_generator(module, inputs_dir, outputs_dir)
    result = suite.score(read_pairs_csv(inputs_dir / PAIRS_NAME), outputs_dir, inputs_dir / CONTENT_DIR,
                         inputs_dir / STYLE_DIR, cache_dir=cache_dir, dataset_key=dataset_key)
    return dict(result.metrics)
