"""A small per-process TTL cache for public responses and leaderboard pages.

Why: the leaderboard is one SQL query, but at thousands of requests per second even a cheap
query and a 50-row render dominate. Leaderboards change only when a submission is scored or
moderated, so serving a copy up to a few seconds old is invisible to people and takes the
database off the hot path. The TTL is ``app.config["PUBLIC_CACHE_SECONDS"]`` (0 disables).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable, Hashable, TypeVar

from flask import Flask, Response, current_app, request, session

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION_KEY = "stylearena.cache"


class TTLCache:
    """A thread-safe, size-bounded mapping whose entries expire ``ttl`` seconds after being set."""

    def __init__(self, ttl: float, max_entries: int = 512, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The live value under ``key``, or None."""
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            expires, value = item
            if expires <= self._clock():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key: Hashable, value: Any) -> None:
        """Store ``value``; the least recently used entry goes when the cache is full."""
        if self.ttl <= 0:
            return
        with self._lock:
            self._data[key] = (self._clock() + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def get_or_set(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value, computing and storing it on a miss (no lock held while computing)."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.set(key, value)
        return value


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    mimetype: str
    headers: tuple[tuple[str, str], ...]


def init_app(app: Flask) -> TTLCache:
    """Attach a cache with the app's configured TTL."""
    cache = TTLCache(float(app.config.get("PUBLIC_CACHE_SECONDS", 0)))
    app.extensions[EXTENSION_KEY] = cache
    return cache


def app_cache() -> TTLCache:
    """The current app's cache."""
    return current_app.extensions[EXTENSION_KEY]


def cached_for_visitors(view: F) -> F:
    """Serve a recent copy of a public GET response to visitors without a session.

    Anyone with a session cookie (logged in, or with pending flash messages) gets a fresh
    render, since their page differs; only complete 200 responses are stored.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if session or request.method != "GET":
            return view(*args, **kwargs)
        cache = app_cache()
        key = ("response", request.full_path)
        hit: CachedResponse | None = cache.get(key)
        if hit is not None:
            return Response(hit.body, mimetype=hit.mimetype, headers=list(hit.headers))
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.direct_passthrough and not session:
            keep = tuple((k, v) for k, v in response.headers.items() if k in ("Content-Disposition",))
            cache.set(key, CachedResponse(response.get_data(), response.mimetype, keep))
        return response

    return wrapper  # type: ignore[return-value]
