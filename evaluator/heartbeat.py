"""A background thread that keeps an attempt's lease alive while its sandbox runs.

It extends the lease a few times per lease period. If the attempt was fenced off (the
reconciler re-queued it, another worker claimed it), or the lease cannot be confirmed before
it runs out (database unreachable), it sets the abort event: the sandbox runner then kills the
container and the attempt stops without writing anything.

The give-up deadline is kept by a timer, not by the extending thread: on a partitioned host
that UPDATE hangs in a stalled TCP connection for minutes, and the run must stop by its own
clock: it stops when the last confirmed lease runs out, the moment from which the
reconciler on another host may hand the evaluation to a new attempt.
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
        self._watchdog: threading.Timer | None = None
        self._watchdog_lock = threading.Lock()

    @property
    def lost(self) -> bool:
        """Whether the lease was lost (the abort event has been set)."""
        return self._lost.is_set()

    def __enter__(self) -> "LeaseKeeper":
        self._arm(self._expires_at)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        with self._watchdog_lock:
            if self._watchdog is not None:
                self._watchdog.cancel()
        # A thread stuck in a stalled connection is a daemon and writes nothing that counts.
        self._thread.join(timeout=self._interval + 5)

    def _arm(self, expires: datetime) -> None:
        """(Re)start the give-up timer: fire when the lease confirmed until ``expires`` runs out."""
        delay = max(0.0, (expires - utcnow()).total_seconds())
        with self._watchdog_lock:
            if self._watchdog is not None:
                self._watchdog.cancel()
            if self._stop.is_set() or self._lost.is_set():
                return
            self._watchdog = threading.Timer(delay, self._give_up, args=("not confirmed in time",))
            self._watchdog.daemon = True
            self._watchdog.start()

    def _give_up(self, why: str) -> None:
        if self._stop.is_set() or self._lost.is_set():
            return
        log.warning("lease of evaluation %s attempt %s lost (%s); aborting the run",
                    self._claim.evaluation_id, self._claim.attempt, why)
        self._lost.set()
        self._abort.set()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval) and not self._lost.is_set():
            try:
                expires = extend_lease(self._factory, self._claim, self._lease_seconds)
            except sqlalchemy.exc.DBAPIError as exc:
                # A database blip is not a lost lease: the watchdog gives up only when the
                # last confirmed lease is about to run out.
                log.warning("lease %s/%s not extended: %s", self._claim.evaluation_id, self._claim.attempt, exc)
                continue
            if expires is None:
                self._give_up("fenced off")
                return
            if self._lost.is_set():  # confirmed too late: the run is already being stopped
                return
            self._expires_at = expires
            self._arm(expires)
