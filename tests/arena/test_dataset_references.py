"""Dataset format 2: held-out style references, never shown to a generator, never a copy."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from datasets_helpers import make_dataset, read_manifest, write_image, write_manifest
from PIL import Image

from arena.core.datasets.download import public_download
from arena.core.datasets.errors import DatasetError, DatasetInvalid
from arena.core.datasets.staging import stage_dataset, stage_references
from arena.services.publishing import publish


def _publish(db_session, settings, path, **kw):
    return publish(db_session, settings, path, reference_stats=None, **kw).version


def test_references_are_stored_and_staged_apart_from_the_generators_inputs(db_session, settings, tmp_path):
    version = _publish(db_session, settings, make_dataset(tmp_path / "h", split="hidden", references_per_style=2))
    inputs = stage_dataset(settings, version, tmp_path / "inputs")
    assert sorted(p.name for p in inputs.iterdir()) == ["content", "pairs.csv", "style"]
    refs = stage_references(settings, version, tmp_path / "refs")
    assert {style: sorted(p.name for p in paths) for style, paths in refs.items()} == {
        "s0.png": ["r0-0.png", "r0-1.png"], "s1.png": ["r1-0.png", "r1-1.png"]}
    stored = json.loads((settings.datasets_dir / version.storage_path / "manifest.json").read_text())
    assert stored["format"] == 2 and all(r["sha256"] for r in stored["references"])


def test_format_1_versions_keep_their_ids_and_have_no_references(db_session, settings, tmp_path):
    version = _publish(db_session, settings, make_dataset(tmp_path / "v1", split="hidden"))
    stored = json.loads((settings.datasets_dir / version.storage_path / "manifest.json").read_text())
    assert stored["format"] == 1 and "references" not in stored
    assert stage_references(settings, version, tmp_path / "refs") is None


def test_a_hidden_format_2_set_needs_a_reference_for_every_style(db_session, settings, tmp_path):
    root = make_dataset(tmp_path / "h", split="hidden", references_per_style=1)
    manifest = read_manifest(root)
    manifest["references"] = [r for r in manifest["references"] if r["style"] != "s1.png"]
    write_manifest(root, manifest)
    with pytest.raises(DatasetInvalid) as err:
        _publish(db_session, settings, root)
    assert any(p.startswith("style/s1.png: has no held-out reference") for p in err.value.problems)


def test_a_copy_of_a_conditioning_image_is_refused_by_name(db_session, settings, tmp_path):
    root = make_dataset(tmp_path / "h", split="hidden", references_per_style=1)
    (root / "references" / "r0-0.png").write_bytes((root / "style" / "s0.png").read_bytes())
    with Image.open(root / "style" / "s1.png") as style:  # a resized, re-encoded copy
        style.resize((80, 90), Image.Resampling.BILINEAR).save(root / "references" / "r1-0.png")
    with pytest.raises(DatasetInvalid) as err:
        _publish(db_session, settings, root)
    problems = err.value.problems
    assert any(p.startswith("references/r0-0.png: identical to style/s0.png") for p in problems)
    assert any(p.startswith("references/r1-0.png: a near-duplicate of style/s1.png") for p in problems)


def test_other_images_of_a_style_pass_the_near_duplicate_check(db_session, settings, tmp_path):
    # Another crop of a smooth picture is similar in colour, not a copy: it must be accepted.
    root = make_dataset(tmp_path / "h", split="hidden", references_per_style=1)
    big = Image.linear_gradient("L").convert("RGB").resize((256, 256))
    big.crop((0, 0, 96, 96)).save(root / "style" / "s0.png")
    big.crop((150, 150, 246, 246)).save(root / "references" / "r0-0.png")
    assert _publish(db_session, settings, root).n_style == 2


def test_references_need_format_2(db_session, settings, tmp_path):
    root = make_dataset(tmp_path / "h", split="hidden", references_per_style=1)
    manifest = read_manifest(root)
    manifest["format"] = 1
    write_manifest(root, manifest)
    with pytest.raises(DatasetError, match="'references' needs"):
        _publish(db_session, settings, root)


def test_a_public_download_carries_its_references(db_session, settings, tmp_path):
    version = _publish(db_session, settings, make_dataset(tmp_path / "p", references_per_style=1))
    with zipfile.ZipFile(public_download(settings, version)) as zf:
        names = sorted(n.split("/", 1)[1] for n in zf.namelist())
    assert "references/r0-0.png" in names and "references/r1-0.png" in names
