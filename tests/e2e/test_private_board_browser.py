"""The public board of a split competition and, after finalize, its private board with shake-up (screenshots)."""
from __future__ import annotations

import pytest
from private_seed import seed_finale

from arena.services.private_board import finalize
from e2e_helpers import shoot
from evaluator.statistics.board import rerank

pytestmark = pytest.mark.browser


def test_public_board_then_private_board_with_shake_up(page, live_server, db_session, artifacts_dir):
    comp, *_ = seed_finale(db_session, "final-2026", title="Stylize 2026 (finalized)",
                           description="Ended: the private board decides.")
    rerank(db_session, comp.id)
    db_session.commit()

    page.goto(f"{live_server}/competitions/final-2026/leaderboard")
    note = page.locator('[data-board="public"]')
    assert "public part" in note.inner_text() and "30 %" in note.inner_text()
    assert page.locator("table.board tbody tr .who-name").all_inner_texts()[:4] == ["ann", "bob", "cy", "dee"]
    shoot(page, artifacts_dir, "board-public-part")
    assert page.goto(f"{live_server}/competitions/final-2026/private").status == 404
    assert "published when the competition is finalized" in page.locator('[data-private="unpublished"]').inner_text()

    finalize(db_session, comp)
    db_session.commit()
    page.goto(f"{live_server}/competitions/final-2026")
    page.locator("[data-private-board]").click()
    page.wait_for_url("**/private")
    rows = page.locator("table.private-board tbody tr")
    assert rows.locator(".who-name").all_inner_texts() == ["bob", "dee", "ann", "cy"]
    shakes = [rows.nth(i).locator("td.shake").get_attribute("data-shake") for i in range(4)]
    assert shakes == ["1", "2", "-2", "-1"]
    assert "▲ 2" in rows.nth(1).inner_text() and "▼ 2" in rows.nth(2).inner_text()
    shoot(page, artifacts_dir, "board-private-shake-up")
