"""A board per phase (issue 15): each phase's submissions ranked among themselves, with stored ranks."""
from __future__ import annotations

import sqlalchemy as sa
from webfixtures import app, client  # noqa: F401  (fixtures)
from phase_seed import seed_phased

from arena.core.models import BoardRank
from arena.services.leaderboard import leaderboard_rows
from evaluator.statistics.board import WHOLE_BOARD, rerank

def test_each_phase_has_its_own_ranked_board(db_session):
    comp, phases = seed_phased(db_session)
    whole = [(r.username, r.rank, r.label) for r in leaderboard_rows(db_session, comp, "art_fid")]
    assert whole == [("ann", 1, "ann-dev"), ("cy", 2, "cy-test"), ("bob", 3, "bob-test"), ("org", None, "baseline")]
    dev = [(r.username, r.rank, r.rank_state.value) for r in leaderboard_rows(db_session, comp, "art_fid",
                                                                                phase_id=phases["dev"].id)]
    # bob's dev submission (30.0) is his entry on the dev board; the baseline is a reference line there too.
    assert dev == [("ann", 1, "statistical"), ("org", None, "reference"), ("bob", 2, "statistical")]
    test = [(r.username, r.rank) for r in leaderboard_rows(db_session, comp, "art_fid", phase_id=phases["test"].id)]
    assert test == [("cy", 1), ("bob", 2), ("org", None)]
    scopes = set(db_session.scalars(sa.select(BoardRank.scope).where(BoardRank.competition_id == comp.id)))
    assert scopes == {WHOLE_BOARD, phases["dev"].id, phases["test"].id}


def test_ranks_of_a_phase_that_is_gone_are_dropped(db_session):
    comp, phases = seed_phased(db_session)
    row = db_session.scalars(sa.select(BoardRank).where(BoardRank.scope == phases["dev"].id)).first()
    # As if a phase once ranked had been removed: its stored rows must not outlive it.
    db_session.add(BoardRank(competition_id=comp.id, metric="art_fid", scope=987654, evaluation_id=row.evaluation_id,
                             rank=1, beaten_by=0, tied=False, separated=True, statistical=True, protocol=row.protocol))
    db_session.flush()
    rerank(db_session, comp.id, ["art_fid"])
    scopes = set(db_session.scalars(sa.select(BoardRank.scope).where(BoardRank.competition_id == comp.id)))
    assert scopes == {WHOLE_BOARD, phases["dev"].id, phases["test"].id}


def test_the_page_the_json_and_the_api_serve_a_phase_board(app, client, db_session):  # noqa: F811
    seed_phased(db_session)
    html = client.get("/competitions/phased/leaderboard?phase=dev").get_data(as_text=True)
    assert "data-phase-tabs" in html and 'data-phase-board="dev"' in html
    assert "cy-test" not in html and "ann-dev" in html and "bob-dev" in html
    data = client.get("/competitions/phased/leaderboard.json?phase=test").get_json()
    assert data["phase"] == "test" and [r["participant"] for r in data["rows"]] == ["cy", "bob", "org"]
    api = client.get("/api/v1/competitions/phased/leaderboard?phase=test").get_json()
    assert api["phase"] == "test" and [r["rank"] for r in api["rows"]] == [1, 2, None]
    assert client.get("/competitions/phased/leaderboard?phase=nope").status_code == 404
    whole = client.get("/competitions/phased/leaderboard.json").get_json()
    assert whole["phase"] is None and len(whole["rows"]) == 4
