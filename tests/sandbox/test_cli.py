"""`stylearena sandbox try|sweep` through click, on the real engine."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from arena.cli import cli
from arena.core.settings import SandboxSettings, Settings
from sandbox.examples import write_package, write_torchscript_generator

pytestmark = pytest.mark.docker


@pytest.fixture
def cli_settings(docker_host, sandbox_image, tmp_path) -> Settings:
    return Settings(docker_host=docker_host, data_dir=tmp_path / "data",
                    sandbox=SandboxSettings(image=sandbox_image, memory_mb=1024, cpus=1.0, smoke_timeout_s=60))


def test_try_reports_a_valid_run(cli_settings, image_set, tmp_path):
    model = write_torchscript_generator(tmp_path / "model.pt")
    result = CliRunner().invoke(cli, ["sandbox", "try", str(model), "--pairs", str(image_set), "--json"],
                                obj={"settings": cli_settings})
    assert result.exit_code == 0, result.output
    assert '"pairs_written": 2' in result.stdout


def test_try_prints_the_error_code_and_log(cli_settings, image_set, tmp_path):
    package = write_package(tmp_path / "p.zip", {"generator.py": "print('loading...')\nraise RuntimeError('no weights')\n"})
    result = CliRunner().invoke(cli, ["sandbox", "try", str(package), "--pairs", str(image_set)],
                                obj={"settings": cli_settings})
    assert result.exit_code == 1
    assert "[load_failed]" in result.output and "loading..." in result.output and "Traceback" not in result.stdout


def test_try_refuses_a_rejected_upload(cli_settings, image_set, tmp_path):
    bad = tmp_path / "notes.pt"
    bad.write_text("not a model")
    result = CliRunner().invoke(cli, ["sandbox", "try", str(bad), "--pairs", str(image_set)], obj={"settings": cli_settings})
    assert result.exit_code == 1 and "[unsupported_format]" in result.output


def test_sweep_command(cli_settings):
    result = CliRunner().invoke(cli, ["sandbox", "sweep"], obj={"settings": cli_settings})
    assert result.exit_code == 0 and "expired sandbox container" in result.output
