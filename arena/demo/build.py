"""Building (or reusing) the four baseline archives of the demo board."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from arena.demo.baselines import BaselineName, export_simple_baselines
from arena.demo.training import TrainingConfig, export_trained

Log = Callable[[str], None]
STAMP = "trained-net.json"


def _training_key(public_dir: Path, config: TrainingConfig) -> str:
    """Identifies a trained archive: the training data's bytes and the configuration."""
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode())
    for path in sorted(p for p in public_dir.rglob("*") if p.is_file() and p.name != "manifest.json"):
        digest.update(path.relative_to(public_dir).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build_baselines(dest: Path, public_dir: Path, config: TrainingConfig = TrainingConfig(),
                    log: Log = print) -> dict[BaselineName, Path]:
    """Write identity, style-copy, pixel-AdaIN and the trained net (retrained only when stale).

    ``public_dir`` is an image-set directory (content/, style/, pairs.csv) to train on.
    """
    dest = Path(dest)
    paths = export_simple_baselines(dest)
    trained = dest / f"{BaselineName.TRAINED.value}.pt"
    key = _training_key(Path(public_dir), config)
    stamp = dest / STAMP
    fresh = trained.is_file() and stamp.is_file() and json.loads(stamp.read_text()).get("key") == key
    if not fresh:
        log("training the feed-forward baseline on the public split...")
        export_trained(Path(public_dir), trained, config, log)
        stamp.write_text(json.dumps({"key": key, "config": asdict(config)}, indent=1))
    paths[BaselineName.TRAINED] = trained
    return paths
