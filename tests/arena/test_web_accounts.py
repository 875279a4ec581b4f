"""Registration, login/logout and personal API tokens through the real forms."""
from __future__ import annotations

import sqlalchemy as sa

from arena.core.models import ApiToken, User
from arena.services.tokens import hash_token
from webfixtures import ann_client, app, client, form_token, login_as, world  # noqa: F401  (fixtures)


def _register(client, username, password="long-enough-pw", confirm=None):
    token = form_token(client, "/register")
    return client.post("/register", data={
        "username": username, "password": password, "confirm": confirm or password, "csrf_token": token,
    })


def test_register_logs_in_and_hashes_password(client, world):
    response = _register(client, "newbie")
    assert response.status_code == 302
    assert "Log out" in client.get("/").get_data(as_text=True)
    user = world["session"].scalar(sa.select(User).where(User.username == "newbie"))
    assert user is not None and "long-enough-pw" not in user.password_hash


def test_register_bad_input(client, world):
    short = _register(client, "shorty", password="short")
    assert short.status_code == 400 and "at least 8" in short.get_data(as_text=True)
    taken = _register(client, "ann")
    assert taken.status_code == 400 and "already taken" in taken.get_data(as_text=True)
    bad = _register(client, "no spaces!")
    assert bad.status_code == 400 and "letters, digits" in bad.get_data(as_text=True)
    mismatch = _register(client, "newbie", confirm="something-else")
    assert mismatch.status_code == 400 and "Passwords differ" in mismatch.get_data(as_text=True)


def test_login_wrong_password_and_logout(client, world):
    token = form_token(client, "/login")
    wrong = client.post("/login", data={"username": "ann", "password": "nope-nope", "csrf_token": token})
    assert wrong.status_code == 400 and "wrong password" in wrong.get_data(as_text=True)
    login_as(client, "ann")
    token = form_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "Log in" in client.get("/").get_data(as_text=True)
    assert client.get("/logout").status_code == 405


def test_login_redirects_only_to_same_site(client, world):
    token = form_token(client, "/login")
    response = client.post("/login?next=//evil.example/x", data={
        "username": "ann", "password": "correct-horse-battery", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_tokens_created_once_stored_hashed_and_revocable(ann_client, world):
    token = form_token(ann_client, "/account/tokens")
    page = ann_client.post("/account/tokens", data={"name": "laptop", "csrf_token": token}).get_data(as_text=True)
    raw = page.split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("sa_") and len(raw) > 30
    row = world["session"].scalar(sa.select(ApiToken).where(ApiToken.name == "laptop"))
    assert row.token_hash == hash_token(raw) and raw not in row.token_hash
    # Shown once: the list page afterwards has only its prefix.
    listing = ann_client.get("/account/tokens").get_data(as_text=True)
    assert raw not in listing and row.prefix in listing
    assert ann_client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    revoke = ann_client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": form_token(ann_client, "/account/tokens")})
    assert revoke.status_code == 302
    assert ann_client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_token_bad_input_and_unauthenticated(client, world):
    assert client.get("/account/tokens").status_code == 302  # to the login page
    login_as(client, "ann")
    response = client.post("/account/tokens", data={"name": "", "csrf_token": form_token(client, "/account/tokens")})
    assert response.status_code == 400


def test_cannot_revoke_someone_elses_token(app, world):
    from arena.services.tokens import create_token

    bob_token, _ = create_token(world["session"], world["bob"], "bob's")
    world["session"].commit()
    client = app.test_client()
    login_as(client, "ann")
    response = client.post(f"/account/tokens/{bob_token.id}/revoke", data={"csrf_token": form_token(client, "/account/tokens")})
    assert response.status_code == 404
    world["session"].refresh(bob_token)
    assert bob_token.revoked_at is None
