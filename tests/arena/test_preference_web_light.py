"""The arena's pages load neither torch nor scipy in the web process (fresh interpreter)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
from arena import create_app
from arena.core import migrate
from arena.core.db import make_engine, make_session_factory
from arena.core.settings import Settings
from webseed import add_scored, full_scores, make_competition, make_user

url = sys.argv[1]
migrate.upgrade(url)
app = create_app(Settings(database_url=url, data_dir=sys.argv[3], testing=True))
with make_session_factory(make_engine(url))() as session:
    comp = make_competition(session, "demo")
    add_scored(session, comp, make_user(session, "ann"), full_scores(10.0), minutes=1)
    session.commit()
client = app.test_client()
statuses = {p: client.get(p).status_code for p in ("/competitions/demo", "/competitions/demo/human-board",
                                                    "/competitions/demo/arena")}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision", "lpips", "scipy", "docker"))
print(json.dumps({"statuses": statuses, "heavy": heavy}))
"""


def test_arena_pages_leave_torch_and_scipy_unloaded(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    done = subprocess.run([sys.executable, "-c", SCRIPT, url, str(TESTS), str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["statuses"] == {"/competitions/demo": 200, "/competitions/demo/human-board": 200,
                                  "/competitions/demo/arena": 302}, report["statuses"]
    assert report["heavy"] == []
