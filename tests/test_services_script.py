"""scripts/services.sh is idempotent and really starts and stops the services.

Runs its own Redis and PostgreSQL in a private run directory on other ports, so stopping
them cannot disturb the shared services the rest of the suite uses.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from arena.core.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "services.sh"


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def private_run_dir():
    # Under /tmp with 755 so the postgres system user can reach its cluster directory.
    path = tempfile.mkdtemp(prefix="sa-services-", dir="/tmp")
    os.chmod(path, 0o755)
    env = dict(os.environ, STYLEARENA_RUN_DIR=path, STYLEARENA_REDIS_PORT="6397",
               STYLEARENA_PG_PORT="5447")
    yield env
    subprocess.run(["bash", str(SCRIPT), "stop", "redis"], env=env)
    subprocess.run(["bash", str(SCRIPT), "stop", "postgres"], env=env)
    shutil.rmtree(path, ignore_errors=True)


def run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, text=True, capture_output=True)


@pytest.mark.parametrize("service,port", [("redis", 6397), ("postgres", 5447)])
def test_start_twice_stop_twice(private_run_dir, service, port):
    first = run(private_run_dir, "start", service)
    assert first.returncode == 0, first.stderr
    assert port_open(port)
    second = run(private_run_dir, "start", service)
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stderr
    assert port_open(port)

    assert run(private_run_dir, "stop", service).returncode == 0
    assert not port_open(port)
    again = run(private_run_dir, "stop", service)
    assert again.returncode == 0, again.stderr
    assert not port_open(port)


def test_status_and_bad_arguments(private_run_dir):
    status = run(private_run_dir, "status")
    assert status.returncode == 0
    assert "redis: stopped" in status.stdout
    bad = run(private_run_dir, "start", "mysql")
    assert bad.returncode == 2
    assert "unknown service" in bad.stderr


def test_real_redis_and_postgres_through_fixtures(services, redis_conn, postgres_url):
    import sqlalchemy as sa

    from arena.core.db import make_engine

    redis_conn.set("probe", "1")
    assert redis_conn.get("probe") == b"1"
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        assert "PostgreSQL" in conn.execute(sa.text("select version()")).scalar_one()
    engine.dispose()
