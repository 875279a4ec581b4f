"""`stylearena weights status` and the metric suite give the same answer to "calibrated?".

Both read ``evaluator.weights.calibration_status``; this checks it from both ends on the same
weights folders: none, partial, a mismatched file, all verified, and all verified but the
LPIPS linear layers off their pin (which ``weights status`` used to call calibrated).
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import evaluator.metrics.backbones as backbones_module
import evaluator.weights as weights_module
from arena.cli import cli
from arena.core.settings import Settings
from evaluator.metrics.backbones import load_backbones
from evaluator.metrics.backbones.art_inception import build_art_inception
from evaluator.metrics.backbones.inception import build_fid_inception
from evaluator.metrics.backbones.lpips_alex import build_alexnet_trunk
from evaluator.metrics.backbones.vgg import build_vgg19_features
from evaluator.weights import Backbone, WeightFile, manifest_entry
from metrics_support import ART_INCEPTION_FILE, INCEPTION_FILE, seeded_weights


def _pin(path: Path, backbone: Backbone) -> WeightFile:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    return WeightFile(backbone, path.name, f"https://example.invalid/{path.name}", digest, len(data))


@pytest.fixture(scope="module")
def networks(metric_suite):
    """Loadable networks of the four backbones: the tests' seeded Inception files, the
    session suite's seeded VGG19 and AlexNet."""
    inception = build_fid_inception()
    inception.load_state_dict(torch.load(seeded_weights().weights_dir / INCEPTION_FILE, weights_only=True))
    art = build_art_inception()
    art.load_state_dict(torch.load(seeded_weights().weights_dir / ART_INCEPTION_FILE, weights_only=True))
    vgg = build_vgg19_features()
    vgg.load_state_dict(metric_suite.backbones.vgg.features.state_dict())
    alex = build_alexnet_trunk()
    alex.load_state_dict(metric_suite.backbones.lpips.trunk.state_dict())
    return {Backbone.INCEPTION: inception, Backbone.VGG19: vgg, Backbone.ALEXNET: alex, Backbone.ART_INCEPTION: art}


@pytest.fixture(scope="module")
def weight_files(networks, tmp_path_factory) -> dict[Backbone, Path]:
    """The four networks saved as state dicts under their real manifest names."""
    folder = tmp_path_factory.mktemp("weight-files")
    files = {}
    for backbone, net in networks.items():
        prefix = "" if backbone in (Backbone.INCEPTION, Backbone.ART_INCEPTION) else "features."
        files[backbone] = folder / manifest_entry(backbone).filename
        torch.save({prefix + k: v for k, v in net.state_dict().items()}, files[backbone])
    return files


@pytest.fixture
def pinned(weight_files, networks, monkeypatch):
    """A manifest pinning exactly those files; seeding replaced by copies of the same networks
    (seeding takes seconds and plays no part in deciding what is calibrated)."""
    monkeypatch.setattr(weights_module, "MANIFEST", tuple(_pin(path, b) for b, path in weight_files.items()))
    for name, backbone in [("seeded_fid_inception", Backbone.INCEPTION), ("seeded_vgg19_features", Backbone.VGG19),
                           ("seeded_alexnet_trunk", Backbone.ALEXNET),
                           ("seeded_art_inception", Backbone.ART_INCEPTION)]:  # fmt: skip
        monkeypatch.setattr(backbones_module, name, lambda seed, net=networks[backbone]: copy.deepcopy(net))
    return weight_files


def _weights_dir(tmp_path: Path, files: dict[Backbone, Path], which: tuple[Backbone, ...]) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    for backbone in which:
        (folder / files[backbone].name).write_bytes(files[backbone].read_bytes())
    return folder


def _status_says(folder: Path) -> dict:
    settings = Settings(data_dir=folder.parent / "data", weights_dir=folder, testing=True)
    result = CliRunner().invoke(cli, ["weights", "status", "--json"], obj={"settings": settings})
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


ALL = (Backbone.INCEPTION, Backbone.VGG19, Backbone.ALEXNET, Backbone.ART_INCEPTION)


@pytest.mark.parametrize(
    ("case", "present", "calibrated"),
    [
        ("none", (), False),
        ("partial", (Backbone.ALEXNET,), False),
        ("mismatch", ALL, False),
        ("all", ALL, True),
        ("lpips_head_off_pin", ALL, False),
    ],
)
def test_weights_status_and_the_suite_agree(pinned, tmp_path, monkeypatch, case, present, calibrated):
    folder = _weights_dir(tmp_path, pinned, present)
    if case == "mismatch":
        vgg = folder / pinned[Backbone.VGG19].name
        state = torch.load(vgg, weights_only=True)
        state["features.0.bias"] += 1e-3  # still loadable, no longer the pinned bytes
        torch.save(state, vgg)
    if case == "lpips_head_off_pin":
        monkeypatch.setattr(
            weights_module, "LPIPS_LINEAR", dataclasses.replace(weights_module.LPIPS_LINEAR, sha256="0" * 64)
        )
    status = _status_says(folder)
    suite = load_backbones(folder, torch.device("cpu"))
    assert status["calibrated"] is suite.calibrated is calibrated
    states = {row["name"]: row["state"] for row in status["files"]}
    assert set(states) == {"inception", "vgg19", "alexnet", "art_inception", "lpips_linear"}
    verified = {info.name: info.verified for info in suite.info}
    assert {name: state == "verified" for name, state in states.items()} == verified
    sources = {info.name: info.source for info in suite.info}
    for backbone in ALL:
        assert sources[backbone.value] == ("file" if backbone in present else "seeded")
