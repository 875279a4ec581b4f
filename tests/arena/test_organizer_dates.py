"""Issue 19: a competition's dates are enforced on every upload path, in its own time zone."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from arena.cli import cli
from arena.core.models import Submission, utcnow
from arena.services.competitions import CompetitionError, get_competition, parse_when
from arena.services.tokens import create_token
from arena.services.upload_rules import Phase, phase
from webfixtures import ann_client, app, client, form_token, torchscript_file, world  # noqa: F401

UTC = timezone.utc


def test_a_bare_end_date_is_the_end_of_that_day_in_the_zone():
    end = parse_when("2027-01-31", "Europe/Paris", end_of_day=True)
    assert end == datetime(2027, 1, 31, 22, 59, 59, 999999, tzinfo=UTC)  # Paris is UTC+1 in winter
    assert parse_when("2027-01-31", "UTC", end_of_day=False) == datetime(2027, 1, 31, tzinfo=UTC)
    assert parse_when("2027-01-31T18:00+02:00", "America/New_York", True) == datetime(2027, 1, 31, 16, tzinfo=UTC)
    assert parse_when("2027-07-01T12:00", "Europe/Paris", True) == datetime(2027, 7, 1, 10, tzinfo=UTC)  # summer
    with pytest.raises(CompetitionError, match="2027-01-31T18:00"):
        parse_when("31/01/2027", "UTC", True)


def test_cli_reads_dates_in_the_competition_zone_and_accepts_offsets(settings, db_session):
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, list(args), obj={"settings": settings})

    out = run("competition", "create", "tz", "--title", "Zoned", "--timezone", "Europe/Paris",
              "--starts", "2027-01-01", "--ends", "2027-01-31", "--json")
    assert out.exit_code == 0, out.output
    made = json.loads(out.stdout)
    assert made["timezone"] == "Europe/Paris"
    assert made["starts_at"] == "2026-12-31T23:00:00+00:00" and made["ends_at"].startswith("2027-01-31T22:59:59")
    assert run("competition", "configure", "tz", "--ends", "2027-01-31T18:00+02:00").exit_code == 0
    db_session.expire_all()
    assert get_competition(db_session, "tz").ends_at == datetime(2027, 1, 31, 16, tzinfo=UTC)
    bad = run("competition", "configure", "tz", "--timezone", "Mars/Olympus")
    assert bad.exit_code == 1 and "Unknown time zone 'Mars/Olympus'" in bad.output and "IANA" in bad.output
    unreadable = run("competition", "configure", "tz", "--ends", "next friday")
    assert unreadable.exit_code == 1 and "Cannot read the date 'next friday'" in unreadable.output


@pytest.fixture(params=["upcoming", "ended"])
def outside(request, world):
    """The world's competition moved before its start or after its end."""
    comp, now = world["competition"], utcnow()
    comp.timezone = "Europe/Paris"
    if request.param == "upcoming":
        comp.starts_at, comp.ends_at = now + timedelta(days=2), now + timedelta(days=9)
    else:
        comp.starts_at, comp.ends_at = now - timedelta(days=9), now - timedelta(days=2)
    world["session"].commit()
    return request.param


def test_uploads_outside_the_dates_are_refused_on_the_form_and_the_api(outside, ann_client, client, world,
                                                                       torchscript_file):
    comp, session = world["competition"], world["session"]
    assert phase(comp, utcnow()) is Phase(outside)
    when = comp.starts_at if outside == "upcoming" else comp.ends_at
    shown = when.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d %H:%M")
    code = "not_started" if outside == "upcoming" else "ended"

    page = ann_client.get("/competitions/demo").get_data(as_text=True)
    assert f'data-phase="{outside}"' in page and "Submit a generator" not in page and shown in page
    assert f'data-phase="{outside}"' in ann_client.get("/").get_data(as_text=True)
    form = ann_client.get("/competitions/demo/submit").get_data(as_text=True)
    assert "Upload and queue" not in form and f'data-reason="{code}"' in form and shown in form

    token = form_token(ann_client, "/competitions/demo")
    posted = ann_client.post("/competitions/demo/submit", content_type="multipart/form-data", data={
        "generator": (io.BytesIO(torchscript_file.read_bytes()), "model.pt"), "label": "x", "csrf_token": token})
    body = posted.get_data(as_text=True)
    assert posted.status_code == 400 and f"code: {code}" in body and shown in body and "Europe/Paris" in body

    _, raw = create_token(session, world["ann"], "script")
    session.commit()
    api = client.post("/api/v1/competitions/demo/submissions", headers={"Authorization": f"Bearer {raw}"},
                      data={"file": (io.BytesIO(torchscript_file.read_bytes()), "model.pt")},
                      content_type="multipart/form-data")
    assert api.status_code == 400 and api.get_json()["error"]["code"] == code, api.get_json()
    assert shown in api.get_json()["error"]["message"]
    limits = client.get("/api/v1/competitions/demo/limits", headers={"Authorization": f"Bearer {raw}"}).get_json()
    assert limits["can_submit"] is False and limits["reason_code"] == code
    assert session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_inside_the_dates_the_upload_is_accepted(ann_client, world, torchscript_file):
    comp, now = world["competition"], utcnow()
    comp.starts_at, comp.ends_at = now - timedelta(hours=1), now + timedelta(hours=1)
    world["session"].commit()
    page = ann_client.get("/competitions/demo").get_data(as_text=True)
    assert 'data-phase="open"' in page and "Submit a generator" in page
    token = form_token(ann_client, "/competitions/demo/submit")
    posted = ann_client.post("/competitions/demo/submit", content_type="multipart/form-data", data={
        "generator": (io.BytesIO(torchscript_file.read_bytes()), "model.pt"), "label": "x", "csrf_token": token})
    assert posted.status_code == 302, posted.get_data(as_text=True)[-1500:]
