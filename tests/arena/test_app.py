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
    from arena.core.enums import CompetitionStatus

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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_gunicorn_with_the_factory(sqlite_url, tmp_path):
    """`stylearena serve` starts gunicorn on 127.0.0.1 and serves the competitions page."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    port = _free_port()
    env = dict(os.environ, STYLEARENA_DATABASE_URL=sqlite_url, STYLEARENA_DATA_DIR=str(tmp_path / "data"))
    stylearena = Path(sys.executable).with_name("stylearena")
    proc = subprocess.Popen([str(stylearena), "serve", "--port", str(port), "--workers", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = response.read().decode()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()[-2000:]
                time.sleep(0.2)
        assert "Competitions" in body
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
