"""Board copies shared by every web process through Redis: one refresh per board change.

Why: each gunicorn worker (``stylearena serve`` starts up to eight per host, and a deployment
may run several hosts) keeps its own cache (``arena.web.cache``). Without sharing, one score
landing makes every process run the same board query; at 100,000 submissions that is about
0.3 s of database time per process per route. With it, the first process to see the new
board version takes a short Redis lock, renders, and stores the bytes under (route, version);
the others serve their previous copy until those bytes appear, then take them.

Only versioned copies are shared (``arena.web.board_version``): the version names the board
state, so a stored copy is never stale for the version it is filed under. Redis is a helper
here, never a dependency: on any Redis error a process renders for itself and leaves Redis
alone for ``RETRY_AFTER_S`` seconds, so a dead or restarting Redis costs no page.
The stored bytes are our own render (a small JSON header and the body), never pickled.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from typing import Any, Hashable

import redis

log = logging.getLogger(__name__)

LOCK_SECONDS = 10  # a renderer that dies mid-render holds its lock no longer than this
RETRY_AFTER_S = 5.0


class SharedCopies:
    """Rendered responses under (key, version) in Redis, and the lock that makes one renderer."""

    def __init__(self, redis_url: str, namespace: str, connection: redis.Redis | None = None) -> None:
        # Short timeouts: a page never waits on a slow Redis longer than it would take to render.
        self._redis = connection or redis.Redis.from_url(redis_url, socket_connect_timeout=0.25, socket_timeout=0.5)
        # The namespace keeps two platforms (or two test databases) on one Redis apart.
        self._prefix = "stylearena:copy:" + hashlib.sha256(namespace.encode()).hexdigest()[:16] + ":"
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _name(self, key: Hashable, version: Any) -> str:
        # repr of tuples of str/int/datetime/enum is the same in every process (no hash seeds).
        return self._prefix + hashlib.sha256(repr((key, version)).encode()).hexdigest()

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            if self._available():
                log.warning("shared board copies off for %.0f s (Redis: %s); each process renders its own",
                            RETRY_AFTER_S, exc)
            self._down_until = time.monotonic() + RETRY_AFTER_S

    def get(self, key: Hashable, version: Any) -> tuple[bytes, str, tuple[tuple[str, str], ...]] | None:
        """(body, mimetype, headers) stored for ``version``, or None (absent, unreadable or Redis down)."""
        if not self._available():
            return None
        try:
            raw = self._redis.get(self._name(key, version))
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        return decode(raw) if raw is not None else None

    def put(self, key: Hashable, version: Any, body: bytes, mimetype: str,
            headers: tuple[tuple[str, str], ...], ttl: float) -> None:
        """Store a render for ``ttl`` seconds and drop this process's lock on it."""
        if not self._available():
            return
        name = self._name(key, version)
        try:
            with self._redis.pipeline() as pipe:
                pipe.set(name, encode(body, mimetype, headers), ex=max(1, int(ttl)))
                pipe.delete(name + ":lock")
                pipe.execute()
        except redis.RedisError as exc:
            self._failed(exc)

    def claim(self, key: Hashable, version: Any) -> bool:
        """True when this caller should render ``version`` (it holds the lock, or Redis is away)."""
        if not self._available():
            return True
        try:
            return bool(self._redis.set(self._name(key, version) + ":lock", b"1", nx=True, ex=LOCK_SECONDS))
        except redis.RedisError as exc:
            self._failed(exc)
            return True

    def release(self, key: Hashable, version: Any) -> None:
        """Give the lock up without a render to store (the render failed or was not cacheable)."""
        if not self._available():
            return
        try:
            self._redis.delete(self._name(key, version) + ":lock")
        except redis.RedisError as exc:
            self._failed(exc)


def encode(body: bytes, mimetype: str, headers: tuple[tuple[str, str], ...]) -> bytes:
    head = json.dumps({"mimetype": mimetype, "headers": [list(h) for h in headers]}).encode()
    return len(head).to_bytes(4, "big") + head + body


def decode(raw: bytes) -> tuple[bytes, str, tuple[tuple[str, str], ...]] | None:
    """The parts of ``encode``'s bytes, or None for anything else (a foreign or torn value)."""
    try:
        size = int.from_bytes(raw[:4], "big")
        head = json.loads(raw[4:4 + size])
        headers = tuple((str(k), str(v)) for k, v in head["headers"])
        return raw[4 + size:], str(head["mimetype"]), headers
    except (ValueError, KeyError, TypeError):
        return None
