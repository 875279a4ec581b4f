"""The public-page cache: expiry, bounds, and that only session-less visitors get copies."""
from __future__ import annotations

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


@pytest.fixture
def cached_app(settings):
    app = create_app(settings)
    app.config["PUBLIC_CACHE_SECONDS"] = 60
    from arena.web import cache

    cache.init_app(app)
    return app


def test_visitors_get_a_recent_copy_participants_a_fresh_page(cached_app, world):
    s, comp = world["session"], world["competition"]
    add_scored(s, comp, world["ann"], full_scores(10.0), 1, label="first-entry")
    s.commit()
    visitor = cached_app.test_client()
    assert "first-entry" in visitor.get("/competitions/demo/leaderboard").get_data(as_text=True)
    add_scored(s, comp, world["bob"], full_scores(5.0), 2, label="second-entry")
    s.commit()
    # Within the TTL the visitor's copy (page and JSON data) is served from memory...
    assert "second-entry" not in visitor.get("/competitions/demo/leaderboard").get_data(as_text=True)
    # ...a different query string is a different page...
    assert "second-entry" in visitor.get("/competitions/demo/leaderboard?metric=fid").get_data(as_text=True)
    # ...and a logged-in participant's nav differs, so they are never served a visitor's copy.
    ann = cached_app.test_client()
    login_as(ann, "ann")
    html = ann.get("/competitions/demo/leaderboard?metric=fid").get_data(as_text=True)
    assert "Log out" in html and "second-entry" in html
    assert "Log out" not in visitor.get("/competitions/demo/leaderboard?metric=fid").get_data(as_text=True)


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
