"""Files saved by the host's torch run in the sandbox's torch: a torch.export .pt2 and a TorchScript .pt.

The host (the project's venv) has a newer torch than the image; these tests save with it and
run in the real container, so a torch upgrade on either side that breaks loading shows here.
"""
from __future__ import annotations

import json
from pathlib import Path

import docker
import numpy as np
import pytest
import torch
from PIL import Image

from arena.core.enums import SubmissionFormat
from sandbox import environment
from sandbox.examples import tiny_stylizer, write_export_generator, write_image_set, write_torchscript_generator
from sandbox.upload import validate_upload
from sandbox.validation import validate_outputs

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def mixed_sizes(tmp_path_factory) -> Path:
    """Three pairs: two content sizes, styles of other sizes (a .pt2 must not be shape-specialised)."""
    dest = write_image_set(tmp_path_factory.mktemp("mixed") / "set", n_pairs=3, size=(40, 24))
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (57, 33, 3), dtype=np.uint8), "RGB").save(dest / "content" / "c1.png")
    return dest


def host_outputs(module, inputs: Path) -> dict[str, np.ndarray]:
    """What the harness would write, computed by the host's torch on the module itself."""
    outputs = {}
    for line in (inputs / "pairs.csv").read_text().splitlines()[1:]:
        pair_id, content_name, style_name = line.split(",")
        tensors = [torch.from_numpy(np.asarray(Image.open(inputs / folder / name).convert("RGB"), dtype=np.uint8).copy())
                   .permute(2, 0, 1).float().div(255)[None] for folder, name in (("content", content_name), ("style", style_name))]
        with torch.inference_mode():
            out = module(*tensors)[0]
        outputs[pair_id] = out.clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return outputs


def assert_same_pixels(out_dir: Path, expected: dict[str, np.ndarray]) -> None:
    for pair_id, pixels in expected.items():
        written = np.asarray(Image.open(out_dir / f"{pair_id}.png").convert("RGB"), dtype=np.int16)
        assert written.shape == pixels.shape
        # Two torch builds may round a value on either side of an 8-bit step, never further.
        assert np.abs(written - pixels.astype(np.int16)).max() <= 1


def test_host_exported_pt2_runs_in_the_sandbox_at_any_size(runner, mixed_sizes, limits, tmp_path):
    pt2 = write_export_generator(tmp_path / "model.pt2")
    assert validate_upload(pt2, 50 << 20).format is SubmissionFormat.EXPORT
    result = runner.run(pt2, SubmissionFormat.EXPORT, mixed_sizes, tmp_path / "out", limits, {})
    validate_outputs(tmp_path / "out", mixed_sizes)
    report = result.report
    assert report["format"] == "export" and report["status"] == "ok" and report["pairs_written"] == 3
    assert report["torch_version"] == environment.torch_version() != torch.__version__
    assert [b["pairs"] for b in report["batches"]] == [1, 1, 1]  # one pair per call
    assert report["parameter_count"] == 84
    assert_same_pixels(tmp_path / "out", host_outputs(tiny_stylizer(), mixed_sizes))


def test_host_saved_torchscript_loads_in_the_sandbox(runner, mixed_sizes, limits, tmp_path):
    model = write_torchscript_generator(tmp_path / "model.pt")
    result = runner.run(model, SubmissionFormat.TORCHSCRIPT, mixed_sizes, tmp_path / "out", limits, {})
    validate_outputs(tmp_path / "out", mixed_sizes)
    assert result.report["torch_version"] == environment.torch_version() and result.report["pairs_written"] == 3
    assert_same_pixels(tmp_path / "out", host_outputs(tiny_stylizer(), mixed_sizes))


def test_the_stated_versions_are_the_real_ones(docker_host, sandbox_image, tmp_path):
    # The guide and the upload check state these; they must be what the image and the host run.
    script = ("import json, torch; from torch._export.serde.schema import SCHEMA_VERSION; "
              "print(json.dumps({'torch': torch.__version__, 'schema': list(SCHEMA_VERSION)}))")
    client = docker.DockerClient(base_url=docker_host)
    try:
        raw = client.containers.run(sandbox_image, ["python3", "-I", "-c", script], network_disabled=True,
                                    remove=True, stderr=False)
    finally:
        client.close()
    inside = json.loads(raw.decode().strip().splitlines()[-1])
    assert inside["torch"] == environment.torch_version()
    assert inside["schema"][0] == environment.EXPORT_SCHEMA_MAJOR
    from torch._export.serde.schema import SCHEMA_VERSION

    # The host's torch is the tested saver; its schema major is the one the image reads.
    assert torch.__version__.split("+")[0] == environment.TESTED_SAVER_TORCH
    assert SCHEMA_VERSION[0] == environment.EXPORT_SCHEMA_MAJOR


def test_a_pt2_for_fixed_sizes_fails_in_the_sandbox_with_the_fix(runner, mixed_sizes, limits, tmp_path):
    # The sandbox's torch words the failed input guard; the harness must still recognise it.
    from sandbox.errors import GeneratorCrashed

    program = torch.export.export(tiny_stylizer(), (torch.rand(1, 3, 24, 40), torch.rand(1, 3, 32, 48)))
    torch.export.save(program, str(tmp_path / "fixed.pt2"))
    with pytest.raises(GeneratorCrashed) as info:
        runner.run(tmp_path / "fixed.pt2", SubmissionFormat.EXPORT, mixed_sizes, tmp_path / "out", limits, {})
    assert info.value.code == "generator_error"
    assert "exported for fixed input sizes" in info.value.message and "dynamic_shapes" in info.value.message
