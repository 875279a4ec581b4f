"""Creating evaluation rows and delivering their ids to the RQ queue.

SQL is the source of truth and the queue only a delivery channel: a row is committed as
``queued`` before anything is enqueued, and a failed enqueue (Redis down) is not an error —
the reconciler finds the row later and enqueues it again. Importing this module needs neither
torch nor Docker, so the web process can use it.
"""
from __future__ import annotations

import logging

import redis
import redis.exceptions
from rq import Queue
from rq.job import Job, JobStatus

from arena.core.settings import Settings

log = logging.getLogger(__name__)

# The job entry point, by name, so that enqueuing never imports the worker's heavy modules.
JOB_FUNCTION = "evaluator.jobs.run_evaluation"
# Margin for staging, validation, metrics and recording on top of the two sandbox deadlines.
JOB_TIMEOUT_MARGIN_S = 600
RESULT_TTL_S = 24 * 3600
# Job states in which RQ still holds a delivery for the attempt.
_LIVE_STATES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def job_id(evaluation_id: int, attempt: int) -> str:
    """The deterministic RQ job id of the delivery that makes claim number ``attempt + 1``."""
    return f"eval-{evaluation_id}-{attempt}"


def job_timeout(settings: Settings) -> int:
    """RQ's hard job timeout: above the smoke and hidden sandbox deadlines together."""
    return settings.sandbox.smoke_timeout_s + settings.sandbox.timeout_s + JOB_TIMEOUT_MARGIN_S


def redis_connection(settings: Settings) -> redis.Redis:
    """A Redis client with short timeouts, so a dead Redis fails fast instead of hanging."""
    return redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)


def enqueue_evaluation(
    settings: Settings, evaluation_id: int, attempt: int = 0, connection: redis.Redis | None = None
) -> bool:
    """Deliver one evaluation id to the workers; False (never an exception) when Redis is down.

    ``attempt`` is the evaluation's current attempt count; it makes the job id deterministic,
    so the reconciler can tell whether a delivery for this attempt is still in Redis. A
    duplicate delivery is harmless: only one worker wins the claim.
    """
    conn = connection or redis_connection(settings)
    try:
        Queue(settings.queue_name, connection=conn).enqueue(
            JOB_FUNCTION,
            evaluation_id,
            job_id=job_id(evaluation_id, attempt),
            job_timeout=job_timeout(settings),
            result_ttl=RESULT_TTL_S,
            failure_ttl=RESULT_TTL_S,
            description=f"evaluation {evaluation_id} attempt {attempt + 1}",
        )
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        # Expected while Redis restarts; the row stays queued and the reconciler retries.
        log.warning("could not enqueue evaluation %s (attempt %s): %s", evaluation_id, attempt + 1, exc)
        return False
    finally:
        if connection is None:
            conn.close()
    return True


def delivery_pending(connection: redis.Redis, evaluation_id: int, attempt: int) -> bool:
    """Whether Redis still holds a live job for this evaluation's next claim.

    Raises:
        redis.exceptions.ConnectionError: Redis is unreachable (the caller decides).
    """
    job = Job.fetch_many([job_id(evaluation_id, attempt)], connection=connection)[0]
    if job is None:
        return False
    return job.get_status(refresh=False) in _LIVE_STATES


# Outcome emails, delivered by name like the evaluation job: the evaluator only announces that
# an evaluation is final; whom to mail, what to say and sending it once belong to
# ``arena.services.notifications`` (a mail server's trouble never reaches an evaluation).
NOTICE_FUNCTION = "arena.services.notifications.notify_outcome_job"
NOTICE_TIMEOUT_S = 120


def notice_queue(settings: Settings) -> str:
    """The outcome-email queue, beside the scoring queue; workers take it first (a mail is
    seconds of work, and should not wait behind an hour of queued evaluations)."""
    return f"{settings.queue_name}-notices"


def announce_outcome(settings: Settings, evaluation_id: int) -> bool:
    """Queue the outcome email of a final evaluation (after its commit); False when not queued.

    Does nothing while notifications are off (no SMTP host). Redis down is logged, never raised:
    the evaluation is recorded whatever happens to its email.
    """
    if not settings.notifications_enabled:
        return False
    conn = redis_connection(settings)
    try:
        Queue(notice_queue(settings), connection=conn).enqueue(
            NOTICE_FUNCTION, evaluation_id, job_timeout=NOTICE_TIMEOUT_S, result_ttl=RESULT_TTL_S,
            failure_ttl=RESULT_TTL_S, description=f"outcome email of evaluation {evaluation_id}")
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("could not queue the outcome email of evaluation %s: %s", evaluation_id, exc)
        return False
    finally:
        conn.close()
    return True
