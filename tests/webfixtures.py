"""Web test fixtures (app → client → logged-in client), imported by the web test modules.

Chained like flaskr's: ``app`` builds the real factory on this test's database,
``client`` is Flask's test client, ``login`` logs a client in through the real form.
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from arena import create_app
from webseed import PASSWORD, csrf_token, make_competition, make_user


@pytest.fixture
def app(settings) -> Flask:
    """The real app for this test's settings (SQLite or PostgreSQL via ``db_url``).

    Uploads enqueue into a queue of this test's own, so no worker of another suite sharing
    the Redis server ever picks up a job whose ids belong to this test's database.
    """
    return create_app(settings.with_overrides(queue_name=f"web-test-{uuid.uuid4().hex[:8]}"))


@pytest.fixture(scope="session")
def torchscript_file(tmp_path_factory) -> Path:
    """A real TorchScript generator (torch.jit.save), built once per session."""
    from sandbox.examples import write_torchscript_generator

    return write_torchscript_generator(tmp_path_factory.mktemp("gen") / "model.pt")


@pytest.fixture
def client(app) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def world(db_session):
    """Two participants, an organizer and an open competition, committed."""
    ann = make_user(db_session, "ann")
    bob = make_user(db_session, "bob")
    competition = make_competition(db_session, "demo", description="# Welcome\nStylize **everything**.")
    db_session.commit()
    return {"session": db_session, "ann": ann, "bob": bob, "competition": competition}


def login_as(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    """Log ``client`` in through the real login form (with its CSRF token)."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def form_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form at ``path``."""
    return csrf_token(client.get(path).get_data(as_text=True))


@pytest.fixture
def ann_client(client, world) -> FlaskClient:
    """A client logged in as ann."""
    login_as(client, "ann")
    return client


@pytest.fixture
def other_client(app, world) -> Callable[[str], FlaskClient]:
    """A factory of fresh clients logged in as someone else."""

    def make(username: str) -> FlaskClient:
        c = app.test_client()
        login_as(c, username)
        return c

    return make
