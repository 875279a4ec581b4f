"""The baseline generators honour the upload contract and do what their names say."""
from __future__ import annotations

import warnings

import pytest
import torch

from arena.demo.baselines import BaselineName, channel_stats, export_simple_baselines
from arena.demo.build import build_baselines
from arena.demo.training import StyleNet, TrainingConfig


def _load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.jit.load(str(path))


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    return export_simple_baselines(tmp_path_factory.mktemp("baselines"))


def test_simple_baselines_are_torchscript_with_the_contract(archives):
    gen = torch.Generator().manual_seed(0)
    content = torch.rand(2, 3, 64, 80, generator=gen)
    style = torch.rand(2, 3, 96, 96, generator=gen) * 0.5 + 0.25
    outputs = {name: _load(path)(content, style) for name, path in archives.items()}
    for out in outputs.values():
        assert out.shape == content.shape and out.dtype == torch.float32
        assert 0.0 <= float(out.min()) and float(out.max()) <= 1.0
    assert torch.equal(outputs[BaselineName.IDENTITY], content)
    copied = outputs[BaselineName.STYLE_COPY]
    assert abs(float(copied.mean()) - float(style.mean())) < 0.01
    assert not torch.allclose(copied, content)
    mean, std = channel_stats(outputs[BaselineName.PIXEL_ADAIN])
    s_mean, s_std = channel_stats(style)
    assert torch.allclose(mean, s_mean, atol=0.01) and torch.allclose(std, s_std, atol=0.01)


def test_untrained_style_net_shades_the_style_with_the_content():
    net = StyleNet().eval()
    gen = torch.Generator().manual_seed(1)
    style = torch.rand(1, 3, 64, 64, generator=gen) * 0.4 + 0.3
    content = torch.zeros(1, 3, 64, 64)
    content[:, :, :, 32:] = 1.0  # dark left half, bright right half
    with torch.no_grad():
        out = net(content, style)
    assert out.shape == content.shape
    # The photograph's layout shows through: its bright half is brighter in the output.
    assert float(out[..., 32:].mean()) > float(out[..., :32].mean()) + 0.04
    assert abs(float(style[..., 32:].mean()) - float(style[..., :32].mean())) < 0.05


def test_build_baselines_trains_once_and_reuses(tmp_path):
    from dataclasses import replace

    from arena.core.datasets.manifest import load_manifest
    from arena.demo.builder import MAIN_PUBLIC, build_set

    # Two photographs × two styles keep the training and the public-split check quick.
    spec = replace(MAIN_PUBLIC, content=MAIN_PUBLIC.content[:2], styles=MAIN_PUBLIC.styles[:2])
    public = build_set(spec, tmp_path / "src").path
    (public / "pairs.csv").write_text(load_manifest(public).pairs_csv())
    config = TrainingConfig(seconds=4, max_steps=6, batch_size=2, crop=64)
    logs: list[str] = []
    paths = build_baselines(tmp_path / "out", public, config, log=logs.append)
    assert set(paths) == set(BaselineName)
    assert any("trained the style network" in line for line in logs)
    assert any(line.startswith("public-split ArtFID") for line in logs)
    net = _load(paths[BaselineName.TRAINED])
    content, style = torch.rand(1, 3, 72, 72), torch.rand(1, 3, 128, 128)
    out = net(content, style)
    assert out.shape == content.shape and torch.isfinite(out).all()
    stamp_before = paths[BaselineName.TRAINED].stat().st_mtime_ns
    logs.clear()
    build_baselines(tmp_path / "out", public, config, log=logs.append)
    assert logs == [] and paths[BaselineName.TRAINED].stat().st_mtime_ns == stamp_before
