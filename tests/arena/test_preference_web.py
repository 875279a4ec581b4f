"""The vote page, votes (one per match, rate-limited, CSRF), stored ratings and the boards."""
from __future__ import annotations

import re

import numpy as np
import pytest
import sqlalchemy as sa

from arena.core.models import PreferenceMatch, PreferenceRating, PreferenceSummary, PreferenceVote, VoteChoice
from arena.services.preference.board import rate_competition
from arena.services.addresses import address_hash
from arena.services.preference.votes import VoteLimits, cast_vote, create_match, export_votes, void_votes
from preference_seed import arena_world
from webfixtures import app, client, login_as  # noqa: F401  (fixtures)
from webseed import csrf_token, make_user

MATCH_RE = re.compile(r'data-match="(\d+)"')


@pytest.fixture
def arena(db_session, settings, tmp_path):
    competition, subs = arena_world(db_session, settings, tmp_path)
    voter = make_user(db_session, "voter")
    db_session.commit()
    return {"competition": competition, "subs": subs, "voter": voter, "session": db_session}


def open_match(client) -> tuple[int, str]:
    html = client.get("/competitions/arena/arena").get_data(as_text=True)
    return int(MATCH_RE.search(html).group(1)), csrf_token(html)


def test_vote_page_needs_login_and_shows_an_anonymous_pair(client, arena):
    assert client.get("/competitions/arena/arena").status_code == 302
    login_as(client, "voter")
    page = client.get("/competitions/arena/arena")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    match_id = int(MATCH_RE.search(html).group(1))
    match = arena["session"].get(PreferenceMatch, match_id)
    assert match.shown_to_id == arena["voter"].id and match.submission_a_id != match.submission_b_id
    assert "artist" not in html and "model-" not in html  # anonymous: no names, no submission links
    for which in ("content", "style", "a", "b"):
        image = client.get(f"/competitions/arena/arena/{match_id}/{which}.png")
        assert image.status_code == 200 and image.data[:4] == b"\x89PNG"
    assert client.get(f"/competitions/arena/arena/{match_id}/hidden.png").status_code == 404
    # Reloading shows the same match until it is voted on: no fishing for a favourite pair.
    assert int(MATCH_RE.search(client.get("/competitions/arena/arena").get_data(as_text=True)).group(1)) == match_id


def test_one_vote_per_match_and_csrf(client, arena, app):  # noqa: F811
    login_as(client, "voter")
    match_id, token = open_match(client)
    assert client.post(f"/competitions/arena/arena/{match_id}/vote", data={"choice": "a"}).status_code == 400
    assert client.post(f"/competitions/arena/arena/{match_id}/vote",
                       data={"choice": "a", "csrf_token": token}).status_code == 302
    again = client.post(f"/competitions/arena/arena/{match_id}/vote", data={"choice": "b", "csrf_token": token},
                        follow_redirects=True)
    assert "already voted" in again.get_data(as_text=True)
    votes = arena["session"].scalars(sa.select(PreferenceVote)).all()
    assert [(v.match_id, v.choice) for v in votes] == [(match_id, VoteChoice.A)]
    other = app.test_client()
    login_as(other, "artist0")
    assert other.post(f"/competitions/arena/arena/{match_id}/vote",
                      data={"choice": "b", "csrf_token": csrf_token(other.get("/competitions/arena/arena")
                                                                   .get_data(as_text=True))}).status_code == 403


def test_votes_are_rate_limited_per_user_with_a_clear_message(client, arena, app):  # noqa: F811
    app.config["ARENA_VOTES_PER_USER_HOUR"] = 2
    login_as(client, "voter")
    for _ in range(2):
        match_id, token = open_match(client)
        assert client.post(f"/competitions/arena/arena/{match_id}/vote",
                           data={"choice": "tie", "csrf_token": token}).status_code == 302
    match_id, token = open_match(client)
    limited = client.post(f"/competitions/arena/arena/{match_id}/vote", data={"choice": "a", "csrf_token": token})
    assert limited.status_code == 429
    assert "Come back in an hour" in limited.get_data(as_text=True)


def test_nobody_is_shown_their_own_entry(arena, settings):
    session, competition, subs = arena["session"], arena["competition"], arena["subs"]
    owner = subs[0].owner
    rng = np.random.default_rng(3)
    seen = set()
    for _ in range(40):
        match = create_match(session, settings, competition, owner, rng, epsilon=1.0)
        seen |= {match.submission_a_id, match.submission_b_id}
    assert subs[0].id not in seen and seen == {s.id for s in subs[1:]}


def test_votes_are_rate_limited_per_address(arena, settings):
    session, competition = arena["session"], arena["competition"]
    rng = np.random.default_rng(0)
    addr = address_hash(settings.secret_key, "10.0.0.7")
    limits = VoteLimits(per_user_hour=100, per_address_hour=3)
    for k in range(3):
        user = make_user(session, f"sock{k}")
        cast_vote(session, create_match(session, settings, competition, user, rng), user, VoteChoice.A, addr, limits)
    user = make_user(session, "sock-last")
    with pytest.raises(Exception, match="from your network"):
        cast_vote(session, create_match(session, settings, competition, user, rng), user, VoteChoice.A, addr, limits)


def simulate_votes(session, settings, competition, subs, n: int, seed: int = 0):
    """``n`` voters' votes drawn from strengths that follow the automatic board (entry 0 best)."""
    rng = np.random.default_rng(seed)
    strength = {s.id: 1.5 - 1.0 * k for k, s in enumerate(subs)}
    users = [make_user(session, f"v{seed}-{k}") for k in range(n)]
    for user in users:
        match = create_match(session, settings, competition, user, rng)
        p = 1 / (1 + np.exp(-(strength[match.submission_a_id] - strength[match.submission_b_id])))
        choice = VoteChoice.A if rng.random() < p else VoteChoice.B
        cast_vote(session, match, user, choice, address_hash("s", str(user.id)), VoteLimits())
    session.commit()
    return users


def test_ratings_are_stored_and_the_boards_serve_them(client, arena, settings):
    session, competition, subs = arena["session"], arena["competition"], arena["subs"]
    simulate_votes(session, settings, competition, subs, 400)
    summary = rate_competition(session, competition.id)
    session.commit()
    assert summary.valid_votes == 400 and summary.entries == 4
    ratings = session.scalars(sa.select(PreferenceRating).order_by(PreferenceRating.strength.desc())).all()
    assert [r.submission_id for r in ratings] == [s.id for s in subs]
    assert summary.tau > 0.5 and summary.tau_low <= summary.tau <= summary.tau_high
    page = client.get("/competitions/arena/human-board").get_data(as_text=True)
    assert f'data-tau="{summary.tau:.3f}"' in page and page.index("model-0") < page.index("model-3")
    assert f"τ = {summary.tau:.2f}" in client.get("/competitions/arena").get_data(as_text=True)


def test_voiding_a_user_removes_their_votes_from_the_ratings(arena, settings):
    session, competition, subs = arena["session"], arena["competition"], arena["subs"]
    users = simulate_votes(session, settings, competition, subs, 30)
    assert rate_competition(session, competition.id).valid_votes == 30
    assert void_votes(session, competition, users[0]) == 1
    assert void_votes(session, competition, users[0]) == 0
    assert rate_competition(session, competition.id).valid_votes == 29
    csv_text = export_votes(session, competition, settings.secret_key)
    lines = csv_text.strip().splitlines()
    assert len(lines) == 30 and lines[0].startswith("vote,voter,cast_at")
    assert "v0-" not in csv_text and "10.0." not in csv_text  # no account names, no addresses
    assert len(export_votes(session, competition, settings.secret_key, include_voided=True).strip().splitlines()) == 31


def test_both_bad_is_counted_but_not_fitted(arena, settings):
    session, competition = arena["session"], arena["competition"]
    rng = np.random.default_rng(1)
    for k in range(5):
        user = make_user(session, f"grump{k}")
        cast_vote(session, create_match(session, settings, competition, user, rng), user, VoteChoice.BOTH_BAD,
                  address_hash("s", str(k)), VoteLimits())
    summary = rate_competition(session, competition.id)
    assert (summary.valid_votes, summary.both_bad, summary.tau) == (0, 5, None)
    assert sum(r.both_bad for r in session.scalars(sa.select(PreferenceRating))) == 10
    assert session.get(PreferenceSummary, competition.id) is summary


def test_demo_votes_are_seeded_once_and_their_voters_cannot_log_in(client, arena, settings):
    from arena.services.preference.seed import seed_demo_votes

    session, competition = arena["session"], arena["competition"]
    first = seed_demo_votes(session, settings, competition, voters=10, votes_each=3)
    session.commit()
    assert first.valid_votes + first.both_bad == 30 and first.tau is not None
    again = seed_demo_votes(session, settings, competition, voters=10, votes_each=3)
    assert again.valid_votes + again.both_bad == 30  # a rerun of the demo adds nothing
    voter = f"demo-voter-{competition.id}-0"
    token = csrf_token(client.get("/login").get_data(as_text=True))
    refused = client.post("/login", data={"username": voter, "password": "", "csrf_token": token})
    assert refused.status_code != 302


def test_a_burst_of_votes_queues_one_rerating_and_the_worker_runs_it(arena, settings, monkeypatch):
    import redis
    from rq import Queue, SimpleWorker

    from arena.services.preference.jobs import enqueue_rating

    session, competition, subs = arena["session"], arena["competition"], arena["subs"]
    simulate_votes(session, settings, competition, subs, 20)
    conn = redis.Redis.from_url(settings.redis_url)
    queue = Queue(f"pref-{competition.id}-{np.random.default_rng().integers(1 << 30)}", connection=conn)
    local = settings.with_overrides(queue_name=queue.name)
    assert enqueue_rating(local, competition.id) and enqueue_rating(local, competition.id)
    assert queue.count == 1
    for key, value in local.to_env().items():
        monkeypatch.setenv(key, value)
    assert SimpleWorker([queue], connection=conn).work(burst=True)
    session.expire_all()
    assert session.get(PreferenceSummary, competition.id).valid_votes == 20
    assert enqueue_rating(local, competition.id) and queue.count == 1  # the job cleared its mark
    queue.empty()
    conn.delete(f"stylearena:{queue.name}:preference-pending:{competition.id}")
