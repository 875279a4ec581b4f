"""A phase's board in Chromium: tabs per phase, at desktop and phone widths (screenshots)."""
from __future__ import annotations

import pytest
from phase_seed import seed_phased

from e2e_helpers import shoot

pytestmark = pytest.mark.browser


def test_phase_tabs_switch_the_board(page, live_server, db_session, artifacts_dir):
    seed_phased(db_session, "phased-2026")
    page.goto(f"{live_server}/competitions/phased-2026/leaderboard")
    tabs = page.locator("[data-phase-tabs] a")
    assert tabs.all_inner_texts() == ["All phases", "dev", "test"]
    tabs.nth(2).click()
    page.wait_for_url("**phase=test")
    assert page.locator("table.board tbody tr .who-name").all_inner_texts() == ["cy", "bob", "org"]
    assert page.locator('[aria-current="page"]').inner_text() == "test"
    shoot(page, artifacts_dir, "board-phase-test")
