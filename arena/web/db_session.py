"""One SQLAlchemy session per request: opened on first use, closed at app-context teardown.

Views decide when to commit; anything left uncommitted is rolled back by ``close()``.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from arena.core.db import make_engine, make_session_factory
from arena.core.settings import Settings

EXTENSION_KEY = "stylearena"


@dataclass(frozen=True)
class AppState:
    """What the factory builds once per app: settings, the engine and its session factory."""

    settings: Settings
    engine: sa.Engine
    session_factory: sessionmaker[Session]


def init_app(app: Flask, settings: Settings) -> AppState:
    """Build the engine for ``settings`` and register the teardown that closes sessions."""
    engine = make_engine(settings.database_url)
    state = AppState(settings=settings, engine=engine, session_factory=make_session_factory(engine))
    app.extensions[EXTENSION_KEY] = state
    app.teardown_appcontext(_close_session)
    return state


def app_state() -> AppState:
    """The current app's state (settings, engine, session factory)."""
    return current_app.extensions[EXTENSION_KEY]


def get_settings() -> Settings:
    """The settings the current app was built with."""
    return app_state().settings


def get_session() -> Session:
    """This request's session, created lazily so pages that need no SQL open no connection."""
    session = g.get("db_session")
    if session is None:
        session = app_state().session_factory()
        g.db_session = session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
