"""CSRF: every form POST without a valid token is refused and changes nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from arena.core.models import ApiToken, User
from arena.services.tokens import create_token
from webfixtures import ann_client, app, client, world  # noqa: F401  (fixtures)

FORM_POSTS = [
    ("/register", {"username": "mallory", "password": "long-enough-pw", "confirm": "long-enough-pw"}),
    ("/login", {"username": "ann", "password": "correct-horse-battery"}),
    ("/logout", {}),
    ("/account/tokens", {"name": "evil"}),
    ("/competitions/demo/submit", {"label": "x"}),
]


@pytest.mark.parametrize("path,data", FORM_POSTS, ids=[p for p, _ in FORM_POSTS])
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_posts_without_valid_token_are_refused(ann_client, world, path, data, token):
    payload = dict(data, **({"csrf_token": token} if token else {}))
    response = ann_client.post(path, data=payload)
    assert response.status_code == 400
    assert "csrf_failed" in response.get_data(as_text=True)
    s = world["session"]
    assert s.scalar(sa.select(User.id).where(User.username == "mallory")) is None
    assert s.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
    assert "Log out" in ann_client.get("/").get_data(as_text=True)  # still logged in


def test_revoke_without_token_keeps_the_token(ann_client, world):
    token, _ = create_token(world["session"], world["ann"], "keep")
    world["session"].commit()
    response = ann_client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 400
    world["session"].refresh(token)
    assert token.revoked_at is None


def test_api_needs_no_csrf_but_a_token(client, world):
    # The API is exempt from CSRF (no cookies are honoured there), so the token is what guards it.
    response = client.post("/api/v1/competitions/demo/submissions")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "missing_token"
