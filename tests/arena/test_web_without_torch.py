"""The web process never loads torch: the app, the board, a submission page and the API.

Runs in a fresh interpreter (this test process has torch loaded by other tests) and reports
the heavy modules found in ``sys.modules`` after serving real requests.
"""
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
from arena.services.tokens import create_token
from webseed import add_scored, full_scores, make_competition, make_user

url = sys.argv[1]
migrate.upgrade(url)
settings = Settings(database_url=url, data_dir=sys.argv[3], testing=True)
app = create_app(settings)
factory = make_session_factory(make_engine(url))
with factory() as session:
    ann = make_user(session, "ann")
    comp = make_competition(session, "demo")
    sub = add_scored(session, comp, ann, full_scores(10.0), minutes=1)
    _, token = create_token(session, ann, "t")
    session.commit()
    sub_id = sub.id
client = app.test_client()
statuses = {}
for path in ("/", "/competitions/demo", "/competitions/demo/leaderboard.json",
             "/competitions/demo/leaderboard.csv", f"/submissions/{sub_id}", "/api/v1/openapi.json",
             "/api/v1/competitions/demo/leaderboard"):
    statuses[path] = client.get(path).status_code
statuses["api-submission"] = client.get(f"/api/v1/submissions/{sub_id}",
                                        headers={"Authorization": f"Bearer {token}"}).status_code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision", "lpips", "scipy", "docker"))
print(json.dumps({"statuses": statuses, "heavy": heavy}))
"""


def test_serving_pages_and_the_api_leaves_torch_unloaded(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    done = subprocess.run([sys.executable, "-c", SCRIPT, url, str(TESTS), str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(code == 200 for code in report["statuses"].values()), report["statuses"]
    assert report["heavy"] == []
