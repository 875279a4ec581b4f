"""Host code paths stay clean: importing the sandbox package loads no torch and makes no client."""
from __future__ import annotations

import subprocess
import sys


def test_host_modules_import_without_torch_or_docker_connection():
    code = (
        "import sys\n"
        "import sandbox.upload, sandbox.runner, sandbox.validation, sandbox.sweeper, sandbox.image, arena.cli.sandbox_cmd\n"
        "import docker.client\n"
        "assert 'torch' not in sys.modules, 'torch imported on a host path'\n"
        "assert not any(name.startswith('harness') for name in sys.modules), 'harness imported on the host'\n"
        "assert 'sandbox.harness.exit_codes' in sys.modules, 'the runner reads the shared exit-code table'\n"
        "assert not {'sandbox.harness.harness', 'sandbox.harness.supervisor'} & set(sys.modules)\n"
        "print('clean')\n"
    )
    # An unreachable engine: any client made at import time would fail loudly.
    env = {"STYLEARENA_DOCKER_HOST": "unix:///nonexistent/docker.sock", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
