"""Taking a try-it request in: clean images, rate limits, the row, the queue.

The images reach this module as bytes the web read (capped); ``clean_image`` decodes and
re-encodes them before they are stored, so the store, the sandbox and every page only ever
see the host's own metadata-free PNGs. Rate limits are counted in SQL (per account and per
keyed address hash, over the last hour) so they hold across web processes; the routes add
flask-limiter's per-address limit on top.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

import redis
import redis.exceptions
import sqlalchemy as sa
from rq import Queue
from sqlalchemy.orm import Session

from arena.core.errors import ArenaError, Forbidden, NotFound
from arena.core.models import Submission, TryItRequest, TryItStatus, User, utcnow
from arena.core.settings import Settings
from evaluator.tryit_images import clean_image
from evaluator.tryit_job import JOB_FUNCTION, JOB_TIMEOUT_S, tryit_queue
from evaluator.tryit_store import store_png

log = logging.getLogger(__name__)

RESULT_TTL = timedelta(days=1)


class TryItRateLimited(ArenaError):
    http_status = 429


@dataclass(frozen=True)
class TryItLimits:
    """Requests per hour, per account and per client address."""

    per_user_hour: int = 10
    per_address_hour: int = 20


def _recent(session: Session, column, value) -> int:
    since = utcnow() - timedelta(hours=1)
    return session.scalar(sa.select(sa.func.count()).select_from(TryItRequest)
                          .where(column == value, TryItRequest.created_at >= since)) or 0


def check_rate(session: Session, visitor: User, address_hash: str, limits: TryItLimits) -> None:
    """Refuse a request past either hourly limit.

    Raises:
        TryItRateLimited: with how many per hour are allowed.
    """
    if _recent(session, TryItRequest.visitor_id, visitor.id) >= limits.per_user_hour:
        raise TryItRateLimited("rate_limited", f"You have tried {limits.per_user_hour} pictures in the last hour, "
                                               "the limit; try again later.")
    if _recent(session, TryItRequest.address_hash, address_hash) >= limits.per_address_hour:
        raise TryItRateLimited("rate_limited", f"{limits.per_address_hour} pictures were tried from your network "
                                               "in the last hour, the limit; try again later.")


def create_request(session: Session, settings: Settings, visitor: User, submission: Submission, photo: bytes,
                   style: bytes, address_hash: str, limits: TryItLimits = TryItLimits()) -> TryItRequest:
    """Clean and store both images and add the queued request (flushed, not committed).

    Raises:
        TryItRateLimited: past a limit (checked before any image is decoded).
        ImageRefused: the photo or the style image (the message names which).
    """
    check_rate(session, visitor, address_hash, limits)
    content = clean_image(photo, "photo")
    style_image = clean_image(style, "style image")
    now = utcnow()
    request = TryItRequest(token=secrets.token_hex(16), visitor_id=visitor.id, submission_id=submission.id,
                           status=TryItStatus.QUEUED, address_hash=address_hash,
                           content_sha256=store_png(settings, content.png),
                           style_sha256=store_png(settings, style_image.png),
                           created_at=now, expires_at=now + RESULT_TTL)
    session.add(request)
    session.flush()
    return request


def enqueue(settings: Settings, request: TryItRequest, connection: redis.Redis | None = None) -> bool:
    """Put the committed request on the try-it queue; False (the request is failed) when Redis is down."""
    conn = connection or redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        Queue(tryit_queue(settings), connection=conn).enqueue(
            JOB_FUNCTION, request.id, job_timeout=JOB_TIMEOUT_S, result_ttl=600, failure_ttl=3600,
            description=f"try-it request {request.id}")
        return True
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("could not enqueue try-it request %s: %s", request.id, exc)
        return False
    finally:
        if connection is None:
            conn.close()


def request_for(session: Session, token: str, visitor: User) -> TryItRequest:
    """The visitor's own request with this token (another visitor's is not found)."""
    request = session.scalar(sa.select(TryItRequest).where(TryItRequest.token == token))
    if request is None or request.visitor_id != visitor.id or request.expires_at <= utcnow():
        raise NotFound("tryit_not_found", "No such picture: results are kept for a day, then deleted.")
    return request


def set_opt_in(session: Session, submission: Submission, user: User, allowed: bool) -> None:
    """The owner's "allow visitors to try this model" switch.

    Raises:
        Forbidden: the user does not own the submission.
    """
    if submission.owner_id != user.id:
        raise Forbidden("not_owner", "Only the submission's owner can change this.")
    submission.allow_try_it = bool(allowed)
