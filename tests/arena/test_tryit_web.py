"""Try-it pages: login, opted-in models only, hostile photos refused, rate limits, own results only."""
from __future__ import annotations

import io
import re

import pytest
import redis
from PIL import Image
from rq import Queue

from arena.core.models import Submission, TryItRequest, TryItStatus
from arena.core.store.datasets import dataset_path
from arena.web.db_session import EXTENSION_KEY
from evaluator.tryit_job import tryit_queue
from evaluator.tryit_store import tryit_path
from webfixtures import app, client, login_as  # noqa: F401  (fixtures)
from webseed import add_scored, csrf_token, full_scores, make_competition, make_user

TOKEN_RE = re.compile(r"/try/r/([0-9a-f]{32})")


def _image(fmt: str = "JPEG", size=(64, 48), color=(200, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture
def tryworld(db_session, settings):
    visitor, ann, bob = make_user(db_session, "visitor"), make_user(db_session, "ann"), make_user(db_session, "bob")
    competition = make_competition(db_session, "tryweb")
    styles = dataset_path(settings, competition.public_dataset) / "style"
    styles.mkdir(parents=True)
    (styles / "wave.png").write_bytes(_image("PNG", color=(20, 60, 200)))
    best = add_scored(db_session, competition, ann, full_scores(20.0), 1, label="ann-best", allow_try_it=True)
    hidden = add_scored(db_session, competition, bob, full_scores(10.0), 2, label="bob-not-offered")
    db_session.commit()
    return {"session": db_session, "competition": competition, "best": best, "hidden": hidden}


def _post(client, model: int, photo: bytes, name: str = "photo.jpg", style: str = "wave.png", style_file=None):
    token = csrf_token(client.get("/try").get_data(as_text=True))
    data = {"csrf_token": token, "competition": "tryweb", "model": str(model), "style": style,
            "photo": (io.BytesIO(photo), name)}
    if style_file is not None:
        data["style_file"] = (io.BytesIO(style_file), "style.png")
    return client.post("/try", data=data, content_type="multipart/form-data")


def test_form_needs_login_and_lists_only_opted_in_models(client, tryworld):
    assert client.get("/try").status_code == 302
    login_as(client, "visitor")
    html = client.get("/try").get_data(as_text=True)
    assert "ann-best" in html and "bob-not-offered" not in html
    assert "wave.png" in html
    assert client.get("/try/tryweb/styles/wave.png").status_code == 200
    assert client.get("/try/tryweb/styles/..%2Fpairs.csv").status_code == 404


def test_request_is_queued_on_the_tryit_queue_and_private(app, client, tryworld, redis_conn):
    login_as(client, "visitor")
    response = _post(client, tryworld["best"].id, _image())
    assert response.status_code == 302
    token = TOKEN_RE.search(response.headers["Location"]).group(1)
    settings = app.extensions[EXTENSION_KEY].settings
    request = tryworld["session"].query(TryItRequest).filter_by(token=token).one()
    assert request.status is TryItStatus.QUEUED and tryit_path(settings, request.content_sha256).is_file()
    queue = Queue(tryit_queue(settings), connection=redis.Redis.from_url(settings.redis_url))
    assert [job.args for job in queue.jobs] == [(request.id,)]
    assert Queue(settings.queue_name, connection=queue.connection).count == 0  # never on the scoring queue
    page = client.get(f"/try/r/{token}").get_data(as_text=True)
    assert "Queued" in page and 'http-equiv="refresh"' in page
    assert client.get(f"/try/r/{token}/status.json").get_json()["status"] == "queued"
    assert client.get(f"/try/r/{token}/content.png").status_code == 200
    other = app.test_client()
    login_as(other, "bob")
    assert other.get(f"/try/r/{token}").status_code == 404
    assert other.get(f"/try/r/{token}/content.png").status_code == 404


def test_not_offered_model_is_refused(client, tryworld):
    login_as(client, "visitor")
    response = _post(client, tryworld["hidden"].id, _image())
    assert response.status_code == 400 and "opted in" in response.get_data(as_text=True)


@pytest.mark.parametrize("photo,name,needle", [
    (_image("GIF"), "photo.jpg", "whatever its name says"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "photo.png", "upload"),
])
def test_hostile_photo_is_refused_with_a_clear_message(client, tryworld, photo, name, needle):
    login_as(client, "visitor")
    response = _post(client, tryworld["best"].id, photo, name=name)
    assert response.status_code == 400 and needle in response.get_data(as_text=True)
    assert tryworld["session"].query(TryItRequest).count() == 0


def test_decompression_bomb_is_refused_on_the_page(client, tryworld):
    login_as(client, "visitor")
    bomb = _image("PNG", size=(1, 1))
    # Patch the header to claim 60000 x 60000 pixels: decoding it would take 10 GB.
    import struct
    import zlib
    ihdr = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    bomb = bomb[:8] + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)) + bomb[33:]
    response = _post(client, tryworld["best"].id, bomb)
    assert response.status_code == 400 and "decompression bomb" in response.get_data(as_text=True)


def test_rate_limit_per_account(app, client, tryworld, redis_conn):
    app.config["TRYIT_PER_USER_HOUR"] = 2
    login_as(client, "visitor")
    assert _post(client, tryworld["best"].id, _image()).status_code == 302
    assert _post(client, tryworld["best"].id, _image(), style="", style_file=_image("PNG")).status_code == 302
    third = _post(client, tryworld["best"].id, _image())
    assert third.status_code == 429 and "limit" in third.get_data(as_text=True)
    other = app.test_client()
    login_as(other, "bob")
    assert _post(other, tryworld["best"].id, _image()).status_code == 302  # another account is not limited


def test_rate_limit_per_address(app, client, tryworld, redis_conn):
    app.config["TRYIT_PER_ADDRESS_HOUR"] = 1
    login_as(client, "visitor")
    assert _post(client, tryworld["best"].id, _image()).status_code == 302
    other = app.test_client()
    login_as(other, "bob")  # same address, another account
    assert _post(other, tryworld["best"].id, _image()).status_code == 429


def test_owner_toggles_opt_in(app, client, tryworld):
    login_as(client, "ann")
    sub_id = tryworld["best"].id
    page = client.get(f"/me/submissions/{sub_id}").get_data(as_text=True)
    assert "Stop offering it" in page
    response = client.post(f"/me/submissions/{sub_id}/try-it", data={"csrf_token": csrf_token(page), "allow": "0"})
    assert response.status_code == 302
    tryworld["session"].expire_all()
    assert tryworld["session"].get(Submission, sub_id).allow_try_it is False
    assert "ann-best" not in client.get("/try").get_data(as_text=True)
    other = app.test_client()
    login_as(other, "bob")
    page = other.get("/try").get_data(as_text=True)
    assert other.post(f"/me/submissions/{sub_id}/try-it", data={"csrf_token": csrf_token(page), "allow": "1"}).status_code == 403
