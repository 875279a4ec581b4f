"""Fixtures of the cluster tests: one network of hosts per session, a world per test.

Starting a worker loads torch and the metric backbones (tens of seconds on this machine), so
the session builds one ``Stack`` (services host, web host, three worker hosts, workers on two
of them) and every test gets its own competition in it. Teardown (kill every process, delete
every namespace) runs whatever the tests did, failures included.
"""
from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "evaluator")]  # hosts/stack; pipeline_fixtures

from cluster_world import ClusterWorld, new_world  # noqa: E402
from hosts import netns_available  # noqa: E402
from stack import Stack  # noqa: E402

LEASE_S = 6


@pytest.fixture(scope="session")
def stack(tmp_path_factory, docker_host, artifacts_dir):
    """The cluster: services on their own host, workers on w1 and w2 (w3 is spare)."""
    why = netns_available()
    if why:
        pytest.skip(f"cluster tests need Linux network namespaces: {why}")
    base = Path("/tmp") / f"sa-cluster-{uuid.uuid4().hex[:8]}"  # postgres must be able to reach it
    stack = Stack.create(base, worker_hosts=3, lease_seconds=LEASE_S, docker_host=docker_host)
    try:
        stack.start_workers("w1", "w2")
        yield stack
    finally:
        stack.close()
        # Every host's process logs, for whoever reads a failure.
        shutil.copytree(base / "logs", artifacts_dir / "cluster-logs", dirs_exist_ok=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def world(stack, tmp_path) -> ClusterWorld:
    """A competition of this test's own (1-pair hidden set) in the cluster."""
    return new_world(stack, tmp_path, slug=f"c{uuid.uuid4().hex[:6]}")


@pytest.fixture
def healed(stack):
    """Every worker host's link is up again after the test, whatever it cut."""
    yield
    for name, host in stack.net.hosts.items():
        if name.startswith("w"):
            host.heal()
