"""The app factory: index, empty leaderboard, 404 pages, one session per request."""
from __future__ import annotations

import pytest
from flask import g

from arena import create_app
from arena.web.db_session import get_session
from webfixtures import app, client, world  # noqa: F401  (fixtures)
from webseed import make_competition


def test_index_lists_competitions(client, world):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Competition demo" in html and "/competitions/demo" in html


def test_empty_leaderboard(client, world):
    response = client.get("/competitions/demo/leaderboard")
    assert response.status_code == 200
    assert "No scored submissions yet" in response.get_data(as_text=True)
    data = client.get("/competitions/demo/leaderboard.json").get_json()
    assert data["rows"] == [] and data["total"] == 0 and data["sort_metric"] == "art_fid"


def test_missing_competition_is_a_404_page(client, world):
    response = client.get("/competitions/nope/leaderboard")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<!doctype html>" in html and "nope" in html and "Traceback" not in html
    assert client.get("/no/such/page").status_code == 404


def test_draft_competition_hidden_from_visitors(client, world):
    from arena.enums import CompetitionStatus

    make_competition(world["session"], "secret", status=CompetitionStatus.DRAFT)
    world["session"].commit()
    assert client.get("/competitions/secret").status_code == 404
    assert "secret" not in client.get("/").get_data(as_text=True)


def test_one_session_per_request_closed_at_teardown(app, world):
    with app.test_request_context("/"):
        first = get_session()
        assert get_session() is first and g.db_session is first
        first.execute(__import__("sqlalchemy").text("SELECT 1"))
        assert first.in_transaction()
    # teardown closed it: the transaction is gone and g no longer holds it.
    assert not first.in_transaction()
    with app.test_request_context("/"):
        assert "db_session" not in g  # lazily opened: nothing until a view asks


def test_settings_shape_the_app(settings):
    app = create_app(settings.with_overrides(secure_cookies=True, max_upload_mb=3, testing=True))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAX_CONTENT_LENGTH"] < 4 * 1024 * 1024
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    prod = create_app(settings.with_overrides(testing=False))
    assert prod.config["RATELIMIT_STORAGE_URI"] == settings.redis_url


@pytest.mark.parametrize("path", ["/competitions/nope/leaderboard.json", "/api/v1/competitions/nope/leaderboard"])
def test_json_404s_are_json(client, world, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "competition_not_found"
