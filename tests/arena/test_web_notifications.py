"""The email-notification form (account page, CSRF) and what /api/v1/me reports of it."""
from __future__ import annotations

from arena.core.models import User
from arena.services.tokens import create_token
from webfixtures import ann_client, app, client, form_token, world  # noqa: F401  (fixtures)

PAGE = "/account/notifications"


def _post(c, **data):
    return c.post(PAGE, data={"csrf_token": form_token(c, PAGE), **data})


def _ann(world) -> User:
    session = world["session"]
    session.expire_all()
    return session.get(User, world["ann"].id)


def test_opting_in_and_out_sets_the_address_and_the_flag(ann_client, world):
    page = ann_client.get(PAGE).get_data(as_text=True)
    assert 'name="email"' in page and 'name="notify_on_result"' in page and 'name="csrf_token"' in page
    assert 'data-notifications="off"' in page  # no SMTP host in the test settings: it says so
    assert _ann(world).notify_on_result is False  # off by default

    done = _post(ann_client, email=" ann@example.org ", notify_on_result="y")
    assert done.status_code == 302
    assert "notifications are on" in ann_client.get(PAGE).get_data(as_text=True)
    ann = _ann(world)
    assert (ann.email, ann.notify_on_result) == ("ann@example.org", True)

    # An unticked box is absent from the form data: that is opting out, the address stays.
    assert _post(ann_client, email="ann@example.org").status_code == 302
    ann = _ann(world)
    assert (ann.email, ann.notify_on_result) == ("ann@example.org", False)


def test_bad_choices_are_refused_with_what_to_do(ann_client, world):
    world["bob"].email = "bob@example.org"
    world["session"].commit()
    no_address = _post(ann_client, email="", notify_on_result="y")
    assert no_address.status_code == 400 and "Add an email address" in no_address.get_data(as_text=True)
    malformed = _post(ann_client, email="ann-at-example", notify_on_result="y")
    assert malformed.status_code == 400 and "name@example.org" in malformed.get_data(as_text=True)
    taken = _post(ann_client, email="bob@example.org", notify_on_result="y")
    assert taken.status_code == 400 and "Another account uses this email" in taken.get_data(as_text=True)
    ann = _ann(world)
    assert (ann.email, ann.notify_on_result) == (None, False)


def test_the_form_needs_its_csrf_token(ann_client, world):
    forged = ann_client.post(PAGE, data={"email": "evil@example.org", "notify_on_result": "y"})
    assert forged.status_code == 400
    assert _ann(world).email is None


def test_the_page_needs_a_login(client, world):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_api_me_reports_the_choice(ann_client, client, world):
    _post(ann_client, email="ann@example.org", notify_on_result="y")
    session = world["session"]
    _, raw = create_token(session, _ann(world), "cli")
    session.commit()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).get_json()
    assert me["email"] == "ann@example.org" and me["notify_on_result"] is True
