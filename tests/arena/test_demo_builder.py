"""The demo datasets: deterministic bytes and hashes, valid and publishable, disjoint splits."""
from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image

from arena.services.publishing import build_canonical
from arena.demo.builder import MAIN_SLUG, PORTRAIT_SLUG, SPECS, DemoScale, build_demo_datasets
from arena.core.enums import DatasetSplit
from arena.core.settings import Settings


def _digest(root) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return root, build_demo_datasets(root / "a", DemoScale.FULL)


def test_builder_is_deterministic(built, tmp_path):
    root, sets = built
    again = build_demo_datasets(tmp_path / "b", DemoScale.FULL)
    assert [s.name for s in sets] == [s.name for s in again]
    assert _digest(root / "a") == _digest(tmp_path / "b")
    settings_a = Settings(data_dir=tmp_path / "store-a")
    settings_b = Settings(data_dir=tmp_path / "store-b")
    for first, second in zip(sets, again):
        assert (build_canonical(first.path, settings_a, None).manifest.sha256
                == build_canonical(second.path, settings_b, None).manifest.sha256)


def test_sets_are_valid_two_competitions_and_disjoint(built, tmp_path):
    _, sets = built
    assert {(s.competition, s.split) for s in sets} == {
        (MAIN_SLUG, DatasetSplit.PUBLIC), (MAIN_SLUG, DatasetSplit.HIDDEN),
        (PORTRAIT_SLUG, DatasetSplit.PUBLIC), (PORTRAIT_SLUG, DatasetSplit.HIDDEN)}
    settings = Settings(data_dir=tmp_path / "store")
    manifests = {s.name: build_canonical(s.path, settings, None).manifest for s in sets}  # raises on any problem
    for comp in (MAIN_SLUG, PORTRAIT_SLUG):
        pub, hid = (manifests[s.name] for s in sorted((s for s in sets if s.competition == comp),
                                                         key=lambda s: s.split != DatasetSplit.PUBLIC))
        hashes = lambda m: {e.sha256 for e in m.content + m.style}  # noqa: E731
        assert not hashes(pub) & hashes(hid)
    hidden = manifests["demo-main-hidden"]
    assert len(hidden.pairs) == len(hidden.content) * len(hidden.style) >= 24
    assert {(e.width, e.height) for e in hidden.content} == {(128, 128)}
    assert {(e.width, e.height) for e in hidden.style} == {(144, 144)}


def test_manifest_records_sources_and_licences(built):
    _, sets = built
    manifest = json.loads((sets[0].path / "manifest.json").read_text())
    assert manifest["licence"] and manifest["attribution"]
    assert all(e["source"] and e["licence"] for e in manifest["content"] + manifest["style"])
    assert any("scikit-image" in e["source"] for e in manifest["content"])


def test_small_scale_is_a_subset_with_few_pairs(tmp_path):
    sets = build_demo_datasets(tmp_path, DemoScale.SMALL)
    assert [s.split for s in sets] == [DatasetSplit.PUBLIC, DatasetSplit.HIDDEN]
    hidden = json.loads((sets[1].path / "manifest.json").read_text())
    assert 4 <= len(hidden["pairs"]) <= 16
    full_hidden = next(s for s in SPECS if s.name == "demo-main-hidden")
    assert {c["file"] for c in hidden["content"]} <= {f"{c.name}.png" for c in full_hidden.content}
    with Image.open(sets[1].path / "style" / hidden["style"][0]["file"]) as img:
        assert img.mode == "RGB"
