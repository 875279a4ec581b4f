"""The organizer CLI: each command's happy path and its bad-argument path (no tracebacks)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from datasets_helpers import make_dataset
from sqlalchemy import select
from webseed import add_scored, full_scores, make_submission, make_user

from arena.cli import cli
from arena.core.enums import SubmissionStatus, UserRole
from arena.core.models import Submission, User
from arena.services.competitions import get_competition
from arena.services.results import results_from_csv


@pytest.fixture
def invoke(settings):
    """Run ``stylearena ARGS`` in-process against this test's settings."""
    runner = CliRunner()

    def run(*args: str, ok: bool = True, input: str | None = None):
        result = runner.invoke(cli, list(args), obj={"settings": settings}, input=input)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        assert (result.exit_code == 0) == ok, result.output
        return result

    return run


def test_competition_create_configure_list_show(invoke, db_session, tmp_path):
    desc = tmp_path / "desc.md"
    desc.write_text("# Paint it\nStylise the photographs.")
    out = invoke("competition", "create", "paint", "--title", "Paint it", "--description-file", str(desc),
                 "--daily-quota", "3", "--starts", "2026-01-01", "--ends", "2026-03-01", "--json")
    created = json.loads(out.stdout)
    assert (created["slug"], created["daily_quota"], created["ranking_metric"]) == ("paint", 3, "art_fid")
    assert created["description"].startswith("# Paint it")
    invoke("competition", "configure", "paint", "--ranking-metric", "lpips", "--title", "Paint it all")
    comp = get_competition(db_session, "paint")
    assert (comp.ranking_metric, comp.title, comp.daily_quota) == ("lpips", "Paint it all", 3)
    assert "paint" in invoke("competition", "list").output
    shown = json.loads(invoke("competition", "show", "paint", "--json").stdout)
    assert shown["title"] == "Paint it all" and shown["starts_at"].startswith("2026-01-01")


@pytest.mark.parametrize("args, message", [
    (("competition", "create", "Bad Slug", "--title", "x"), "Slugs are"),
    (("competition", "create", "ok", "--title", "x", "--starts", "2026-02-01", "--ends", "2026-01-01"), "end date"),
    (("competition", "create", "ok", "--title", "x", "--ranking-metric", "accuracy"), "Invalid value"),
    (("competition", "show", "missing"), "No competition 'missing'"),
    (("competition", "configure", "missing", "--title", "t"), "No competition 'missing'"),
    (("competition", "create", "ok"), "Missing option '--title'"),
])
def test_competition_bad_arguments(invoke, args, message):
    assert message in invoke(*args, ok=False).output


def test_competition_duplicate_slug_and_invalid_configure_changes_nothing(invoke, db_session):
    invoke("competition", "create", "dup", "--title", "One")
    assert "already exists" in invoke("competition", "create", "dup", "--title", "Two", ok=False).output
    invoke("competition", "configure", "dup", "--starts", "2026-05-01", "--ends", "2026-04-01", ok=False)
    comp = get_competition(db_session, "dup")
    assert comp.starts_at is None and comp.title == "One"


def test_dataset_publish_list_show_and_configure_versions(invoke, db_session, tmp_path):
    invoke("competition", "create", "main", "--title", "Main")
    src = make_dataset(tmp_path / "pub")
    out = invoke("dataset", "publish", str(src), "--competition", "main", "--no-reference-stats")
    assert out.stdout.startswith("published: tiny [public]")
    again = invoke("dataset", "publish", str(src), "--no-reference-stats", "--json")
    assert json.loads(again.stdout)["created"] is False
    hidden = make_dataset(tmp_path / "hid", name="tiny-hidden", split=None, seed=7)
    hid = json.loads(invoke("dataset", "publish", str(hidden), "--split", "hidden", "--no-reference-stats",
                            "--json").stdout)
    listed = json.loads(invoke("dataset", "list", "--json").stdout)
    assert [v["split"] for v in listed] == ["hidden", "public"]
    shown = json.loads(invoke("dataset", "show", hid["sha256"][:10], "--json").stdout)
    assert shown["used_by"] == [] and shown["content"] == ["c0.png", "c1.png"]
    invoke("competition", "configure", "main", "--hidden-dataset", str(hid["id"]))
    comp = get_competition(db_session, "main")
    assert comp.hidden_dataset.manifest_sha256 == hid["sha256"]
    assert comp.public_dataset.name == "tiny"
    # A public version cannot become the hidden one.
    bad = invoke("competition", "configure", "main", "--hidden-dataset", str(comp.public_dataset_id), ok=False)
    assert "is a public version, not hidden" in bad.output


def test_dataset_bad_arguments(invoke, tmp_path):
    src = make_dataset(tmp_path / "src")
    (src / "content" / "c1.png").write_bytes(b"broken")
    out = invoke("dataset", "publish", str(src), "--no-reference-stats", ok=False)
    assert "content/c1.png: not a decodable image" in out.output
    assert "does not exist" in invoke("dataset", "publish", str(tmp_path / "nope"), ok=False).output
    assert "manifest.json: not found" in invoke("dataset", "publish", str(tmp_path), ok=False).output
    assert "Invalid value for '--split'" in invoke("dataset", "publish", str(src), "--split", "x", ok=False).output
    assert "No dataset version with id 42" in invoke("dataset", "show", "42", ok=False).output
    good = make_dataset(tmp_path / "good", seed=3)
    assert "No competition 'nope'" in invoke("dataset", "publish", str(good), "--competition", "nope",
                                             "--no-reference-stats", ok=False).output


def test_user_create_and_bad_arguments(invoke, db_session):
    invoke("user", "create", "olga", "--organizer", "--email", "olga@example.org", input="s3cret-pass\ns3cret-pass\n")
    invoke("user", "create", "pete", "--password", "another-pass")
    users = {u.username: u for u in db_session.scalars(select(User))}
    assert users["olga"].role == UserRole.ORGANIZER and users["pete"].role == UserRole.PARTICIPANT
    assert users["olga"].password_hash != "s3cret-pass"
    assert "already taken" in invoke("user", "create", "pete", "--password", "whatever-pass", ok=False).output
    assert "at least 8" in invoke("user", "create", "quinn", "--password", "short", ok=False).output
    assert "Usernames are" in invoke("user", "create", "a b", "--password", "long-enough", ok=False).output
    assert "pete" in invoke("user", "list").output


def test_submission_disqualify_and_reinstate(invoke, db_session):
    from webseed import make_competition
    comp = make_competition(db_session, "dq")
    ann = make_user(db_session, "ann")
    sub = add_scored(db_session, comp, ann, full_scores(12.0), minutes=1)
    db_session.commit()
    out = invoke("submission", "disqualify", "dq", str(sub.id), "--reason", "used the hidden set", "--yes", "--json")
    assert json.loads(out.stdout)["status"] == "disqualified"
    db_session.expire_all()
    assert db_session.get(Submission, sub.id).disqualified_reason == "used the hidden set"
    assert "already disqualified" in invoke("submission", "disqualify", "dq", str(sub.id), "--reason", "x", "--yes",
                                            ok=False).output
    invoke("submission", "reinstate", "dq", str(sub.id), "--yes")
    db_session.expire_all()
    assert db_session.get(Submission, sub.id).status == SubmissionStatus.SCORED
    assert "not disqualified" in invoke("submission", "reinstate", "dq", str(sub.id), "--yes", ok=False).output
    assert "No submission with id 999" in invoke("submission", "reinstate", "dq", "999", "--yes", ok=False).output
    assert "Missing option '--reason'" in invoke("submission", "disqualify", "dq", str(sub.id), ok=False).output
    assert "Invalid value" in invoke("submission", "reinstate", "dq", "abc", ok=False).output


def test_export_csv_and_json_round_trip(invoke, db_session, tmp_path):
    from webseed import make_competition
    comp = make_competition(db_session, "exp")
    ann, bob = make_user(db_session, "ann"), make_user(db_session, "bob,jr")
    add_scored(db_session, comp, ann, full_scores(20.0, lpips=0.123456789012345), minutes=1, label='a "quoted" one')
    add_scored(db_session, comp, bob, full_scores(10.0), minutes=2, calibrated=False)
    make_submission(db_session, comp, ann, status=SubmissionStatus.FAILED, error_code="generator_crashed")
    db_session.commit()
    as_csv = invoke("export", "exp", "--format", "csv").stdout
    doc = json.loads(invoke("export", "exp", "--format", "json").stdout)
    assert doc["competition"] == "exp" and len(doc["results"]) == 3
    rows = results_from_csv(as_csv)
    from dataclasses import asdict
    assert [asdict(r) for r in rows] == doc["results"]
    by_user = {(r.username, r.status): r for r in rows}
    assert by_user[("bob,jr", "scored")].rank == 1 and by_user[("bob,jr", "scored")].calibrated is False
    # Exports carry the precision ranking needs (four significant digits), not sixteen.
    assert by_user[("ann", "scored")].metrics["lpips"] == 0.1235
    assert by_user[("ann", "failed")].rank is None and by_user[("ann", "failed")].error_code == "generator_crashed"
    out_file = tmp_path / "r.json"
    invoke("export", "exp", "--format", "json", "-o", str(out_file))
    assert json.loads(out_file.read_text()) == doc
    assert "No competition 'nope'" in invoke("export", "nope", ok=False).output
    assert "Invalid value for '--format'" in invoke("export", "exp", "--format", "xml", ok=False).output


def test_every_command_has_help(invoke):
    for args in (("dataset",), ("dataset", "publish"), ("competition", "create"), ("competition", "configure"),
                 ("user", "create"), ("submission", "disqualify"), ("export",)):
        assert "Usage:" in invoke(*args, "--help").output
