"""The public-page cache: expiry, bounds, and that only session-less visitors get copies."""
from __future__ import annotations

import threading
import time

import pytest

from arena import create_app
from arena.web.cache import TTLCache
from arena.web.templating import format_metric
from webfixtures import login_as, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ttl_cache_expires_and_is_bounded():
    clock = Clock()
    cache = TTLCache(5, max_entries=2, clock=clock)
    calls: list[str] = []
    assert cache.get_or_set("a", lambda: calls.append("a") or 1) == 1
    assert cache.get_or_set("a", lambda: calls.append("a") or 2) == 1 and calls == ["a"]
    clock.now += 5.01
    assert cache.get("a") is None
    for key in ("x", "y", "z"):
        cache.set(key, key)
    assert cache.get("x") is None and cache.get("z") == "z"  # least recently used evicted
    off = TTLCache(0)
    off.set("k", 1)
    assert off.get("k") is None


def test_stale_copy_served_while_one_caller_refreshes():
    clock = Clock()
    cache = TTLCache(5, grace=60, clock=clock)
    cache.set("board", "v1")
    clock.now += 6  # stale now
    seen_meanwhile: list[str] = []

    def refresh() -> str:
        # Another request arriving during the refresh gets the stale copy, not a second query.
        seen_meanwhile.append(cache.get_or_set("board", lambda: pytest.fail("computed twice")))
        return "v2"

    assert cache.get_or_set("board", refresh) == "v2"
    assert seen_meanwhile == ["v1"] and cache.get("board") == "v2"
    clock.now += 70  # past the grace period: recomputed by the caller
    assert cache.get_or_set("board", lambda: "v3") == "v3"

    def boom() -> str:
        raise RuntimeError("db down")

    clock.now += 6
    with pytest.raises(RuntimeError):
        cache.get_or_set("board", boom)
    assert cache.get_or_set("board", lambda: "v4") == "v4"  # a failed refresh releases its claim


def test_a_cold_miss_is_computed_once_while_the_others_wait():
    cache = TTLCache(60)
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(5)
        return "board"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(cache.get_or_set("k", slow)))
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=lambda: results.append(cache.get_or_set("k", slow))) for _ in range(4)]
    for t in others:
        t.start()
    time.sleep(0.2)  # the four are waiting on the first one's computation, not running their own
    assert len(calls) == 1 and results == []
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert results == ["board"] * 5 and len(calls) == 1


def test_cold_waiters_compute_themselves_when_the_first_computation_fails():
    cache = TTLCache(60)
    started, release = threading.Event(), threading.Event()

    def failing() -> str:
        started.set()
        release.wait(5)
        raise RuntimeError("db down")

    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            cache.get_or_set("k", failing)
        except RuntimeError as exc:
            errors.append(exc)

    first = threading.Thread(target=run_first)
    first.start()
    assert started.wait(5)
    waiter: list[str] = []
    second = threading.Thread(target=lambda: waiter.append(cache.get_or_set("k", lambda: "recovered")))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert len(errors) == 1 and waiter == ["recovered"] and cache.get("k") == "recovered"


def test_a_versioned_entry_outlives_its_ttl_until_the_version_changes():
    clock = Clock()
    cache = TTLCache(5, clock=clock)
    assert cache.get_or_set("board", lambda: "v1", version=1, ttl=100) == "v1"
    clock.now += 50  # far past the cache's TTL, same version: no recomputation
    assert cache.get_or_set("board", lambda: pytest.fail("recomputed an unchanged board"), version=1, ttl=100) == "v1"
    seen_meanwhile: list[str] = []

    def refresh() -> str:
        # During the one refresh of the new version, others get the previous value at once.
        seen_meanwhile.append(cache.get_or_set("board", lambda: pytest.fail("computed twice"), version=2))
        return "v2"

    assert cache.get_or_set("board", refresh, version=2, ttl=100) == "v2"
    assert seen_meanwhile == ["v1"]
    clock.now += 101  # past its own lifetime: recomputed even at the same version
    assert cache.get_or_set("board", lambda: "v2b", version=2, ttl=100) == "v2b"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cached_app(settings, clock):
    app = create_app(settings)
    app.config["PUBLIC_CACHE_SECONDS"] = 10
    app.config["REFRESH_IN_BACKGROUND"] = False  # each request's effect at once (the background one has its test)
    from arena.web.cache import EXTENSION_KEY

    app.extensions[EXTENSION_KEY] = TTLCache(10, clock=clock)
    return app


def test_visitors_get_a_recent_copy_participants_a_fresh_page(cached_app, world, clock):
    s, comp = world["session"], world["competition"]
    add_scored(s, comp, world["ann"], full_scores(10.0), 1, label="first-entry")
    s.commit()
    visitor = cached_app.test_client()
    assert "first-entry" in visitor.get("/competitions/demo/leaderboard").get_data(as_text=True)
    add_scored(s, comp, world["bob"], full_scores(5.0), 2, label="second-entry")
    s.commit()
    # Within the board's revalidation second the visitor's copy is served from memory...
    assert "second-entry" not in visitor.get("/competitions/demo/leaderboard").get_data(as_text=True)
    # ...a different query string is a different page...
    assert "second-entry" in visitor.get("/competitions/demo/leaderboard?metric=fid").get_data(as_text=True)
    # ...and a logged-in participant's nav differs, so they are never served a visitor's copy.
    ann = cached_app.test_client()
    login_as(ann, "ann")
    html = ann.get("/competitions/demo/leaderboard?metric=fid").get_data(as_text=True)
    assert "Log out" in html and "second-entry" in html
    assert "Log out" not in visitor.get("/competitions/demo/leaderboard?metric=fid").get_data(as_text=True)
    clock.now += 1.5  # the fingerprint is read again: the board changed, the copy follows
    assert "second-entry" in visitor.get("/competitions/demo/leaderboard").get_data(as_text=True)


BOARD_ROUTES = ("/competitions/demo/leaderboard", "/competitions/demo/leaderboard.json",
                "/competitions/demo/leaderboard.csv", "/api/v1/competitions/demo/leaderboard", "/competitions/demo")


def test_an_unchanged_board_is_never_recomputed_a_changed_one_once(cached_app, world, clock, monkeypatch):
    from arena.services import moderation
    from arena.web.public import board

    s, comp = world["session"], world["competition"]
    add_scored(s, comp, world["ann"], full_scores(10.0), 1, label="ann-entry")
    bob = add_scored(s, comp, world["bob"], full_scores(5.0), 2, label="bob-entry")
    s.commit()
    queries: list[str] = []
    real = board.leaderboard_rows
    monkeypatch.setattr(board, "leaderboard_rows", lambda *a, **k: queries.append("q") or real(*a, **k))
    visitor = cached_app.test_client()

    def bodies() -> list[str]:
        pages = [visitor.get(path) for path in BOARD_ROUTES]
        assert [p.status_code for p in pages] == [200] * len(BOARD_ROUTES)
        return [p.get_data(as_text=True) for p in pages]

    first = bodies()
    assert all("bob-entry" in b for b in first) and len(queries) == 2  # the page rows, the top five
    clock.now += 60  # six times the TTL: the board did not change, nothing is queried or rendered again
    assert bodies() == first and len(queries) == 2
    moderation.disqualify_submission(s, comp, bob.id, "copied the style image")
    s.commit()
    clock.now += 1.5
    changed = bodies()
    assert all("bob-entry" not in b for b in changed) and len(queries) == 4
    clock.now += 121  # past the longest life of any copy: rebuilt once, same content
    assert bodies() == changed and len(queries) == 6


def test_errors_are_not_cached(cached_app, world):
    visitor = cached_app.test_client()
    assert visitor.get("/competitions/later").status_code == 404
    from webseed import make_competition

    make_competition(world["session"], "later")
    world["session"].commit()
    assert visitor.get("/competitions/later").status_code == 200


@pytest.mark.parametrize("value,text", [(None, "—"), (float("nan"), "—"), (0.123456, "0.1235"), (18640.3, "18,640"),
                                        (23.0, "23")])
def test_metric_formatting(value, text):
    assert format_metric(value) == text


def _process(settings, clock, redis_url: str | None = None, background: bool = False):
    """One web process: its own app and cache, sharing board copies through ``redis_url``."""
    from arena.web.cache import EXTENSION_KEY, SHARED_KEY
    from arena.web.shared_copies import SharedCopies

    app = create_app(settings)
    app.config["PUBLIC_CACHE_SECONDS"] = 10
    app.config["REFRESH_IN_BACKGROUND"] = background
    app.extensions[EXTENSION_KEY] = TTLCache(10, clock=clock)
    if redis_url is not None:
        app.extensions[SHARED_KEY] = SharedCopies(redis_url, namespace=settings.database_url)
    return app


@pytest.fixture
def board_queries(monkeypatch) -> list[str]:
    from arena.web.public import board

    queries: list[str] = []
    real = board.leaderboard_rows
    monkeypatch.setattr(board, "leaderboard_rows", lambda *a, **k: queries.append("q") or real(*a, **k))
    return queries


def test_one_process_renders_a_board_change_the_others_take_its_copy(settings, world, clock, redis_conn,
                                                                      board_queries):
    from arena.services import moderation

    s, comp = world["session"], world["competition"]
    add_scored(s, comp, world["ann"], full_scores(10.0), 1, label="ann-entry")
    bob = add_scored(s, comp, world["bob"], full_scores(5.0), 2, label="bob-entry")
    s.commit()
    first, second = (_process(settings, clock, settings.redis_url).test_client() for _ in range(2))
    path = "/competitions/demo/leaderboard.json"
    page = first.get(path).get_data()
    assert b"bob-entry" in page and len(board_queries) == 1
    assert second.get(path).get_data() == page and len(board_queries) == 1  # from Redis, not the database
    moderation.disqualify_submission(s, comp, bob.id, "copied the style image")
    s.commit()
    clock.now += 1.5
    changed = second.get(path).get_data()
    assert b"bob-entry" not in changed and len(board_queries) == 2
    assert first.get(path).get_data() == changed and len(board_queries) == 2


def test_while_another_process_renders_the_previous_copy_is_served(settings, world, clock, redis_conn,
                                                                   board_queries):
    from arena.web.board_version import read_board_version
    from arena.web.cache import EXTENSION_KEY
    from arena.web.shared_copies import SharedCopies

    s, comp = world["session"], world["competition"]
    add_scored(s, comp, world["ann"], full_scores(10.0), 1, label="ann-entry")
    s.commit()
    app = _process(settings, clock, settings.redis_url, background=True)
    visitor = app.test_client()
    path = "/competitions/demo/leaderboard"
    before = visitor.get(path).get_data()
    add_scored(s, comp, world["bob"], full_scores(5.0), 2, label="bob-entry")
    s.commit()
    clock.now += 1.5
    assert visitor.get(path).get_data() == before  # the new fingerprint is read in the background
    app.extensions[EXTENSION_KEY].join_refreshes()
    with app.test_request_context(path):
        version = read_board_version("demo")
    other = SharedCopies(settings.redis_url, namespace=settings.database_url)
    assert other.claim(("response", path + "?"), version)  # "another process" starts rendering
    # This process answers with its previous copy; its refresh thread waits for the other's render...
    assert visitor.get(path).get_data() == before
    other.put(("response", path + "?"), version, b"<p>the other's render</p>", "text/html", (), 60)
    app.extensions[EXTENSION_KEY].join_refreshes()
    # ...and takes it instead of querying the database a second time.
    assert visitor.get(path).get_data() == b"<p>the other's render</p>" and len(board_queries) == 1


def test_boards_render_when_redis_is_down(settings, world, clock, board_queries):
    s, comp = world["session"], world["competition"]
    add_scored(s, comp, world["ann"], full_scores(10.0), 1, label="ann-entry")
    s.commit()
    # Nothing listens on port 1: every Redis call fails at once, and the page is rendered here.
    visitor = _process(settings, clock, "redis://127.0.0.1:1/0").test_client()
    for _ in range(3):
        response = visitor.get("/competitions/demo/leaderboard")
        assert response.status_code == 200 and b"ann-entry" in response.get_data()
    assert len(board_queries) == 1  # still cached in the process


def test_a_stale_board_is_answered_at_once_and_refreshed_in_the_background(settings, world, clock, board_queries):
    from arena.web.cache import EXTENSION_KEY

    s, comp = world["session"], world["competition"]
    add_scored(s, comp, world["ann"], full_scores(10.0), 1, label="ann-entry")
    s.commit()
    app = _process(settings, clock, background=True)
    visitor = app.test_client()
    path = "/competitions/demo/leaderboard"
    assert b"ann-entry" in visitor.get(path).get_data()  # cold: rendered for this request
    add_scored(s, comp, world["bob"], full_scores(5.0), 2, label="bob-entry")
    s.commit()
    clock.now += 1.5
    # The board changed. The first request past the revalidation second gets the previous copy
    # while a thread reads the fingerprint; the next one finds the copy stale and gets it again
    # while a thread renders the new one...
    cache = app.extensions[EXTENSION_KEY]
    for _ in range(2):
        assert b"bob-entry" not in visitor.get(path).get_data()
        cache.join_refreshes()
    assert len(board_queries) == 2
    # ...with its own request context and database session, and the next visitor sees it.
    assert b"bob-entry" in visitor.get(path).get_data() and len(board_queries) == 2


def test_a_render_lock_left_by_a_dead_process_delays_a_cold_board_once(settings, world, clock, redis_conn,
                                                                       board_queries, monkeypatch):
    from arena.web import cache as cache_module
    from arena.web.board_version import read_board_version
    from arena.web.shared_copies import SharedCopies

    monkeypatch.setattr(cache_module, "SHARED_WAIT_SECONDS", 0.3)
    s, comp = world["session"], world["competition"]
    add_scored(s, comp, world["ann"], full_scores(10.0), 1, label="ann-entry")
    s.commit()
    app = _process(settings, clock, settings.redis_url)
    path = "/competitions/demo/leaderboard"
    with app.test_request_context(path):
        version = read_board_version("demo")
    # A process took the render lock and was killed before it stored anything.
    assert SharedCopies(settings.redis_url, namespace=settings.database_url).claim(("response", path + "?"), version)
    started = time.monotonic()
    response = app.test_client().get(path)
    assert response.status_code == 200 and b"ann-entry" in response.get_data()
    assert 0.3 <= time.monotonic() - started < 5 and len(board_queries) == 1


def test_a_board_that_stops_being_public_stops_being_served(settings, world, clock):
    from arena.core.enums import CompetitionStatus
    from arena.web.cache import EXTENSION_KEY

    s, comp = world["session"], world["competition"]
    add_scored(s, comp, world["ann"], full_scores(10.0), 1, label="ann-entry")
    s.commit()
    app = _process(settings, clock, background=True)
    cache = app.extensions[EXTENSION_KEY]
    visitor = app.test_client()
    path = "/competitions/demo/leaderboard.json"
    assert visitor.get(path).status_code == 200
    comp.status = CompetitionStatus.DRAFT  # the organizer takes it back to a draft
    s.commit()
    clock.now += 1.5
    for _ in range(2):  # the fingerprint, then the render, each in the background
        visitor.get(path)
        cache.join_refreshes()
    # The refresh found a 404: the old copy is dropped, not served on.
    assert visitor.get(path).status_code == 404
