"""The participant guide and the contract page, in a real browser, built from live settings and data."""
from __future__ import annotations

import pytest
from datasets_helpers import publish_small_sets

from e2e_helpers import shoot
from webseed import make_competition

pytestmark = pytest.mark.browser


def test_guide_states_the_live_limits_environment_data_and_rules(page, live_server, settings, db_session, tmp_path,
                                                                  artifacts_dir):
    comp = make_competition(db_session, "guided", title="Guided cup", daily_quota=3)
    public, hidden = publish_small_sets(db_session, settings, tmp_path)
    comp.public_dataset, comp.hidden_dataset = public, hidden
    db_session.commit()

    page.goto(f"{live_server}/competitions/guided")
    page.get_by_role("link", name="Participant guide").click()
    text = page.locator("main").inner_text()
    sandbox = settings.sandbox
    assert f"{sandbox.timeout_s} s" in text and f"{sandbox.memory_mb} MB" in text
    assert f"{sandbox.run_limits(smoke=True).timeout_s} s" in text
    assert "torch 2.13.0+cpu" in text  # the sandbox image's torch, from its recipe
    assert "3 daily uploads" in text and "12 such failures" in text  # the charging rule, quota 3
    assert "content 64 × 72 px" in text and "held-out style references" in text
    shoot(page, artifacts_dir, "guide")
    page.get_by_role("link", name="The whole contract").click()
    assert "The generator contract" in page.locator("h1").first.inner_text()
    assert "content image's size" in page.locator("main").inner_text()
    shoot(page, artifacts_dir, "contract")
