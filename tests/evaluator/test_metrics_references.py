"""Held-out references: FID/KID compare the outputs with them, so a copy of the conditioning image
no longer wins; style_loss keeps the conditioning image; the two protocols never share a cache entry.

Synthetic style "families" (a palette and a grain level per style): each style's conditioning
image is one sample of its family, its held-out references four others. A "style copy"
generator returns the conditioning image (nearest-resized to the content size), a "stylizer"
a fresh sample of the pair's family, identity the content image. Real seeded suite
(``shared_suite(None)``), as a worker without weights runs it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from evaluator.metrics import io
from evaluator.metrics.catalog import REFERENCE_PROTOCOL_CONDITIONING, REFERENCE_PROTOCOL_HELD_OUT
from evaluator.metrics.errors import ScoringError
from evaluator.metrics.fid import fid_from_features
from evaluator.metrics.io import Pair
from evaluator.metrics.kid import kernel_inception_distance
from evaluator.metrics.shared import shared_suite

N_CONTENT, N_STYLE, N_REF, SIDE = 4, 4, 4, 64
GENERATORS = ("copy", "identity", "stylizer")


def _family(style: int, sample: int) -> Image.Image:
    rng = np.random.default_rng(1000 * style + sample)
    base = np.random.default_rng(style + 7).random(3) * 255
    coarse = np.clip(base + rng.normal(0, 40, (5, 5, 3)), 0, 255).astype(np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((SIDE, SIDE), Image.BICUBIC), dtype=np.float64)
    grain = rng.normal(0, 4 + 12 * style, (SIDE, SIDE, 3))
    return Image.fromarray(np.clip(smooth + grain, 0, 255).astype(np.uint8))


def _content(index: int) -> Image.Image:
    rng = np.random.default_rng(50000 + index)
    coarse = Image.fromarray((rng.random((4, 4)) * 255).astype(np.uint8)).resize((SIDE, SIDE), Image.BICUBIC)
    return Image.fromarray(np.repeat(np.asarray(coarse)[..., None], 3, axis=2))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("references")
    for folder in ("content", "style", "references", *GENERATORS):
        (root / folder).mkdir()
    references: dict[str, list[Path]] = {}
    for j in range(N_STYLE):
        _family(j, 0).save(root / "style" / f"s{j}.png")
        references[f"s{j}.png"] = []
        for r in range(N_REF):
            path = root / "references" / f"s{j}-r{r}.png"
            _family(j, 1 + r).save(path)
            references[f"s{j}.png"].append(path)
    pairs = []
    for i in range(N_CONTENT):
        content = _content(i)
        content.save(root / "content" / f"c{i}.png")
        for j in range(N_STYLE):
            pair = Pair(f"p{i}-{j}", f"c{i}.png", f"s{j}.png")
            pairs.append(pair)
            Image.open(root / "style" / pair.style).resize((SIDE, SIDE), Image.NEAREST).save(root / "copy" / f"{pair.pair_id}.png")
            content.save(root / "identity" / f"{pair.pair_id}.png")
            _family(j, 100 + i).save(root / "stylizer" / f"{pair.pair_id}.png")
    return root, pairs, references


def _score(suite, world, generator, references=None, cache_dir=None):
    root, pairs, _ = world
    return suite.score(pairs, root / generator, root / "content", root / "style", cache_dir, "demo-v2",
                       references=references)


def _features(suite, paths) -> np.ndarray:
    with torch.inference_mode():
        batch = torch.stack([io.decode_reference(Path(p)) for p in paths]).float().div(255)
        return suite.backbones.inception(batch).double().numpy()


@pytest.fixture(scope="module")
def suite():
    return shared_suite(None)


@pytest.fixture(scope="module")
def scores(suite, world):
    _, _, references = world
    held_out = {gen: _score(suite, world, gen, references) for gen in GENERATORS}
    return _score(suite, world, "copy"), held_out


def test_a_copy_of_the_conditioning_image_no_longer_wins(scores):
    old_copy, new = scores
    assert old_copy.reference_protocol == REFERENCE_PROTOCOL_CONDITIONING and old_copy.n_references == N_STYLE
    # Against the conditioning images the copy is (nearly) the reference set itself: FID ≈ 0.
    assert old_copy.metrics["fid"] < 0.2
    fid = {gen: result.metrics["fid"] for gen, result in new.items()}
    assert all(r.reference_protocol == REFERENCE_PROTOCOL_HELD_OUT for r in new.values())
    assert all(r.n_references == N_STYLE * N_REF and r.n_styles == N_STYLE for r in new.values())
    # Against held-out references it is not: more than ten times its old FID, and beaten by a
    # generator that produces new images of each style, while identity stays far behind.
    assert fid["copy"] > 10 * old_copy.metrics["fid"]
    assert fid["stylizer"] < fid["copy"] < fid["identity"]
    assert fid["identity"] > 10 * fid["copy"]


def test_fid_and_kid_equal_a_direct_computation_on_the_reference_features(suite, world, scores):
    root, pairs, references = world
    _, new = scores
    reference_paths = sorted({p for paths in references.values() for p in paths}, key=lambda p: p.name)
    ref_feats = _features(suite, reference_paths)
    out_feats = _features(suite, [root / "copy" / f"{p.pair_id}.png" for p in pairs])
    result = new["copy"]
    assert result.metrics["fid"] == pytest.approx(fid_from_features(out_feats, ref_feats), rel=1e-6)
    kid = kernel_inception_distance(out_feats, ref_feats)
    # The suite's features come from batches of another make-up than ``_features``'s, so float32
    # convolutions differ in the last bits; on a KID this close to 0 that is ~1e-6 relative.
    assert result.metrics["kid"] == pytest.approx(kid.mean, rel=1e-5, abs=1e-8)
    assert result.kid.subset_size == kid.subset_size == N_STYLE * N_REF


def test_style_loss_still_compares_with_the_conditioning_image(scores):
    old_copy, new = scores
    # The copy matches its conditioning image's VGG statistics whatever FID compares with.
    assert new["copy"].per_pair == old_copy.per_pair
    assert new["copy"].metrics["style_loss"] < new["stylizer"].metrics["style_loss"]


def test_the_two_protocols_never_share_a_cache_entry(suite, world, scores, tmp_path):
    root, pairs, references = world
    args = (pairs, root / "content", root / "style", "demo-v2")
    plain, held_out = suite.reference_key(*args), suite.reference_key(*args, references=references)
    assert plain != held_out
    # The key follows the reference set: another image, or one fewer, is another key.
    fewer = {style: paths[:-1] for style, paths in references.items()}
    assert suite.reference_key(*args, references=fewer) not in (plain, held_out)
    # Both kinds of entry are stored side by side; a second score hits its own, same numbers.
    cache = tmp_path / "cache"
    first_new = _score(suite, world, "copy", references, cache)
    first_old = _score(suite, world, "copy", None, cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted([plain, held_out])
    again_new = _score(suite, world, "copy", references, cache)
    again_old = _score(suite, world, "copy", None, cache)
    assert not first_new.cache_hit and again_new.cache_hit and again_old.cache_hit
    assert again_new.metrics == first_new.metrics == scores[1]["copy"].metrics
    assert again_old.metrics == first_old.metrics == scores[0].metrics
    assert again_new.reference_protocol == REFERENCE_PROTOCOL_HELD_OUT


def test_each_distinct_reference_counts_once(suite, world, tmp_path):
    root, pairs, references = world
    shared = dict(references)
    shared["s1.png"] = list(references["s1.png"]) + [references["s0.png"][0], references["s1.png"][0]]
    stats = suite.reference_stats(pairs, root / "content", root / "style", references=shared)
    assert len(stats.reference_names) == len(stats.fid_features) == N_STYLE * N_REF


def test_a_style_without_references_is_refused(suite, world):
    root, pairs, references = world
    partial = {style: paths for style, paths in references.items() if style != "s2.png"}
    with pytest.raises(ScoringError) as excinfo:
        suite.reference_key(pairs, root / "content", root / "style", references=partial)
    assert excinfo.value.code == "missing_input"
