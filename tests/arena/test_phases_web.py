"""Issue 15, phases on the web: uploads refused between phases (form and API), the timeline on the page."""
from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from arena.core.models import Submission, utcnow
from arena.services import phases
from arena.services.phases import PhaseChanges
from arena.services.tokens import create_token
from webfixtures import ann_client, app, client, form_token, torchscript_file, world  # noqa: F401


def _between_phases(world):
    """"warm-up" closed yesterday, "final" opens in two days: no phase is open now."""
    comp, session, now = world["competition"], world["session"], utcnow()
    comp.timezone = "Europe/Paris"
    phases.add_phase(session, comp, "warm-up", PhaseChanges(starts_at=now - timedelta(days=5),
                                                            ends_at=now - timedelta(days=1)))
    phases.add_phase(session, comp, "final", PhaseChanges(starts_at=now + timedelta(days=2),
                                                          ends_at=now + timedelta(days=9)))
    session.commit()
    opens = comp.phases[1].starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    return f"{opens:%Y-%m-%d %H:%M} Europe/Paris"


def _upload_form(client, generator):
    token = form_token(client, "/competitions/demo/submit")
    return client.post("/competitions/demo/submit", content_type="multipart/form-data", data={
        "generator": (io.BytesIO(generator.read_bytes()), "model.pt"), "label": "x", "csrf_token": token})


def test_between_phases_the_form_and_the_api_refuse_and_say_when_the_next_opens(ann_client, client, world,
                                                                                torchscript_file):
    opens = _between_phases(world)
    session = world["session"]

    page = ann_client.get("/competitions/demo").get_data(as_text=True)
    assert 'id="timeline"' in page and "data-no-open-phase" in page and opens in page
    assert 'data-phase="warm-up" data-state="past"' in page and 'data-phase="final" data-state="upcoming"' in page
    form = ann_client.get("/competitions/demo/submit").get_data(as_text=True)
    assert 'data-reason="no_open_phase"' in form and opens in form

    posted = _upload_form(ann_client, torchscript_file)
    body = posted.get_data(as_text=True)
    assert posted.status_code == 400 and "code: no_open_phase" in body
    assert "the next phase, \u201cfinal\u201d, opens on " + opens in body

    _, raw = create_token(session, world["ann"], "script")
    session.commit()
    auth = {"Authorization": f"Bearer {raw}"}
    api = client.post("/api/v1/competitions/demo/submissions", headers=auth, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(torchscript_file.read_bytes()), "model.pt")})
    error = api.get_json()["error"]
    assert api.status_code == 400 and error["code"] == "no_open_phase" and opens in error["message"]
    limits = client.get("/api/v1/competitions/demo/limits", headers=auth).get_json()
    assert limits["can_submit"] is False and limits["reason_code"] == "no_open_phase"
    assert session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_after_the_last_phase_the_message_says_it_closed(ann_client, world, torchscript_file):
    comp, session, now = world["competition"], world["session"], utcnow()
    phases.add_phase(session, comp, "only", PhaseChanges(starts_at=now - timedelta(days=3),
                                                         ends_at=now - timedelta(hours=2)))
    session.commit()
    body = _upload_form(ann_client, torchscript_file).get_data(as_text=True)
    assert "The last phase of this competition, \u201conly\u201d, closed on" in body
    assert "accepts no more uploads" in body


def test_inside_a_phase_the_upload_belongs_to_it_and_the_timeline_marks_it_open(ann_client, world, torchscript_file):
    comp, session, now = world["competition"], world["session"], utcnow()
    phases.add_phase(session, comp, "sprint", PhaseChanges(starts_at=now - timedelta(hours=1),
                                                           ends_at=now + timedelta(hours=5), daily_quota=1))
    session.commit()
    page = ann_client.get("/competitions/demo").get_data(as_text=True)
    assert 'tl-current" data-phase="sprint" data-state="open"' in page and "Open now" in page
    assert "Next: \u201csprint\u201d closes" in page and "data-countdown" in page
    assert "1 upload a day" in page and "<b>1</b> / 1 left" in page  # the phase's quota, not the competition's
    assert _upload_form(ann_client, torchscript_file).status_code == 302
    session.expire_all()
    submission = session.scalar(sa.select(Submission))
    assert submission.phase_id == comp.phases[0].id
    again = _upload_form(ann_client, torchscript_file)
    assert again.status_code == 400 and "You have used all 1 uploads" in again.get_data(as_text=True)


def test_the_timeline_end_reads_as_sentences(client, world):
    # The template's lines are joined by Jinja's trim_blocks: the two sentences once ran together
    # ("…no end date yet.It was finalized…").
    import re

    comp, session = world["competition"], world["session"]
    comp.ends_at, comp.finalized_at = None, utcnow()
    session.commit()
    page = client.get("/competitions/demo").get_data(as_text=True)
    end = re.search(r'<p class="tl-end">(.*?)</p>', page, re.S).group(1)
    assert re.search(r"no end date yet\.\s+It was finalized", end), end
