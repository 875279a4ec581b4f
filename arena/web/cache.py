"""A small per-process cache for public responses and leaderboard data.

Why: the leaderboard is one SQL query, but at thousands of requests per second even a cheap
query and a 50-row render dominate, and at 100,000 submissions one board query costs about
0.3 s and the per-style table 0.7 s. Two rules keep that off the hot path:

- An entry may carry a *version* (for boards: ``arena.web.board_version``, a fingerprint of
  everything the board reads). An entry whose version still matches is served until its
  ``max_age``, so an unchanged board is never recomputed; a changed one is recomputed once.
- Single flight: one caller at a time computes a key. While it does, the others get the
  previous value (stale by time or by version); with no previous value at all (a cold start)
  they wait for that one computation instead of each running the query.
- Off the request path: a visitor's stale copy is re-rendered by a background thread while
  the visitor (and everyone else) gets the previous copy, so no request waits for a refresh.
- One process renders: board copies are shared through Redis (``arena.web.shared_copies``),
  so a board change costs one render for the whole web tier, not one per process.

The default lifetime is ``app.config["PUBLIC_CACHE_SECONDS"]`` (0 disables caching).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable, Hashable, TypeVar

from flask import Flask, Response, copy_current_request_context, current_app, request, session
from werkzeug.exceptions import HTTPException

from arena.core.errors import ArenaError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
EXTENSION_KEY = "stylearena.cache"
SHARED_KEY = "stylearena.shared_copies"
# How long a process waits for another process's render of a board before rendering itself
# (a render at 100,000 submissions takes about 0.3 s, the competition page about 1.2 s).
SHARED_WAIT_SECONDS = 2.0
_UNVERSIONED = object()


@dataclass(frozen=True)
class _Entry:
    value: Any
    version: Any
    expires: float


class TTLCache:
    """A thread-safe, size-bounded mapping of entries fresh for ``ttl`` seconds (or their own
    ``ttl``) and while their version matches.

    A stale entry stays servable for ``grace`` seconds past its expiry: the first caller to
    see it stale recomputes it while concurrent callers (other threads of a gthread worker)
    keep getting the stale copy, so a refresh never stalls every request at once. A caller
    that finds nothing servable while another computes waits up to ``wait`` seconds for it.
    """

    def __init__(self, ttl: float, max_entries: int = 512, grace: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, wait: float = 30.0) -> None:
        self.ttl = ttl
        self.grace = grace
        self.wait = wait
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[Hashable, _Entry] = OrderedDict()
        # key -> set when its computation ends (value stored or not): what cold callers wait on.
        self._refreshing: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []  # background refreshes (``join_refreshes``)

    def get(self, key: Hashable, version: Any = _UNVERSIONED) -> Any | None:
        """The fresh value under ``key`` (of ``version`` when given), or None (missing or stale)."""
        with self._lock:
            item = self._data.get(key)
            if item is None or not self._fresh(item, version):
                return None
            self._data.move_to_end(key)
            return item.value

    def _fresh(self, item: _Entry, version: Any) -> bool:
        return item.expires > self._clock() and (version is _UNVERSIONED or item.version == version)

    def _get_or_claim(self, key: Hashable, version: Any) -> tuple[Any | None, threading.Event | None, bool]:
        """(value, event to wait on, must_compute): a fresh or servable value, a wait, or a claim
        (then ``value`` is the previous, still servable value, or None)."""
        with self._lock:
            item = self._data.get(key)
            if item is not None and self._fresh(item, version):
                self._data.move_to_end(key)
                return item.value, None, False
            servable = item is not None and item.expires + self.grace > self._clock()
            running = self._refreshing.get(key)
            if running is not None:
                if servable:
                    return item.value, None, False  # someone refreshes: the previous value meanwhile
                return None, running, False
            self._refreshing[key] = threading.Event()
            return (item.value if servable else None), None, True

    def set(self, key: Hashable, value: Any, version: Any = None, ttl: float | None = None) -> None:
        """Store ``value``; the least recently used entry goes when the cache is full."""
        with self._lock:
            self._finish(key)
            lifetime = self.ttl if ttl is None else ttl
            if self.ttl <= 0 or lifetime <= 0:
                return
            self._data[key] = _Entry(value, version, self._clock() + lifetime)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def release(self, key: Hashable) -> None:
        """Give up a refresh claim (the computation failed or produced nothing to keep)."""
        with self._lock:
            self._finish(key)

    def _finish(self, key: Hashable) -> None:
        event = self._refreshing.pop(key, None)
        if event is not None:
            event.set()

    def get_or_set(self, key: Hashable, compute: Callable[[], Any], keep: Callable[[Any], bool] = bool,
                   version: Any = None, ttl: float | None = None,
                   background: Callable[[Callable[[], Any]], Callable[[], Any]] | None = None) -> Any:
        """The cached value, or ``compute()`` stored when ``keep`` accepts it (no lock held while computing).

        ``version``: the value is fresh only while it matches (None for an unversioned entry);
        ``ttl``: this entry's lifetime, default the cache's. ``background``: when given and a
        previous value is still servable, the refresh runs in a thread of its own
        (``background(compute)``, which must carry whatever context ``compute`` needs) and this
        caller gets the previous value at once, so no request waits for a refresh.
        """
        if self.ttl <= 0:
            return compute()
        deadline = self._clock() + self.wait
        while True:
            value, running, must_compute = self._get_or_claim(key, version)
            if running is None:
                break
            # A cold miss someone else is computing: wait for it, then look again (it may have
            # failed or kept nothing, and then this caller claims the key itself).
            if not running.wait(timeout=max(0.0, deadline - self._clock())):
                return compute()  # waited long enough: compute without the claim
        if not must_compute:
            return value
        if background is not None and value is not None:
            job = background(compute)
            thread = threading.Thread(target=self._refresh_quietly, args=(key, job, keep, version, ttl), daemon=True,
                                      name=f"cache-refresh-{len(self._threads)}")
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
            return value
        return self._refresh(key, compute, keep, version, ttl)

    def _refresh(self, key: Hashable, compute: Callable[[], Any], keep: Callable[[Any], bool],
                 version: Any, ttl: float | None) -> Any:
        """Compute under this caller's claim and store (or release the claim)."""
        try:
            value = compute()
        except BaseException:
            self.release(key)
            raise
        if keep(value):
            self.set(key, value, version, ttl)
        else:
            # Nothing to keep (a page that is now an error, say a competition made a draft):
            # the previous value must not be served any longer either.
            with self._lock:
                self._data.pop(key, None)
                self._finish(key)
        return value

    def _refresh_quietly(self, *args: Any) -> None:
        try:
            self._refresh(*args)
        except Exception:  # nobody waits on this thread: say it, keep serving the previous copy
            log.exception("refreshing a cached copy failed; the previous copy stays until the next try")

    def join_refreshes(self, timeout: float = 30.0) -> None:
        """Wait for the background refreshes under way (tests and benchmarks)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    mimetype: str
    headers: tuple[tuple[str, str], ...]


def init_app(app: Flask, settings: Any = None) -> TTLCache:
    """Attach a cache with the app's configured TTL, and the copies shared through Redis when
    ``settings`` names a Redis and the app caches (``arena.web.shared_copies``)."""
    cache = TTLCache(float(app.config.get("PUBLIC_CACHE_SECONDS", 0)))
    app.extensions[EXTENSION_KEY] = cache
    if settings is not None and cache.ttl > 0 and app.config.get("SHARED_BOARD_COPIES", True):
        from arena.web.shared_copies import SharedCopies

        app.extensions[SHARED_KEY] = SharedCopies(settings.redis_url, namespace=settings.database_url)
    return cache


def app_cache() -> TTLCache:
    """The current app's cache."""
    return current_app.extensions[EXTENSION_KEY]


def cached_for_visitors(view: F | None = None, *, version: Callable[..., Any] | None = None,
                        max_age: Callable[[], float] | None = None):
    """Serve a recent copy of a public GET response to visitors without a session.

    Anyone with a session cookie (logged in, or with pending flash messages) gets a fresh
    render, since their page differs; only complete 200 responses are stored. ``version``
    (called with the view's arguments) makes the copy last while the version is unchanged,
    up to ``max_age()`` seconds, instead of the cache's TTL; versioned copies are shared with
    the other web processes when the app has ``SharedCopies``. A stale copy is served while
    a background thread renders its successor (``REFRESH_IN_BACKGROUND``, on by default).
    """
    if view is None:
        return lambda v: cached_for_visitors(v, version=version, max_age=max_age)

    @wraps(view)
    def wrapper(*args, **kwargs):
        if session or request.method != "GET":
            return view(*args, **kwargs)
        fresh: list[Response] = []
        here = threading.get_ident()

        def render() -> CachedResponse | None:
            try:
                result = view(*args, **kwargs)
            except (HTTPException, ArenaError):
                if threading.get_ident() == here:
                    raise  # this request's own error page, through the app's handlers
                return None  # a background refresh found an error page (a 404 now): nothing to keep
            response = current_app.make_response(result)
            if threading.get_ident() == here:  # rendered for this request, not by a background refresh
                fresh.append(response)
            if response.status_code != 200 or response.direct_passthrough or session:
                return None
            headers = tuple((k, v) for k, v in response.headers.items() if k == "Content-Disposition")
            return CachedResponse(response.get_data(), response.mimetype, headers)

        cache = app_cache()
        key = ("response", request.full_path)
        tag = version(*args, **kwargs) if version is not None and cache.ttl > 0 else None
        lifetime = max_age() if tag is not None and max_age is not None else None
        shared = current_app.extensions.get(SHARED_KEY) if tag is not None else None
        produce = render if shared is None else lambda: _shared_render(shared, cache, key, tag, lifetime, render)
        # A stale copy is refreshed in a thread with a copy of this request's context (its own
        # database session); this request is answered with the stale copy at once.
        background = copy_current_request_context if current_app.config.get("REFRESH_IN_BACKGROUND", True) else None
        copy = cache.get_or_set(key, produce, keep=lambda c: c is not None, version=tag, ttl=lifetime,
                                background=background)
        if fresh:
            return fresh[0]
        if copy is None:  # waited for a render that kept nothing (an error page): render it here
            return view(*args, **kwargs)
        return Response(copy.body, mimetype=copy.mimetype, headers=list(copy.headers))

    return wrapper  # type: ignore[return-value]


def _shared_render(shared, cache: TTLCache, key: Hashable, tag: Any, lifetime: float | None,
                   render: Callable[[], CachedResponse | None]) -> CachedResponse | None:
    """The copy of ``tag`` from Redis, or this process's render (stored for the others).

    When another process holds the render lock this waits (polling Redis) for its copy, up to
    ``SHARED_WAIT_SECONDS``, then renders itself: a holder that died mid-render delays a board
    by that much once, never blocks it. Usually the wait runs in a background refresh, with
    the previous copy served meanwhile; only a process with no copy at all waits in a request.
    """
    stored = shared.get(key, tag)
    if stored is not None:
        return CachedResponse(*stored)
    if shared.claim(key, tag):
        # Stored between the first look and the claim (its renderer then dropped the lock)?
        stored = shared.get(key, tag)
        if stored is not None:
            shared.release(key, tag)
            return CachedResponse(*stored)
    else:
        deadline = time.monotonic() + SHARED_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            stored = shared.get(key, tag)
            if stored is not None:
                return CachedResponse(*stored)
    try:
        copy = render()
    except BaseException:
        shared.release(key, tag)
        raise
    if copy is None:
        shared.release(key, tag)
    else:
        shared.put(key, tag, copy.body, copy.mimetype, copy.headers, lifetime or cache.ttl)
    return copy
