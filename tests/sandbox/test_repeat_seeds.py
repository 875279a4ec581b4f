"""Seeded generators and the repeat pass (the diversity metric's second seed) on the real Docker Engine.

The harness seeds every generator call from the run seed and the call's pair ids
(``sandbox/harness/seeding.py``), so a stochastic generator reproduces; asked for a repeat
pass it runs every pair again with the second seed into /out/repeat, and the host treats those
files exactly like the outputs: the same extraction rules and the same validation.
"""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from arena.core.enums import SubmissionFormat
from arena.core.limits import SandboxLimits
from sandbox.errors import InvalidOutput
from sandbox.examples import write_noisy_package, write_package, write_torchscript_generator
from sandbox.harness.seeding import REPEAT_SEED, RUN_SEED, batch_seed
from sandbox.runner import repeat_limits
from sandbox.streams import extract_outputs
from sandbox.validation import validate_outputs, validate_repeat_outputs

NAMES = ["p0.png", "p1.png"]


def _bytes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


# ---------------------------------------------------------------- without Docker
def test_the_seed_depends_on_the_run_seed_and_the_pair_ids_only():
    assert batch_seed(RUN_SEED, ["p0", "p1"]) == batch_seed(RUN_SEED, ("p0", "p1"))
    assert len({batch_seed(RUN_SEED, ["p0"]), batch_seed(REPEAT_SEED, ["p0"]), batch_seed(RUN_SEED, ["p1"]),
                batch_seed(RUN_SEED, ["p0", "p1"])}) == 4
    assert 0 <= batch_seed(RUN_SEED, ["p0"]) < 2**63


def test_a_repeat_run_gets_twice_the_time_and_output_space_and_nothing_else():
    limits = SandboxLimits(memory_mb=1024, cpus=1.0, pids_limit=64, timeout_s=60, tmpfs_mb=64, output_mb=16)
    doubled = repeat_limits(limits)
    assert (doubled.timeout_s, doubled.output_mb) == (120, 32)
    assert (doubled.memory_mb, doubled.cpus, doubled.pids_limit, doubled.tmpfs_mb) == (1024, 1.0, 64, 64)


def _tar(members: dict[str, bytes], links: tuple[str, ...] = ()) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    buf.seek(0)
    return buf


def test_repeat_files_are_extracted_only_when_asked_for_and_under_the_output_rules(tmp_path):
    archive = {"./images/p0.png": b"first", "./repeat/p0.png": b"second"}
    extract_outputs(_tar(archive), tmp_path / "out", 100)
    assert _bytes(tmp_path / "out") == {"p0.png": b"first"}  # not asked: /out/repeat is ignored
    extract_outputs(_tar(archive), tmp_path / "out2", 100, repeat_dir=tmp_path / "rep")
    assert _bytes(tmp_path / "out2") == {"p0.png": b"first"} and _bytes(tmp_path / "rep") == {"p0.png": b"second"}
    with pytest.raises(InvalidOutput) as caught:
        extract_outputs(_tar({}, links=("./repeat/p0.png",)), tmp_path / "out3", 100, repeat_dir=tmp_path / "rep3")
    assert caught.value.code == "symlink" and "repeat pass" in caught.value.message
    with pytest.raises(InvalidOutput) as caught:
        extract_outputs(_tar({"./repeat/sub/p0.png": b"x"}), tmp_path / "out4", 100, repeat_dir=tmp_path / "rep4")
    assert caught.value.code == "extra_output" and "repeat pass" in caught.value.message


# ---------------------------------------------------------------- the real sandbox
@pytest.mark.docker
def test_a_stochastic_generator_reproduces_and_its_repeat_pass_differs(runner, image_set, limits, tmp_path):
    package = write_noisy_package(tmp_path / "noisy.zip")
    runs = []
    for index in range(2):
        out, rep = tmp_path / f"out{index}", tmp_path / f"rep{index}"
        result = runner.run(package, SubmissionFormat.PACKAGE, image_set, out, limits, {}, repeat_dir=rep)
        validate_outputs(out, image_set)
        validate_repeat_outputs(rep, image_set)
        runs.append((_bytes(out), _bytes(rep)))
    (first, first_repeat), (second, second_repeat) = runs
    assert sorted(first) == sorted(first_repeat) == NAMES
    # Seeded per call: the same outputs in both runs, for both seeds ...
    assert first == second and first_repeat == second_repeat
    # ... and other pixels under the second seed.
    assert all(first[name] != first_repeat[name] for name in NAMES)
    report = result.report
    assert report["seed"] == RUN_SEED and report["repeat_seed"] == REPEAT_SEED
    assert report["pairs_written"] == 2 and report["repeat_pairs_written"] == 2
    assert [b["pairs"] for b in report["repeat_batches"]] == [b["pairs"] for b in report["batches"]]
    assert "repeat pass with seed 1" in result.log


@pytest.mark.docker
def test_a_deterministic_generator_repeats_byte_for_byte(runner, image_set, limits, tmp_path):
    model = write_torchscript_generator(tmp_path / "model.pt")
    runner.run(model, SubmissionFormat.TORCHSCRIPT, image_set, tmp_path / "out", limits, {},
               repeat_dir=tmp_path / "rep")
    validate_repeat_outputs(tmp_path / "rep", image_set)
    assert _bytes(tmp_path / "out") == _bytes(tmp_path / "rep")


@pytest.mark.docker
def test_without_a_repeat_request_there_is_no_repeat_pass(runner, image_set, limits, tmp_path):
    package = write_noisy_package(tmp_path / "noisy.zip")
    result = runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits, {})
    validate_outputs(tmp_path / "out", image_set)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noisy.zip", "out"]
    assert "repeat_seed" not in result.report and "repeat_batches" not in result.report
    assert result.report["seed"] == RUN_SEED and "repeat pass" not in result.log


# The generator tampers with the repeat pass's files from inside the container: during the
# second call of the repeat pass (batch size 1, two pairs) p0's repeat PNG already exists.
HOSTILE_CODE = '''\
import os

import torch
from PIL import Image

MODE = {mode!r}
REPEAT = "/out/repeat"


class Stylizer(torch.nn.Module):
    def forward(self, content, style):
        target = os.path.join(REPEAT, "p0.png")
        if os.path.exists(target):
            if MODE == "not_png":
                with open(target, "wb") as fh:
                    fh.write(b"this is not a PNG file")
            elif MODE == "wrong_size":
                Image.new("RGB", (5, 7)).save(target, format="PNG")
            elif MODE == "extra":
                with open(os.path.join(REPEAT, "notes.txt"), "w") as fh:
                    fh.write("hello")
            elif MODE == "symlink" and not os.path.lexists(os.path.join(REPEAT, "p9.png")):
                os.symlink("/etc/passwd", os.path.join(REPEAT, "p9.png"))
        return content * 0.9
'''


@pytest.mark.docker
@pytest.mark.parametrize("mode, code", [("not_png", "not_png"), ("wrong_size", "wrong_size"),
                                        ("extra", "extra_output"), ("symlink", "symlink")])
def test_hostile_repeat_outputs_are_refused_like_outputs(runner, image_set, limits, tmp_path, mode, code):
    package = write_package(tmp_path / "hostile.zip", {"generator.py": HOSTILE_CODE.format(mode=mode)},
                            {"entry_point": "generator:Stylizer", "batch_size": 1})
    with pytest.raises(InvalidOutput) as caught:
        runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits, {},
                   repeat_dir=tmp_path / "rep")
        validate_outputs(tmp_path / "out", image_set)  # the first pass is clean ...
        validate_repeat_outputs(tmp_path / "rep", image_set)  # ... the repeat pass is not
    assert caught.value.code == code, caught.value.message
    assert "repeat pass" in caught.value.message
