"""Issue 19, smaller items: the quota-0 message, no progress labels off a terminal, no buffer reprs."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from arena.cli import cli
from arena.core.datasets.errors import DatasetError
from arena.core.datasets.validate import normalise_image
from arena.core.models import utcnow
from arena.services.submissions import QuotaExceeded, check_quota
from arena.web.submit.availability import availability
from webseed import make_competition, make_user


def test_a_zero_quota_says_so_instead_of_used_all_0(db_session):
    comp = make_competition(db_session, "zero", daily_quota=0)
    ann = make_user(db_session, "ann")
    with pytest.raises(QuotaExceeded) as refused:
        check_quota(db_session, ann, comp, utcnow())
    assert "used all 0" not in refused.value.message and "daily quota is 0" in refused.value.message
    answer = availability(db_session, ann, comp)
    assert answer.code == "quota_exceeded" and "used all 0" not in answer.reason and "quota is 0" in answer.reason


def test_an_undecodable_image_names_the_file_not_a_buffer(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not an image at all" * 10)
    with pytest.raises(DatasetError) as refused:
        normalise_image(bad)
    assert "_io.BytesIO" not in refused.value.message and "object at 0x" not in refused.value.message
    assert refused.value.message.startswith("broken.png: not a decodable image")


def test_rescore_off_a_terminal_prints_no_progress_label(settings, db_session):
    from arena.core.enums import SubmissionStatus
    from webseed import make_submission

    comp = make_competition(db_session, "quietbar")
    make_submission(db_session, comp, make_user(db_session, "ann"), status=SubmissionStatus.SCORED)
    db_session.commit()
    result = CliRunner().invoke(cli, ["rescore", "quietbar", "--scorer-version", "s9", "--yes"],
                                obj={"settings": settings})
    assert result.exit_code == 0, result.output
    assert "enqueued 1 evaluation(s)" in result.stdout
    assert "enqueue " not in result.stderr and "enqueue\n" not in result.stderr
