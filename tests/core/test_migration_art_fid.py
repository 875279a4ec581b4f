"""Migration 0009: the old ``art_fid`` rows keep their numbers under ``art_fid_distinct``."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core import migrate
from arena.core.db import make_engine
from arena.core.models import Score
from webseed import add_scored, make_competition, make_user

OLD_VERSION = "artfid-(1+lpips)(1+fid)-1[fid-pt2015-pool3-bilinear299-f64-refs-1;lpips-alex-v0.1-native-max512-1]"
BEFORE = "0008_submission_format_export"


def test_old_art_fid_rows_are_renamed_and_their_board_follows(db_url):
    # 0009 only moves data, so the models fit the schema on both sides of it.
    migrate.downgrade(db_url, BEFORE)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            owner = make_user(session, "old-timer")
            old_board = make_competition(session, "old-board", ranking_metric="art_fid")
            make_competition(session, "fresh-board", ranking_metric="art_fid")
            sub = add_scored(session, old_board, owner, {"fid": 40.0}, minutes=1)
            session.add(Score(evaluation_id=sub.evaluations[0].id, metric="art_fid", value=77.1,
                              definition_version=OLD_VERSION, calibrated=False))
            session.commit()
        migrate.upgrade(db_url)

        def scores():
            with engine.connect() as conn:
                return dict(conn.execute(sa.text("SELECT metric, value FROM scores")).all())

        with engine.connect() as conn:
            boards = dict(conn.execute(sa.text("SELECT slug, ranking_metric FROM competitions")).all())
        assert scores() == {"art_fid_distinct": 77.1, "fid": 40.0}
        # The board that ranked the old numbers ranks them under their new name; a board with
        # none ranks by the published ArtFID.
        assert boards == {"old-board": "art_fid_distinct", "fresh-board": "art_fid"}
        migrate.downgrade(db_url, BEFORE)
        assert scores() == {"art_fid": 77.1, "fid": 40.0}
    finally:
        engine.dispose()
