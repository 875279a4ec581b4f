"""Re-rating a competition after votes land, on the workers (a request never fits or resamples).

The vote view commits the vote, then enqueues ``rate_competition_job`` by name with the
competition id. One job per competition is kept pending at a time (a Redis mark): a burst
of votes costs one refit, and the refit reads every vote committed before it starts. If Redis
is down the vote still counts; the next vote's job (or ``stylearena arena rate``) includes it.
"""
from __future__ import annotations

import logging

import redis
import redis.exceptions
from rq import Queue

from arena.core.db import make_engine, make_session_factory, transaction
from arena.core.settings import Settings

log = logging.getLogger(__name__)

JOB_FUNCTION = "arena.services.preference.jobs.rate_competition_job"
JOB_TIMEOUT_S = 300


def pending_key(settings: Settings, competition_id: int) -> str:
    """The Redis key that marks a re-rating of the competition as queued and not yet started.

    Named after the queue too: deployments (and test runs) that share a Redis server keep
    apart queues, and competition ids repeat across their databases.
    """
    return f"stylearena:{settings.queue_name}:preference-pending:{competition_id}"


def enqueue_rating(settings: Settings, competition_id: int, connection: redis.Redis | None = None) -> bool:
    """Ask the workers to re-rate; False (never an exception) when Redis is down."""
    conn = connection or redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        # Set-if-absent: only the first vote of a burst enqueues; the job clears the mark when
        # it starts, so a vote that lands during a refit queues the next one.
        key = pending_key(settings, competition_id)
        if conn.set(key, "1", nx=True, ex=JOB_TIMEOUT_S):
            Queue(settings.queue_name, connection=conn).enqueue(
                JOB_FUNCTION, competition_id, key, job_timeout=JOB_TIMEOUT_S, result_ttl=600, failure_ttl=24 * 3600,
                description=f"preference ratings of competition {competition_id}")
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("could not enqueue the preference ratings of competition %s: %s", competition_id, exc)
        return False
    finally:
        if connection is None:
            conn.close()
    return True


def rate_competition_job(competition_id: int, pending: str | None = None) -> int:
    """RQ entry point: refit and store the human board; returns the valid votes it used."""
    from arena.services.preference.board import rate_competition

    settings = Settings.from_env()
    conn = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        conn.delete(pending or pending_key(settings, competition_id))
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        pass  # the mark expires on its own; the refit matters more
    finally:
        conn.close()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            return rate_competition(session, int(competition_id)).valid_votes
    finally:
        engine.dispose()
