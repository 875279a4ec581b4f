"""The upload form: a real TorchScript file is queued; every rejection is a clear form error."""
from __future__ import annotations

import io

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
    assert f'data-max-bytes="{max_bytes}"' in html and 'accept=".pt,.zip"' in html
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
    assert wrong_type.status_code == 400 and "TorchScript .pt file or a .zip" in wrong_type.get_data(as_text=True)
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
    response = _post(ann_client, torchscript_file.read_bytes())
    assert response.status_code == 400 and "not accepting submissions" in response.get_data(as_text=True)


def test_oversized_request_is_413(settings, world):
    from arena import create_app
    from webfixtures import login_as

    app = create_app(settings.with_overrides(max_upload_mb=1))
    client = app.test_client()
    login_as(client, "ann")
    response = _post(client, b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413 and "1 MB limit" in response.get_data(as_text=True)  # names the limit


def test_missing_csrf_token_is_rejected(ann_client, world, torchscript_file):
    response = ann_client.post(
        "/competitions/demo/submit",
        data={"generator": (io.BytesIO(torchscript_file.read_bytes()), "model.pt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "csrf_failed" in response.get_data(as_text=True)
