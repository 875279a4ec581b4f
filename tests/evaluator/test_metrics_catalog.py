"""The metric catalog: composed versions, sizes that fit the database, standard library only."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from arena.core.models.submission import Score
from evaluator.metrics.catalog import FID_VERSION, LPIPS_VERSION, METRICS, art_fid_version


def test_art_fid_version_is_made_of_its_components_versions():
    distinct = METRICS["art_fid_distinct"].version
    assert distinct == art_fid_version(METRICS["fid"].version, METRICS["lpips"].version)
    assert FID_VERSION in distinct and LPIPS_VERSION in distinct
    # The published ArtFID is another definition: never the distinct variant's version.
    assert METRICS["art_fid"].version != distinct and "wright-ommer" in METRICS["art_fid"].version
    base = art_fid_version(FID_VERSION, LPIPS_VERSION)
    # A new FID or a new LPIPS definition is a new ArtFID definition.
    assert art_fid_version(FID_VERSION.replace("-1", "-2"), LPIPS_VERSION) != base
    assert art_fid_version(FID_VERSION, LPIPS_VERSION.replace("-1", "-2")) != base


def test_every_version_fits_the_scores_column():
    limit = Score.__table__.c.definition_version.type.length
    assert all(len(info.version) <= limit for info in METRICS.values())


def test_the_catalog_loads_without_numpy_or_torch():
    code = "import sys, evaluator.metrics.catalog; print(sorted({'numpy', 'torch'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout.strip() == "[]"
