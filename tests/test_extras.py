"""Each image imports only its own extra: the worker runs without Flask, the web without torch.

A fresh interpreter refuses the other extra's packages at import time, as an image without
them would, and then imports what that image runs.
"""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BLOCKING = r"""
import sys, importlib.abc
BLOCK = set(sys.argv[1].split(","))
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCK:
            raise ImportError(f"{name} is not installed in this image")
sys.meta_path.insert(0, Blocker())
"""

WORKER = BLOCKING + r"""
from click.testing import CliRunner
from arena.cli import cli
import evaluator.worker, evaluator.jobs, evaluator.reconciler, evaluator.context, evaluator.pipeline
import arena.services.notifications  # the outcome-email job runs on the workers
assert CliRunner().invoke(cli, ["--help"]).exit_code == 0
"""

WEB = BLOCKING + r"""
from arena import create_app
from arena.core.settings import Settings
create_app(Settings(database_url="sqlite://", testing=True))
"""

# Import names of the packages each extra brings (distribution names differ for a few).
WEB_MODULES = ("flask", "flask_login", "flask_wtf", "flask_limiter", "gunicorn", "markdown", "nh3", "wtforms")
WORKER_MODULES = ("torch", "torchvision", "torchmetrics", "lpips", "scipy", "docker")


def _run(script: str, blocked: tuple[str, ...]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, ",".join(blocked)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_the_blocked_modules_are_the_extras():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {dep.split("[")[0].split(">")[0].split("=")[0].replace("-", "_") for dep in extras["web"]}
    assert names == set(WEB_MODULES) - {"wtforms"}  # wtforms comes with flask-wtf
    worker = {dep.split("[")[0].split(">")[0].split("=")[0] for dep in extras["worker"]}
    assert worker == set(WORKER_MODULES)


def test_the_worker_and_the_cli_run_without_the_web_extra():
    done = _run(WORKER, WEB_MODULES)
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_web_app_builds_without_the_worker_extra():
    done = _run(WEB, WORKER_MODULES)
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_blocker_blocks():
    done = _run(BLOCKING + "import torch\n", ("torch",))
    assert done.returncode != 0 and "not installed in this image" in done.stderr
