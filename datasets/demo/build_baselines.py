"""Rebuild the demo baselines: ``python datasets/demo/build_baselines.py OUT_DIR``.

Builds the demo's main public split into OUT_DIR/public and writes identity, style-copy,
pixel-adain and trained-net TorchScript archives into OUT_DIR. (A script, not a package:
this folder must not become an importable ``datasets`` package.)
"""
from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from arena.datasets.manifest import PAIRS_NAME, load_manifest
    from arena.demo.build import build_baselines
    from arena.demo.builder import MAIN_PUBLIC, build_set

    if len(argv) != 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    out = Path(argv[0])
    public = build_set(MAIN_PUBLIC, out / "public").path
    (public / PAIRS_NAME).write_text(load_manifest(public).pairs_csv(), encoding="utf-8")
    for name, path in build_baselines(out, public).items():
        print(f"{name.value}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
