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
    """A thread-safe, size-bounded mapping whose entries are fresh for ``ttl`` seconds.

    After that an entry is stale for ``grace`` more seconds: the first caller to see it stale
    recomputes it while concurrent callers (other threads of a gthread worker) keep getting
    the stale copy, so a refresh never stalls every request at once.
    """

    def __init__(self, ttl: float, max_entries: int = 512, grace: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.grace = grace
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._refreshing: set[Hashable] = set()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The fresh value under ``key``, or None (missing or stale)."""
        with self._lock:
            item = self._data.get(key)
            if item is None or item[0] <= self._clock():
                return None
            self._data.move_to_end(key)
            return item[1]

    def _get_or_claim(self, key: Hashable) -> tuple[Any | None, bool]:
        """(value, must_compute): a fresh value, a stale one someone else refreshes, or a claim."""
        with self._lock:
            item = self._data.get(key)
            now = self._clock()
            if item is not None and item[0] > now:
                self._data.move_to_end(key)
                return item[1], False
            if item is not None and item[0] + self.grace > now and key in self._refreshing:
                return item[1], False
            self._refreshing.add(key)
            return None, True

    def set(self, key: Hashable, value: Any) -> None:
        """Store ``value``; the least recently used entry goes when the cache is full."""
        with self._lock:
            self._refreshing.discard(key)
            if self.ttl <= 0:
                return
            self._data[key] = (self._clock() + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def release(self, key: Hashable) -> None:
        """Give up a refresh claim (the computation failed or produced nothing to keep)."""
        with self._lock:
            self._refreshing.discard(key)

    def get_or_set(self, key: Hashable, compute: Callable[[], Any], keep: Callable[[Any], bool] = bool) -> Any:
        """The cached value, or ``compute()`` stored when ``keep`` accepts it (no lock held while computing)."""
        value, must_compute = self._get_or_claim(key)
        if not must_compute:
            return value
        try:
            value = compute()
        except BaseException:
            self.release(key)
            raise
        if keep(value):
            self.set(key, value)
        else:
            self.release(key)
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
        fresh: list[Response] = []

        def render() -> CachedResponse | None:
            response = current_app.make_response(view(*args, **kwargs))
            fresh.append(response)
            if response.status_code != 200 or response.direct_passthrough or session:
                return None
            headers = tuple((k, v) for k, v in response.headers.items() if k == "Content-Disposition")
            return CachedResponse(response.get_data(), response.mimetype, headers)

        copy = app_cache().get_or_set(("response", request.full_path), render, keep=lambda c: c is not None)
        if fresh:
            return fresh[0]
        return Response(copy.body, mimetype=copy.mimetype, headers=list(copy.headers))

    return wrapper  # type: ignore[return-value]
