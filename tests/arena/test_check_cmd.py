"""`stylearena check` without Docker: the dev-set download as input, progress, clear errors.

Each test runs the real harness in a subprocess on the host (the participant's own machine);
the platform-equality test is tests/evaluator/test_public_split_score.py.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from arena.cli import cli
from sandbox.examples import export_program, tiny_stylizer, write_blend_package, write_package


def dev_set_download(dest: Path, n_pairs: int = 3, references: bool = True, size: int = 48) -> Path:
    """A zip laid out like the platform's dev-set download: one folder with manifest, pairs, images, references."""
    rng = np.random.default_rng(0)
    prefix = "dev-0123456789ab"
    pairs = [f"p{i},c{i}.png,s{i % 2}.png" for i in range(n_pairs)]
    refs = [{"file": f"r{i}.png", "style": f"s{i % 2}.png", "sha256": "0" * 64} for i in range(4)] if references else []
    with zipfile.ZipFile(dest, "w") as zf:
        def png(name: str) -> None:
            buffer = __import__("io").BytesIO()
            Image.fromarray(rng.integers(0, 256, (size, size + 8, 3), dtype=np.uint8), "RGB").save(buffer, "PNG")
            zf.writestr(f"{prefix}/{name}", buffer.getvalue())

        zf.writestr(f"{prefix}/pairs.csv", "pair_id,content,style\n" + "\n".join(pairs) + "\n")
        zf.writestr(f"{prefix}/manifest.json", json.dumps({"format": 2, "references": refs}))
        for i in range(n_pairs):
            png(f"content/c{i}.png")
        for i in range(2):
            png(f"style/s{i}.png")
        for ref in refs:
            png(f"references/{ref['file']}")
    return dest


def check(*args: str):
    return CliRunner().invoke(cli, ["check", *map(str, args)])


def test_check_scores_a_package_on_the_downloaded_dev_set_with_its_references(tmp_path):
    dev = dev_set_download(tmp_path / "dev.zip")
    result = check(write_blend_package(tmp_path / "p.zip"), "--dev-set", dev, "--out", tmp_path / "kept")
    assert result.exit_code == 0, result.output
    for step in ("[check] 1/4 upload ok: package", "[check] 2/4 running the harness", "[check] 3/4 3 outputs valid",
                 "[check] 4/4 scoring"):
        assert step in result.stderr
    assert "  | [stylearena] batch 1" in result.stderr  # the harness's progress, streamed
    assert "public-split score" in result.stdout and "FID/KID references: 4 (held-out" in result.stdout
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["p0.png", "p1.png", "p2.png"]


def test_a_generator_error_is_shown_with_its_code_and_traceback(tmp_path):
    code = "class Stylizer:\n    def __call__(self, c, s):\n        raise ValueError('weights layout')\n"
    result = check(write_package(tmp_path / "p.zip", {"generator.py": code}), "--dev-set", dev_set_download(tmp_path / "d.zip"))
    assert result.exit_code == 1
    assert "[generator_error] The generator raised an error: ValueError: weights layout" in result.output
    assert "Traceback" in result.stderr


def test_outputs_in_0_255_get_the_platforms_fix(tmp_path):
    code = "class Stylizer:\n    def __call__(self, c, s):\n        return c * 255\n"
    result = check(write_package(tmp_path / "p.zip", {"generator.py": code}), "--dev-set", dev_set_download(tmp_path / "d.zip"))
    assert result.exit_code == 1 and "[out_of_range]" in result.output and "divide the output by 255" in result.output


def test_a_pt2_exported_for_fixed_sizes_is_told_to_use_dynamic_ones(tmp_path):
    import torch

    program = torch.export.export(tiny_stylizer(), (torch.rand(1, 3, 32, 24), torch.rand(1, 3, 40, 32)))
    torch.export.save(program, str(tmp_path / "fixed.pt2"))
    result = check(tmp_path / "fixed.pt2", "--dev-set", dev_set_download(tmp_path / "d.zip", references=False))
    assert result.exit_code == 1 and "[generator_error]" in result.output
    assert "exported for fixed input sizes" in result.output and "dynamic_shapes" in result.output
    # Exported with dynamic height and width, it runs.
    torch.export.save(export_program(tiny_stylizer()), str(tmp_path / "dynamic.pt2"))
    result = check(tmp_path / "dynamic.pt2", "--dev-set", dev_set_download(tmp_path / "d2.zip", references=False))
    assert result.exit_code == 0, result.output
    assert "[check] 1/4 upload ok: export" in result.stderr


def test_a_hung_generator_times_out(tmp_path):
    code = "import time\nclass Stylizer:\n    def __call__(self, c, s):\n        time.sleep(600)\n"
    result = check(write_package(tmp_path / "p.zip", {"generator.py": code}), "--dev-set",
                   dev_set_download(tmp_path / "d.zip"), "--timeout", "8")
    assert result.exit_code == 1 and "[timeout]" in result.output


@pytest.mark.parametrize("case", ["zipped_folder", "not_a_dev_set", "file_name"])
def test_bad_inputs_say_what_to_do(tmp_path, case):
    if case == "zipped_folder":
        package = write_blend_package(tmp_path / "p.zip")
        nested = tmp_path / "nested.zip"
        with zipfile.ZipFile(package) as zin, zipfile.ZipFile(nested, "w") as zout:
            for info in zin.infolist():
                zout.writestr("pkg/" + info.filename, zin.read(info))
        result = check(nested, "--dev-set", dev_set_download(tmp_path / "d.zip"))
        assert "upload refused [nested_package]" in result.output and "Zip the contents, not the folder" in result.output
    elif case == "file_name":
        # The platform refuses the name before the bytes; so does the check.
        weights = write_blend_package(tmp_path / "p.zip").rename(tmp_path / "model.pth")
        result = check(weights, "--dev-set", dev_set_download(tmp_path / "d.zip"))
        assert "upload refused [bad_extension]" in result.output and ".pt2" in result.output
    else:
        (tmp_path / "notes.txt").write_text("hello")
        result = check(write_blend_package(tmp_path / "p.zip"), "--dev-set", tmp_path / "notes.txt")
        assert "is not a zip archive; pass the dev-set download" in result.output
    assert result.exit_code == 1
