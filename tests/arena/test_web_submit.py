"""The upload form: a real TorchScript file is queued; every rejection is a clear form error."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa

from arena.core.enums import CompetitionStatus, EvaluationStatus, SubmissionStatus
from arena.core.models import Evaluation, Submission
from webfixtures import ann_client, app, client, form_token, torchscript_file, world  # noqa: F401


def _post(client, data: bytes, filename: str = "model.pt", label: str = "v1", slug: str = "demo"):
    token = form_token(client, f"/competitions/{slug}/submit")
    return client.post(
        f"/competitions/{slug}/submit",
        data={"generator": (io.BytesIO(data), filename), "label": label, "notes": "first try",
              "csrf_token": token},
        content_type="multipart/form-data",
    )


def test_form_needs_login(client, world):
    response = client.get("/competitions/demo/submit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_form_renders_with_size_limit(ann_client, app):
    html = ann_client.get("/competitions/demo/submit").get_data(as_text=True)
    max_bytes = app.extensions["stylearena"].settings.max_upload_mb * 1024 * 1024
    from arena.services.upload_rules import UPLOAD_SUFFIXES

    assert f'data-max-bytes="{max_bytes}"' in html and f'accept="{",".join(UPLOAD_SUFFIXES)}"' in html
    assert ".pt2" in UPLOAD_SUFFIXES and 'accept=".pt,.pt2,.zip"' in html
    assert 'name="csrf_token"' in html


def test_real_torchscript_upload_is_queued(ann_client, app, world, torchscript_file):
    response = _post(ann_client, torchscript_file.read_bytes())
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    session = world["session"]
    sub = session.scalar(sa.select(Submission))
    assert response.headers["Location"] == f"/me/submissions/{sub.id}"
    assert (sub.status, sub.label, sub.notes, sub.owner_id) == (SubmissionStatus.QUEUED, "v1", "first try", world["ann"].id)
    evaluation = session.scalar(sa.select(Evaluation).where(Evaluation.submission_id == sub.id))
    assert evaluation.status == EvaluationStatus.QUEUED
    settings = app.extensions["stylearena"].settings
    assert (settings.uploads_dir / sub.sha256).read_bytes() == torchscript_file.read_bytes()
    page = ann_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-status="queued"' in page and "queued for scoring" in page


def test_rejections_are_form_errors(ann_client, world):
    junk = _post(ann_client, b"definitely not a model")
    assert junk.status_code == 400
    html = junk.get_data(as_text=True)
    assert "code: " in html and 'class="error"' in html
    wrong_type = _post(ann_client, b"hello", filename="model.txt")
    assert wrong_type.status_code == 400 and "a torch.export .pt2 file or a .zip" in wrong_type.get_data(as_text=True)
    assert world["session"].scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_quota_message_says_when_it_resets(ann_client, world, torchscript_file):
    world["competition"].daily_quota = 1
    world["session"].commit()
    assert _post(ann_client, torchscript_file.read_bytes()).status_code == 302
    second = _post(ann_client, torchscript_file.read_bytes(), label="v2")
    assert second.status_code == 400
    assert "resets at" in second.get_data(as_text=True)


def test_closed_competition_refuses(ann_client, world, torchscript_file):
    world["competition"].status = CompetitionStatus.CLOSED
    world["session"].commit()
    page = ann_client.get("/competitions/demo/submit").get_data(as_text=True)
    assert 'data-reason="competition_closed"' in page and "is closed: it does not accept uploads" in page
    # Outside its upload window the page has no upload button at all (issue 19), only the reason.
    assert "Upload and queue" not in page
    response = _post(ann_client, torchscript_file.read_bytes())
    assert response.status_code == 400 and "competition_closed" in response.get_data(as_text=True)


def test_oversized_request_is_413(settings, world):
    from arena import create_app
    from webfixtures import login_as

    app = create_app(settings.with_overrides(max_upload_mb=1))
    client = app.test_client()
    login_as(client, "ann")
    response = _post(client, b"x" * (2 * 1024 * 1024))
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "The upload (2 MB) is larger than the 1 MB limit" in html  # both sizes
    # No-JS browsers stay on the form: the message sits at the file field, the form can be sent again.
    assert 'id="submit-form"' in html and 'name="csrf_token"' in html and 'name="generator"' in html
    assert re.search(r'class="field dropzone has-error".*?larger than the 1 MB limit.*?Nothing was uploaded', html,
                     re.S)
    assert "At most 1 MB." in html  # the same format as the message
    assert world["session"].scalar(sa.select(sa.func.count(Submission.id))) == 0
    # An oversized body to a page that has no form to go back to stays the plain error page.
    other = client.post("/login", data={"x": "y" * (2 * 1024 * 1024)})
    assert other.status_code == 413 and 'id="submit-form"' not in other.get_data(as_text=True)


def test_oversized_api_upload_names_the_limit_in_bytes(settings, world):
    from arena import create_app
    from arena.services.tokens import create_token

    _, raw = create_token(world["session"], world["ann"], "t")
    world["session"].commit()
    client = create_app(settings.with_overrides(max_upload_mb=1)).test_client()
    response = client.post("/api/v1/competitions/demo/submissions", headers={"Authorization": f"Bearer {raw}"},
                           data={"file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "m.pt")},
                           content_type="multipart/form-data")
    error = response.get_json()["error"]
    assert response.status_code == 413 and error["limit_bytes"] == 1024 * 1024 and "1 MB limit" in error["message"]


def test_missing_csrf_token_is_rejected(ann_client, world, torchscript_file):
    response = ann_client.post(
        "/competitions/demo/submit",
        data={"generator": (io.BytesIO(torchscript_file.read_bytes()), "model.pt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "csrf_failed" in response.get_data(as_text=True)
