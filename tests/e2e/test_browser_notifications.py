"""The email-notification form in Chromium: refused without an address, then opted in and out."""
from __future__ import annotations

import pytest

from arena.core.models import User
from e2e_helpers import shoot
from webseed import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_opt_in_and_out_from_the_nav(page, live_server, db_session, artifacts_dir):
    user_id = make_user(db_session, "mailer").id
    db_session.commit()
    page.goto(live_server + "/login")
    page.fill("#username", "mailer")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/")

    page.get_by_role("link", name="Emails").click()
    page.wait_for_url(live_server + "/account/notifications")
    # Ticking the box without an address says what to do, next to the box.
    page.get_by_label("Email me when a submission of mine is scored or fails").check()
    page.get_by_role("button", name="Save").click()
    assert "Add an email address" in page.locator(".field-check .error").inner_text()
    shoot(page, artifacts_dir, "notifications-refused")

    page.fill("#email", "mailer@example.org")
    page.get_by_label("Email me when a submission of mine is scored or fails").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(live_server + "/account/notifications")
    assert "Email notifications are on." in page.locator(".flash-success").inner_text()
    assert page.get_by_label("Email me when a submission of mine is scored or fails").is_checked()
    shoot(page, artifacts_dir, "notifications-on")
    db_session.expire_all()
    user = db_session.get(User, user_id)
    assert (user.email, user.notify_on_result) == ("mailer@example.org", True)

    page.get_by_label("Email me when a submission of mine is scored or fails").uncheck()
    page.get_by_role("button", name="Save").click()
    assert "Email notifications are off." in page.locator(".flash-success").inner_text()
    db_session.expire_all()
    assert db_session.get(User, user_id).notify_on_result is False
