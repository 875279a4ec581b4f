"""Issue 19: organizers post baselines: quota- and date-exempt, listed, removable, unranked reference lines."""
from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner

from arena.cli import cli
from arena.core.enums import UserRole
from arena.core.models import Submission, utcnow
from arena.services.leaderboard import leaderboard_rows
from webfixtures import app, client, torchscript_file, world  # noqa: F401
from webseed import add_scored, full_scores, make_user


def _run(settings, *args, input=None):
    return CliRunner().invoke(cli, list(args), obj={"settings": settings}, input=input)


def test_baseline_add_list_remove(settings, world, torchscript_file):
    s, comp = world["session"], world["competition"]
    make_user(s, "org", role=UserRole.ORGANIZER)
    comp.daily_quota, comp.ends_at = 0, utcnow() - timedelta(days=1)  # no quota left and ended: still allowed
    s.commit()
    out = _run(settings, "baseline", "add", "demo", str(torchscript_file), "--label", "AdaIN (reference)", "--json")
    assert out.exit_code == 0, out.output
    added = json.loads(out.stdout)
    s.expire_all()
    sub = s.get(Submission, added["id"])
    assert sub.is_baseline and sub.label == "AdaIN (reference)" and sub.owner.username == "org"
    listed = json.loads(_run(settings, "baseline", "list", "demo", "--json").stdout)
    assert [b["label"] for b in listed] == ["AdaIN (reference)"]
    no_label = _run(settings, "baseline", "add", "demo", str(torchscript_file), "--label", " ")
    assert no_label.exit_code == 1 and "needs a --label" in no_label.output
    participant = add_scored(s, comp, world["ann"], full_scores(3.0), minutes=1)
    s.commit()
    refused = _run(settings, "baseline", "remove", "demo", str(participant.id), "--yes")
    assert refused.exit_code == 1 and "participant's upload, not a baseline" in refused.output
    sub_id, participant_id = sub.id, participant.id
    assert _run(settings, "baseline", "remove", "demo", str(sub_id), "--yes").exit_code == 0
    s.expire_all()
    assert s.get(Submission, sub_id) is None and s.get(Submission, participant_id) is not None
    actions = [e["action"] for e in json.loads(_run(settings, "audit", "demo", "--json").stdout)]
    assert actions == ["baseline_remove", "baseline_add"]


def test_baselines_are_reference_lines_never_ranked(client, world):
    s, comp = world["session"], world["competition"]
    org = make_user(s, "org", role=UserRole.ORGANIZER)
    add_scored(s, comp, world["ann"], full_scores(8.0), minutes=1, label="ann-entry")
    add_scored(s, comp, org, full_scores(2.0), minutes=2, label="ref-best", is_baseline=True)
    add_scored(s, comp, org, full_scores(20.0), minutes=3, label="ref-identity", is_baseline=True)
    s.commit()
    rows = {r.label: r for r in leaderboard_rows(s, comp)}
    assert rows["ann-entry"].rank == 1  # a better baseline does not push a participant down
    assert rows["ref-best"].rank is None and rows["ref-identity"].rank is None
    page = client.get("/competitions/demo/leaderboard").get_data(as_text=True)
    assert page.count("badge-baseline") == 2 and "ref-best" in page and 'class="is-baseline' in page
