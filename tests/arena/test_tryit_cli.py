"""`stylearena tryit sweep` deletes expired requests and their files; `tryit competition --off` opts out."""
from __future__ import annotations

import io
from datetime import timedelta

from click.testing import CliRunner
from PIL import Image

from arena.cli import cli
from arena.core.enums import SubmissionStatus
from arena.core.models import Competition, TryItRequest, utcnow
from arena.services.tryit.catalog import tryit_models
from arena.services.tryit.requests import create_request
from evaluator.tryit_store import tryit_path
from webseed import add_scored, full_scores, make_competition, make_user


def _jpeg(color) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buf, format="JPEG")
    return buf.getvalue()


def test_sweep_deletes_expired_rows_and_files_but_keeps_shared_ones(settings, db_session):
    visitor, owner = make_user(db_session, "visitor"), make_user(db_session, "owner")
    competition = make_competition(db_session, "sweepcup")
    model = add_scored(db_session, competition, owner, full_scores(10.0), 1, allow_try_it=True,
                       status=SubmissionStatus.SCORED)
    old = create_request(db_session, settings, visitor, model, _jpeg((200, 0, 0)), _jpeg((0, 0, 200)), "h")
    fresh = create_request(db_session, settings, visitor, model, _jpeg((0, 200, 0)), _jpeg((0, 0, 200)), "h")
    old.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    own, shared, kept = (tryit_path(settings, s) for s in (old.content_sha256, old.style_sha256, fresh.content_sha256))
    assert own.is_file() and shared.is_file() and old.style_sha256 == fresh.style_sha256

    result = CliRunner().invoke(cli, ["tryit", "sweep"], obj={"settings": settings})
    assert result.exit_code == 0, result.output
    assert "deleted 1 expired" in result.output
    assert not own.exists()
    assert shared.is_file() and kept.is_file()  # the fresh request still names them
    db_session.expire_all()
    assert [r.id for r in db_session.query(TryItRequest)] == [fresh.id]


def test_organizers_opt_a_competition_out(settings, db_session):
    owner = make_user(db_session, "owner")
    competition = make_competition(db_session, "optcup")
    add_scored(db_session, competition, owner, full_scores(10.0), 1, allow_try_it=True)
    db_session.commit()
    assert len(tryit_models(db_session, competition)) == 1
    result = CliRunner().invoke(cli, ["tryit", "competition", "optcup", "--off"], obj={"settings": settings})
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    competition = db_session.get(Competition, competition.id)
    assert competition.try_it_disabled and tryit_models(db_session, competition) == []
