"""Browser-test fixtures: the real app served over HTTP in a thread, and headless Chromium.

The app runs on SQLite only here (the browser flows are the same on PostgreSQL, which the
test-client suites cover); screenshots go to ``artifacts_dir``.
"""
from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from arena import create_app
from arena.core.settings import SandboxSettings, Settings
from e2e_helpers import DESKTOP
from sandboxfixtures import sandbox_image  # noqa: F401  (fixture)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture
def settings(sqlite_url, services, tmp_path) -> Settings:
    """Settings of one browser test: its own SQLite database and data directory, real Redis."""
    return Settings(
        database_url=sqlite_url, redis_url=services.redis_url, data_dir=tmp_path / "data",
        secret_key="e2e-secret", sandbox=SandboxSettings(), testing=True,
        queue_name=f"e2e-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def live_server(settings):
    """The app served on 127.0.0.1 by a threaded WSGI server; yields its base URL."""
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh desktop-sized page (own cookies) per test."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
