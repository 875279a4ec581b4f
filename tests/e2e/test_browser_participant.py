"""The participant's side in a real browser: the API docs page, why the upload button is
disabled, and a no-JS upload over the size limit that keeps the person on the form."""
from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from arena import create_app
from arena.core.enums import SubmissionStatus
from arena.core.models import utcnow
from e2e_helpers import DESKTOP, PHONE, shoot
from webseed import PASSWORD, make_competition, make_submission, make_user

pytestmark = pytest.mark.browser


def _log_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


def _overflow(page) -> list[str]:
    """Elements whose right edge passes the viewport (a page that scrolls sideways on a phone)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth, bad = [];
        for (const el of document.querySelectorAll('main *')) {
            const box = el.getBoundingClientRect();
            if (box.width && box.right > width + 1 && !el.closest('pre, .table-scroll')) {
                bad.push(el.tagName + '.' + el.className + ' ' + Math.round(box.right));
            }
        }
        return bad.slice(0, 10);
    }""")


def _shoot_part(page, locator, path) -> None:
    """One element from a full-page capture (an element shot would put the sticky top bar over it)."""
    box = page.evaluate("el => { const r = el.getBoundingClientRect(); return {x: r.x + scrollX, y: r.y + scrollY, "
                        "width: r.width, height: r.height}; }", locator.element_handle())
    page.screenshot(path=str(path), full_page=True, clip=box)


def test_api_docs_page_from_the_footer_at_both_widths(page, live_server, db_session, artifacts_dir):
    make_competition(db_session, "stylize-2026", title="Stylize 2026")
    db_session.commit()
    page.goto(live_server + "/")
    page.locator("footer").get_by_role("link", name="API").click()
    page.wait_for_url(live_server + "/api/v1/docs")
    doc = page.request.get(live_server + "/api/v1/openapi.json").json()
    n_ops = sum(len(ops) for ops in doc["paths"].values())
    assert page.locator("section.api-op").count() == n_ops
    assert page.locator("pre[data-example=curl]").count() == n_ops == page.locator("pre[data-example=python]").count()
    # The route index jumps to the route; the examples name the real competition.
    toc_link = page.locator('.api-toc a[href="#get-competitions-slug-limits"]')
    assert re.fullmatch(r"GET\s+/competitions/\{slug\}/limits", toc_link.inner_text().strip())
    toc_link.click()
    assert page.url.endswith("#get-competitions-slug-limits")
    limits = page.locator("#get-competitions-slug-limits")
    assert "Token optional" in limits.inner_text()
    assert "/api/v1/competitions/stylize-2026/limits" in limits.locator("pre[data-example=curl]").inner_text()
    page.evaluate("window.scrollTo(0, 0)")  # a full-page shot keeps the sticky index where it was scrolled to
    shoot(page, artifacts_dir, "api-docs")
    upload = page.locator("#post-competitions-slug-submissions")
    _shoot_part(page, upload, artifacts_dir / "api-docs-upload-desktop.png")
    page.set_viewport_size(PHONE)
    assert _overflow(page) == []  # long paths and code never push the page sideways
    for pre in page.locator("pre.api-code").all():  # code scrolls inside its own box
        box = pre.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    _shoot_part(page, upload, artifacts_dir / "api-docs-upload-phone.png")
    page.set_viewport_size(DESKTOP)


def test_disabled_button_says_the_quota_is_used_and_when_it_resets(page, live_server, db_session, artifacts_dir):
    comp = make_competition(db_session, "quota-cup", title="Quota cup", daily_quota=2)
    user = make_user(db_session, "busy")
    for _ in range(2):
        make_submission(db_session, comp, user, status=SubmissionStatus.SCORED, created_at=utcnow())
    db_session.commit()
    page.goto(f"{live_server}/competitions/quota-cup")
    page.get_by_role("link", name="Log in to submit").click()  # a visitor is sent to log in, then back
    page.fill("#username", "busy")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/competitions/quota-cup/submit")
    button = page.get_by_role("button", name="Upload and queue")
    assert button.is_disabled()
    why = page.locator("#submit-why")
    assert button.get_attribute("aria-describedby") == "submit-why"
    assert re.search(r"used all 2 uploads for today; the count resets at \d{4}-\d\d-\d\d 00:00 UTC \(in \d+ h",
                     why.inner_text())
    assert "0 / 2 left" in page.locator(".quota").inner_text()
    shoot(page, artifacts_dir, "submit-quota-used")


def _werkzeug(settings):
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def small_limit_werkzeug(settings):
    """The app with a 1 MB upload limit on the test server."""
    yield from _werkzeug(settings.with_overrides(max_upload_mb=1))


@pytest.fixture(params=["werkzeug", "gunicorn"])
def small_limit_server(request, settings, tmp_path):
    """The app with a 1 MB upload limit, on the test server and on the production one (gunicorn).

    Both must answer an oversized body with the page rather than a connection reset: the body
    is refused unread, and whether the browser still sees the answer is up to the server.
    """
    small = settings.with_overrides(max_upload_mb=1)
    if request.param == "werkzeug":
        yield from _werkzeug(small)
        return
    import os
    import socket
    import subprocess
    import time
    import urllib.request

    from arena.cli.serve_cmd import gunicorn_argv

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(gunicorn_argv("127.0.0.1", port, workers=1, threads=4),
                            env={**os.environ, **small.to_env()}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_no_js_upload_over_the_limit_stays_on_the_form(browser, small_limit_server, db_session, tmp_path,
                                                        artifacts_dir, request):
    base = small_limit_server
    make_competition(db_session, "big-files", title="Big files")
    make_user(db_session, "heavy")
    db_session.commit()
    big = tmp_path / "huge.pt"
    # Well past the sockets' buffers, so a server that answered without draining would reset the upload.
    big.write_bytes(b"\0" * (20 * 1024 * 1024))
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _log_in(page, base, "heavy")
        page.goto(f"{base}/competitions/big-files/submit")
        assert "At most 1 MB." in page.locator("#submit-form").inner_text()
        page.set_input_files("#generator", str(big))
        page.fill("#label", "too big")
        with page.expect_navigation():
            page.get_by_role("button", name="Upload and queue").click()
        assert page.url == f"{base}/competitions/big-files/submit"
        field = page.locator(".field.dropzone.has-error")
        assert "The upload (20 MB) is larger than the 1 MB limit" in field.inner_text()
        assert "Nothing was uploaded" in field.inner_text()
        assert page.get_by_role("button", name="Upload and queue").is_enabled()  # and it can be sent again
        if "gunicorn" not in request.node.name:
            shoot(page, artifacts_dir, "submit-413-nojs")
        small = tmp_path / "tiny.pt"
        small.write_bytes(b"not a model")
        page.set_input_files("#generator", str(small))
        with page.expect_navigation():
            page.get_by_role("button", name="Upload and queue").click()
        # The form really is live again: the next upload reaches the validator (and is refused as junk).
        assert "code: " in page.locator(".field.dropzone").inner_text()
    finally:
        context.close()


def test_script_checks_the_size_first_in_the_servers_format(page, small_limit_werkzeug, db_session, tmp_path):
    base = small_limit_werkzeug
    make_competition(db_session, "big-files", title="Big files")
    make_user(db_session, "heavy")
    db_session.commit()
    big = tmp_path / "big.pt"
    big.write_bytes(b"\0" * (3 * 1024 * 1024 + 400 * 1024))
    _log_in(page, base, "heavy")
    page.goto(f"{base}/competitions/big-files/submit")
    page.set_input_files("#generator", str(big))
    # 3.4 MB and 1 MB, as arena.core.sizes writes them (the old script said "1.0"/"3.4" in two formats).
    assert page.locator("#size-error").inner_text() == "This file is 3.4 MB; the limit is 1 MB."
    page.get_by_role("button", name="Upload and queue").click()
    assert page.url == f"{base}/competitions/big-files/submit"  # nothing was sent
