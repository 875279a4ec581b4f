"""A background thread that keeps an attempt's lease alive while its sandbox runs.

It extends the lease a few times per lease period. If the attempt was fenced off (the
reconciler re-queued it, another worker claimed it), or the lease cannot be confirmed before
it runs out (database unreachable), it sets the abort event: the sandbox runner then kills the
container and the attempt stops without writing anything.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime

import sqlalchemy.exc
from sqlalchemy.orm import Session, sessionmaker

from arena.core.models import utcnow
from evaluator.claim import Claim, extend_lease

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Extends one claim's lease every ``lease_seconds / 3`` until stopped or lost."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        claim: Claim,
        lease_seconds: int,
        abort: threading.Event,
        interval_s: float | None = None,
    ) -> None:
        self._factory = factory
        self._claim = claim
        self._lease_seconds = lease_seconds
        self._abort = abort
        self._interval = interval_s if interval_s is not None else max(lease_seconds / 3, 0.5)
        self._stop = threading.Event()
        self._expires_at: datetime = claim.expires_at
        self._lost = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"lease-{claim.evaluation_id}-{claim.attempt}", daemon=True
        )

    @property
    def lost(self) -> bool:
        """Whether the lease was lost (the abort event has been set)."""
        return self._lost.is_set()

    def __enter__(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._interval + 30)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                expires = extend_lease(self._factory, self._claim, self._lease_seconds)
            except sqlalchemy.exc.DBAPIError as exc:
                # A database blip is not a lost lease: keep running while the last confirmed
                # lease is still valid, and give up only when it has run out.
                log.warning("lease %s/%s not extended: %s", self._claim.evaluation_id, self._claim.attempt, exc)
                if utcnow() < self._expires_at:
                    continue
                expires = None
            if expires is None:
                log.warning("lease of evaluation %s attempt %s lost; aborting the run",
                            self._claim.evaluation_id, self._claim.attempt)
                self._lost.set()
                self._abort.set()
                return
            self._expires_at = expires
