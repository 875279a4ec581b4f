"""Finalize and the private board: final standings with shake-up, and no private number before it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from webfixtures import app, client, login_as  # noqa: F401  (fixtures)
from private_seed import BOB_FINAL_PRIVATE, PRIVATE, seed_finale

from arena.cli import cli
from arena.core.models import Competition, PrivateBoardEntry, utcnow
from arena.services.private_board import FinalizeRefused, finalize, plan
from arena.services.tokens import create_token
from arena.services.upload_rules import upload_refusal

SLUG = "finale"


def _private_patterns() -> list[re.Pattern]:
    patterns = []
    for value in (*PRIVATE.values(), BOB_FINAL_PRIVATE):
        whole = str(int(value))
        for text in (whole, f"{whole[0]},{whole[1:]}", f"{value / 1000:.3f}e"):
            patterns.append(re.compile(rf"(?<![0-9a-fA-F]){re.escape(text)}(?![0-9a-fA-F])"))
    return patterns


@pytest.fixture
def finale(db_session):
    """Four participants; the private part reorders the public board (private_seed)."""
    return seed_finale(db_session, SLUG)


def test_finalize_ranks_the_finals_on_the_private_part_with_shake_up(db_session, finale):
    comp, users, subs, worse = finale
    standings = finalize(db_session, comp)
    db_session.commit()
    order = [(s.username, s.private_rank, s.public_rank, s.shake_up, s.chosen) for s in standings]
    # bob's marked final (5000.5) beats everything privately; he was 2nd on the public board.
    assert order == [("bob", 1, 2, 1, True), ("dee", 2, 4, 2, False), ("ann", 3, 1, -2, False),
                     ("cy", 4, 3, -1, False)]
    assert standings[0].submission_id == worse.id
    assert comp.finalized_at is not None and db_session.query(PrivateBoardEntry).count() == 4
    assert upload_refusal(comp, users["ann"], datetime.now(timezone.utc))[0] == "finalized"
    with pytest.raises(FinalizeRefused, match="was finalized"):
        finalize(db_session, comp)


def test_finalize_is_refused_before_the_end_and_without_a_private_part(db_session, finale):
    comp, *_ = finale
    comp.ends_at = utcnow() + timedelta(days=2)
    with pytest.raises(FinalizeRefused, match="finalize after its end"):
        finalize(db_session, comp)
    comp.ends_at = utcnow() - timedelta(days=1)
    comp.hidden_dataset.board_public_fraction = None
    with pytest.raises(FinalizeRefused, match="no private part"):
        finalize(db_session, comp)


def test_dry_run_prints_the_board_and_changes_nothing(settings, db_session, finale):
    result = CliRunner().invoke(cli, ["competition", "finalize", SLUG, "--dry-run"], obj={"settings": settings})
    assert result.exit_code == 0, result.output
    assert "would publish the private board (4 entries" in result.output and "up 2" in result.output
    db_session.expire_all()
    assert db_session.get(Competition, finale[0].id).finalized_at is None
    assert db_session.query(PrivateBoardEntry).count() == 0
    assert len(plan(db_session, finale[0])) == 4


def _get_urls(flask_app, submission_ids: list[int]) -> list[str]:
    values = {"slug": [SLUG], "submission_id": submission_ids}
    urls = []
    with flask_app.test_request_context():
        from flask import url_for

        for rule in flask_app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
                continue
            arg_sets = [{}]
            for arg in sorted(rule.arguments):
                arg_sets = [{**a, arg: v} for a in arg_sets for v in values.get(arg, ["1"])]
            urls += [url_for(rule.endpoint, **a) for a in arg_sets]
    return urls


def test_no_route_shows_a_private_number_before_finalize_and_the_board_after(app, settings, db_session,  # noqa: F811
                                                                           finale):
    comp, users, subs, worse = finale
    token = create_token(db_session, users["ann"], "probe")[1]
    db_session.commit()
    ids = [s.id for s in subs.values()] + [worse.id]
    patterns = _private_patterns()
    viewers = []
    for who in ("ann", "bob", None):
        c = app.test_client()
        if who:
            login_as(c, who)
        viewers.append((who or "visitor", c))
    headers = {"Authorization": f"Bearer {token}"}
    urls = _get_urls(app, ids)
    assert any("/private" in u for u in urls)
    for who, c in viewers:
        for url in urls:
            response = c.get(url, headers=headers if who == "ann" else {})
            text = response.get_data().decode("utf-8", errors="replace")
            for pattern in patterns:
                assert not pattern.search(text), f"{who} GET {url} shows private number {pattern.pattern}"
    for fmt in ("json", "csv"):
        export = CliRunner().invoke(cli, ["export", SLUG, "--format", fmt], obj={"settings": settings})
        assert export.exit_code == 0 and not any(p.search(export.output) for p in patterns), export.output
    assert viewers[2][1].get(f"/competitions/{SLUG}/private").status_code == 404

    finalize(db_session, comp)
    db_session.commit()
    page = viewers[2][1].get(f"/competitions/{SLUG}/private")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Shake-up" in html and "7,319" in html
    assert re.search(r'data-shake="2"', html) and re.search(r'data-shake="-2"', html)
    data = viewers[2][1].get(f"/competitions/{SLUG}/private.json").get_json()
    assert [e["username"] for e in data["entries"]] == ["bob", "dee", "ann", "cy"]
    assert data["entries"][1]["shake_up"] == 2
    assert "Private board (final)" in viewers[2][1].get(f"/competitions/{SLUG}").get_data(as_text=True)


def test_a_participant_sees_their_final_standing_on_their_submissions_page(app, db_session, finale):  # noqa: F811
    comp, users, subs, worse = finale
    finalize(db_session, comp)
    db_session.commit()
    c = app.test_client()
    login_as(c, "dee")
    html = c.get("/me/submissions").get_data(as_text=True)
    assert "data-private-standing" in html and "Final standing: <b>2</b> on the private board (public board: 4)" in html
