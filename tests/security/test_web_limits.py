"""Rate limits backed by the real Redis, secure cookies and request size limits."""
from __future__ import annotations

import io
import uuid

import redis

from arena import create_app
from webfixtures import world  # noqa: F401  (fixtures)
from webseed import csrf_token


def test_login_rate_limit_uses_redis(settings, world):
    app = create_app(settings.with_overrides(testing=False))  # production storage: Redis
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    client = app.test_client()
    # A unique client address keeps this test's counter apart from any other run.
    client.environ_base["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    token = csrf_token(client.get("/login").get_data(as_text=True))
    statuses = [
        client.post("/login", data={"username": "ann", "password": "wrong-password", "csrf_token": token}).status_code
        for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    limited = client.post("/login", data={"username": "ann", "password": "wrong-password", "csrf_token": token})
    assert limited.status_code == 429 and "Too many requests" in limited.get_data(as_text=True)
    conn = redis.Redis.from_url(settings.redis_url)
    try:
        keys = conn.keys(f"*{client.environ_base['REMOTE_ADDR']}*")
        assert keys, "the limiter kept no counter in Redis"
    finally:
        conn.close()


def _addresses(n: int) -> list[str]:
    """Client addresses no other test (or earlier run against the same Redis) has used."""
    return [f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{i + 1}" for i in range(n)]


def _login_statuses(app, forwarded_for: list[str]) -> list[int]:
    """One failed login per X-Forwarded-For value, all from the same (fresh) proxy address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = _addresses(1)[0]
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return [client.post("/login", data={"username": "ann", "password": "wrong-password", "csrf_token": token},
                        headers={"X-Forwarded-For": address}).status_code for address in forwarded_for]


def test_forwarded_for_is_ignored_unless_proxies_are_configured(settings, world):
    # Without proxy hops a client cannot reset its rate limit by inventing X-Forwarded-For.
    app = create_app(settings)
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    a, b, c = _addresses(3)
    assert _login_statuses(app, [a, b, c]) == [400, 400, 429]


def test_proxy_hops_limit_each_forwarded_client_separately(settings, world):
    # Behind one proxy of ours, the limit applies to the client the proxy saw.
    app = create_app(settings.with_overrides(proxy_hops=1))
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    a, b, c = _addresses(3)
    assert _login_statuses(app, [a, b, c, a, a]) == [400] * 4 + [429]


def test_registration_and_upload_are_limited(settings, world):
    app = create_app(settings)
    app.config.update(RATELIMIT_REGISTER="1 per minute", RATELIMIT_UPLOAD="1 per minute")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    token = csrf_token(client.get("/register").get_data(as_text=True))
    data = {"username": "u1", "password": "short", "confirm": "short", "csrf_token": token}
    assert client.post("/register", data=data).status_code == 400
    assert client.post("/register", data=data).status_code == 429
    headers = {"Authorization": "Bearer sa_whatever"}
    assert client.post("/api/v1/competitions/demo/submissions", headers=headers).status_code == 401
    # The token check runs first, so unauthenticated floods do not consume the upload budget...
    assert client.post("/api/v1/competitions/demo/submissions", headers=headers).status_code == 401


def test_secure_cookie_flags(settings, world):
    app = create_app(settings.with_overrides(secure_cookies=True))
    response = app.test_client().get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_request_size_limit(settings, world):
    from arena.services.tokens import create_token

    _, raw = create_token(world["session"], world["ann"], "t")
    world["session"].commit()
    app = create_app(settings.with_overrides(max_upload_mb=1))
    response = app.test_client().post(
        "/api/v1/competitions/demo/submissions",
        data={"file": (io.BytesIO(b"x" * (1024 * 1024 + 200_000)), "m.pt")},
        content_type="multipart/form-data", headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "request_entity_too_large"
    assert "1 MB limit" in response.get_json()["error"]["message"]  # the API says what the limit is


def test_redis_down_keeps_login_working_with_local_limits(settings, world):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    app = create_app(settings.with_overrides(testing=False, redis_url=f"redis://127.0.0.1:{dead_port}/0"))
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    data = {"username": "ann", "password": "wrong-password", "csrf_token": token}
    assert [client.post("/login", data=data).status_code for _ in range(3)] == [400, 400, 429]
