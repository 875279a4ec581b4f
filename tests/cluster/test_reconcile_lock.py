"""One reconcile pass at a time across hosts: the PostgreSQL advisory lock (no cluster needed)."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from arena.core.db import make_engine, make_session_factory
from arena.core.settings import Settings
from evaluator.reconciler import RECONCILE_LOCK_KEY, exclusive_pass, reconcile


@pytest.fixture
def pg_factory(postgres_url):
    engine = make_engine(postgres_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.mark.postgres
def test_a_pass_is_skipped_while_another_host_holds_the_lock(postgres_url, services, pg_factory):
    settings = Settings(database_url=postgres_url, redis_url=services.redis_url, testing=True)
    with exclusive_pass(pg_factory, 10) as held:
        assert held
        # A second host's pass, meanwhile: it skips and changes nothing.
        assert reconcile(settings, pg_factory, sweep_containers=False).skipped
    # Released at the end of the first pass's transaction.
    assert not reconcile(settings, pg_factory, sweep_containers=False).skipped


@pytest.mark.postgres
def test_a_silent_lock_holder_loses_the_lock_after_the_hold_limit(pg_factory):
    """A holder cut off by a partition sends nothing: the server ends its session, freeing the lock."""
    with exclusive_pass(pg_factory, 1.0) as held:
        assert held
        time.sleep(2.0)  # idle in its transaction, as a partitioned holder is
        with pg_factory() as other:
            assert other.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(RECONCILE_LOCK_KEY)))
            other.rollback()
