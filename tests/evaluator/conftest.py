"""Fixtures of the evaluation-pipeline tests: a private Redis, tuned settings, a world, a suite."""
from __future__ import annotations

import pytest
from pipeline_fixtures import TEST_SANDBOX, FakeRunner, RedisServer, World, make_world, write_generator

from arena.core.settings import Settings
from evaluator.context import WorkerContext, install_context


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory) -> RedisServer:
    """A redis-server of our own: other suites flush the shared one while ours hold jobs in it."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def eval_settings(settings: Settings, private_redis: RedisServer) -> Settings:
    """This test's settings on the private Redis (flushed) with small sandbox limits."""
    client = private_redis.client()
    client.flushdb()
    client.close()
    return settings.with_overrides(redis_url=private_redis.url, sandbox=TEST_SANDBOX, lease_seconds=30,
                                   max_attempts=3)


@pytest.fixture(scope="session")
def metric_suite():
    """The real metric suite (seeded backbones, uncalibrated), loaded once per test session."""
    # The process's shared suite: the same one ``seeded_scorer_id`` identifies.
    from evaluator.metrics.shared import shared_suite

    return shared_suite(None)


@pytest.fixture
def world(eval_settings: Settings, session_factory, tmp_path) -> World:
    """A participant and an open competition with a 2-pair hidden set and a 1-pair public set."""
    return make_world(eval_settings, session_factory, tmp_path / "sets")


@pytest.fixture(scope="session")
def generator(tmp_path_factory):
    """A tiny TorchScript generator file."""
    return write_generator(tmp_path_factory.mktemp("gen") / "tiny.pt")


@pytest.fixture
def fake_context(eval_settings: Settings, metric_suite):
    """A worker context with a fake runner and the real metric suite, installed for jobs."""
    context = WorkerContext(settings=eval_settings, runner=FakeRunner(), scorer=metric_suite, worker_name="test-worker")
    install_context(context)
    yield context
    install_context(None)
    context.close()
