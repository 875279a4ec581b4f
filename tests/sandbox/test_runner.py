"""The runner on the real Docker Engine: happy paths, participant faults, platform faults, abort."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import docker
import pytest
from PIL import Image

from arena.core.enums import SubmissionFormat
from sandbox.errors import GeneratorCrashed, HarnessFault, InvalidOutput, RunAborted, SandboxUnavailable
from sandbox.examples import write_blend_package, write_image_set, write_package, write_torchscript_generator
from sandbox.runner import SandboxRunner
from sandbox.validation import validate_outputs

pytestmark = pytest.mark.docker


def containers_labelled(docker_host: str, label: str) -> list:
    return docker.DockerClient(base_url=docker_host).containers.list(all=True, filters={"label": label})


def test_torchscript_generator_produces_valid_outputs(runner, image_set, limits, tmp_path, docker_host, sandbox_image):
    model = write_torchscript_generator(tmp_path / "model.pt")
    labels = {"stylearena.evaluation": f"ts-{time.monotonic_ns()}", "stylearena.submission": "s1", "stylearena.attempt": "1"}
    result = runner.run(model, SubmissionFormat.TORCHSCRIPT, image_set, tmp_path / "out", limits, labels)
    validate_outputs(tmp_path / "out", image_set)
    # A returned result is always a success: no exit code, OOM or timeout flags to misread.
    assert set(vars(result)) == {"log", "report", "duration_s", "image_id", "efficiency"}
    assert result.image_id == sandbox_image and result.duration_s > 0
    report = result.report
    assert report["status"] == "ok" and report["pairs_written"] == 2 and report["parameter_count"] == 84
    assert report["torch_version"].startswith("2.13") and report["peak_rss_mb"] > 0 and report["batches"]
    assert "2 pairs" in result.log
    assert containers_labelled(docker_host, f"stylearena.evaluation={labels['stylearena.evaluation']}") == []


def test_package_generator_with_resolution_and_batches(runner, image_set, limits, tmp_path):
    package = write_blend_package(tmp_path / "p.zip", batch_size=1, resolution=64)
    result = runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits, {})
    validate_outputs(tmp_path / "out", image_set)  # resized back to each content image's size
    assert [b["pairs"] for b in result.report["batches"]] == [1, 1]
    with Image.open(tmp_path / "out" / "p0.png") as img, Image.open(image_set / "content" / "c0.png") as content:
        assert img.size == content.size and img.getpixel((0, 0)) != content.getpixel((0, 0))


def test_generator_exception_is_a_participant_fault(runner, image_set, limits, tmp_path):
    code = "class Stylizer:\n    def __call__(self, c, s):\n        raise ValueError('bad weights layout')\n"
    package = write_package(tmp_path / "p.zip", {"generator.py": code})
    with pytest.raises(GeneratorCrashed) as info:
        runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits, {})
    assert info.value.code == "generator_error" and not info.value.platform_fault
    assert "ValueError: bad weights layout" in info.value.message and "Traceback" in info.value.log


def test_import_error_is_a_load_failure(runner, image_set, limits, tmp_path):
    package = write_package(tmp_path / "p.zip", {"generator.py": "import not_a_module_anywhere\n"})
    with pytest.raises(GeneratorCrashed) as info:
        runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits, {})
    assert info.value.code == "load_failed" and "not_a_module_anywhere" in info.value.message


def test_wrong_output_shape_is_invalid_output(runner, image_set, limits, tmp_path):
    code = "def Stylizer(content, style):\n    return content[:, :, :10]\n"
    package = write_package(tmp_path / "p.zip", {"generator.py": code})
    with pytest.raises(InvalidOutput) as info:
        runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits, {})
    assert info.value.code == "bad_output_shape"


def test_outputs_in_0_255_break_the_contract_and_say_how_to_fix_it(runner, image_set, limits, tmp_path):
    code = "def Stylizer(content, style):\n    return content * 255\n"
    package = write_package(tmp_path / "p.zip", {"generator.py": code})
    with pytest.raises(InvalidOutput) as info:
        runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits, {})
    assert info.value.code == "out_of_range" and not info.value.platform_fault
    message = info.value.message
    assert "divide the output by 255" in message and "outside [0, 1]" in message
    low, high = (float(v) for v in message.split("range from ")[1].split(",")[0].split(" to "))
    assert 0 <= low < 20 and 235 < high <= 255  # the range it saw (random content pixels x 255)


def test_rounding_noise_just_outside_0_1_is_clamped_not_refused(runner, image_set, limits, tmp_path):
    code = "def Stylizer(content, style):\n    return content * 1.0005 - 0.0002\n"
    package = write_package(tmp_path / "p.zip", {"generator.py": code})
    runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits, {})
    validate_outputs(tmp_path / "out", image_set)


def test_bad_inputs_are_a_platform_fault(runner, limits, tmp_path):
    inputs = write_image_set(tmp_path / "set", n_pairs=2, size=(32, 24))
    (inputs / "style" / "s1.png").unlink()  # the platform staged a broken image set
    with pytest.raises(HarnessFault) as info:
        runner.run(write_torchscript_generator(tmp_path / "m.pt"), SubmissionFormat.TORCHSCRIPT, inputs,
                   tmp_path / "out", limits, {})
    assert info.value.platform_fault and info.value.code == "harness_bad_inputs"
    assert "s1.png" in info.value.message


def test_generator_exiting_with_the_platform_code_is_still_its_fault(runner, image_set, limits, tmp_path):
    code = "import os\ndef Stylizer(content, style):\n    os._exit(2)\n"
    package = write_package(tmp_path / "p.zip", {"generator.py": code})
    with pytest.raises(GeneratorCrashed) as info:
        runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits, {})
    assert info.value.code == "abandoned" and not info.value.platform_fault


def test_abort_kills_the_container(runner, image_set, limits, tmp_path, docker_host):
    code = "import time\nprint('working', flush=True)\ntime.sleep(60)\ndef Stylizer(c, s):\n    return c\n"
    package = write_package(tmp_path / "p.zip", {"generator.py": code})
    abort = threading.Event()
    label = f"abort-{time.monotonic_ns()}"
    threading.Timer(4.0, abort.set).start()
    started = time.monotonic()
    with pytest.raises(RunAborted) as info:
        runner.run(package, SubmissionFormat.PACKAGE, image_set, tmp_path / "out", limits,
                   {"stylearena.evaluation": label}, abort=abort)
    assert info.value.platform_fault and time.monotonic() - started < 15
    assert containers_labelled(docker_host, f"stylearena.evaluation={label}") == []


def test_missing_image_is_a_platform_fault(docker_host, image_set, limits, tmp_path):
    runner = SandboxRunner(docker_host, "stylearena-sandbox:does-not-exist")
    model = tmp_path / "model.pt"
    model.write_bytes(b"x")
    with pytest.raises(SandboxUnavailable) as info:
        runner.run(model, SubmissionFormat.TORCHSCRIPT, image_set, tmp_path / "out", limits, {})
    assert info.value.code == "image_missing" and info.value.platform_fault


def test_docker_down_is_a_platform_fault(tmp_path, image_set, limits):
    runner = SandboxRunner(f"unix://{tmp_path}/no.sock", "stylearena-sandbox:latest")
    model = tmp_path / "model.pt"
    model.write_bytes(b"x")
    with pytest.raises(SandboxUnavailable) as info:
        runner.run(model, SubmissionFormat.TORCHSCRIPT, image_set, tmp_path / "out", limits, {})
    assert info.value.code == "docker_unavailable" and "services.sh" in info.value.message


def test_output_dir_must_be_empty(runner, image_set, limits, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.png").write_bytes(b"x")
    model = write_torchscript_generator(tmp_path / "model.pt")
    with pytest.raises(ValueError):
        runner.run(model, SubmissionFormat.TORCHSCRIPT, image_set, tmp_path / "out", limits, {})


def test_runner_makes_no_client_at_construction():
    runner = SandboxRunner("unix:///nonexistent.sock", "x")
    assert runner._client is None  # importing and constructing never touches Docker


def _has_nvidia_runtime(docker_host: str) -> bool:
    try:
        return "nvidia" in docker.DockerClient(base_url=docker_host).info().get("Runtimes", {})
    except docker.errors.DockerException:
        return False


@pytest.mark.skipif(not Path("/dev/nvidiactl").exists(), reason="needs an NVIDIA GPU, the NVIDIA container toolkit and the GPU image (Dockerfile.gpu); none here")
def test_gpu_device_request_reaches_the_generator(docker_host, image_set, limits, tmp_path):
    if not _has_nvidia_runtime(docker_host):
        pytest.skip("the Docker Engine has no nvidia runtime")
    from arena.core.limits import SandboxLimits

    gpu_limits = SandboxLimits(**{**limits.__dict__, "use_gpu": True})
    runner = SandboxRunner(docker_host, "stylearena-sandbox-gpu:latest")
    result = runner.run(write_torchscript_generator(tmp_path / "m.pt"), SubmissionFormat.TORCHSCRIPT, image_set,
                        tmp_path / "out", gpu_limits, {})
    assert result.report["device"] == "cuda" and result.report["peak_cuda_mb"] >= 0
