"""The API docs page (/api/v1/docs) is the OpenAPI document rendered, and its examples run as pasted."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from html import unescape

import pytest
from werkzeug.serving import make_server

from arena.services.tokens import create_token
from webfixtures import app, client, login_as, torchscript_file, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_submission


def _operations(doc):
    return [(method.upper(), path) for path, ops in doc["paths"].items() for method in ops]


def _section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</section>", start)]


def test_every_route_is_documented_with_auth_parameters_responses_and_examples(client, world):
    doc = client.get("/api/v1/openapi.json").get_json()
    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    sections = re.findall(r'<section class="card api-op" id="([^"]+)" data-method="(\w+)" data-path="([^"]+)"', html)
    assert sorted((m, p) for _, m, p in sections) == sorted(_operations(doc))
    for anchor, method, path in sections:
        op = doc["paths"][path][method.lower()]
        part = _section(html, anchor)
        assert f'href="#{anchor}"' in html  # the route index links it
        assert op["summary"] in unescape(part) and op["description"].split(".")[0] in unescape(part)
        auth = {"[]": "No token", "[{'bearerAuth': []}]": "Token required",
                "[{}, {'bearerAuth': []}]": "Token optional"}[str(op["security"])]
        assert auth in part
        for param in op.get("parameters", []):
            assert f"<code>{param['name']}</code>" in part
        for field in op.get("requestBody", {}).get("content", {}).get("multipart/form-data", {}).get(
                "schema", {}).get("properties", {}):
            assert f"<code>{field}</code>" in part
        for status in op["responses"]:
            assert f">{status}</span>" in part
        curl = unescape(re.search(r'data-example="curl"><code>(.*?)</code>', part, re.S).group(1))
        python = unescape(re.search(r'data-example="python"><code>(.*?)</code>', part, re.S).group(1))
        url_path = re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
        url = re.compile("/api/v1" + re.sub(r"{\w+}", "[^/?']+", url_path) + "[?']")
        assert curl.startswith("curl ") and url.search(curl) and url.search(python.replace('"', "'"))
        assert f"requests.{method.lower()}(" in python
        assert ("$STYLEARENA_TOKEN" in curl) == (op["security"] != [])
        compile(python, anchor, "exec")  # every Python example is valid Python
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in html


def test_docs_page_loads_nothing_from_elsewhere_and_is_linked(client, world):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    response = client.get("/api/v1/docs")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    # Every script, stylesheet and image is the site's own file; no inline script or style.
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html)
    assert "<style" not in html and not re.search(r"<script(?![^>]*src=)", html)
    assert 'href="/api/v1/docs"' in client.get("/").get_data(as_text=True)  # the footer's API link
    login_as(client, "ann")
    tokens = client.get("/account/tokens").get_data(as_text=True)
    assert re.search(r'href="/api/v1/docs">REST API</a>', tokens)


def test_examples_name_a_real_competition_and_the_readers_latest_submission(client, world):
    visitor = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/competitions/demo/leaderboard" in unescape(visitor)
    mine = make_submission(world["session"], world["competition"], world["ann"])
    world["session"].commit()
    assert f"/submissions/{mine.id}" not in visitor
    login_as(client, "ann")
    assert f"/api/v1/submissions/{mine.id}/log" in unescape(client.get("/api/v1/docs").get_data(as_text=True))


@pytest.fixture
def served(app):  # noqa: F811
    """The app on a real port, for running the examples as a participant would."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_example_runs_as_pasted(served, app, world, tmp_path, torchscript_file, db_session):  # noqa: F811
    from arena.web.api.docs import operations
    from arena.web.api.openapi import openapi_document
    from datasets_helpers import publish_small_sets

    settings = app.extensions["stylearena"].settings
    public, _ = publish_small_sets(db_session, settings, tmp_path / "sets")
    world["competition"].public_dataset = public
    # Scored, so that the final-choice example (POST .../final, {"final": true}) is accepted.
    sub = add_scored(db_session, world["competition"], world["ann"], full_scores(10.0), 5,
                     public_log="hello from the smoke run\n")
    _, token = create_token(db_session, world["ann"], "examples")
    db_session.commit()
    shutil.copy(torchscript_file, tmp_path / "model.pt")  # the file name the upload example uses
    env = {**os.environ, "STYLEARENA_TOKEN": token}
    ops = operations(openapi_document(served + "/api/v1"), {"slug": "demo", "submission_id": sub.id})
    assert ops
    for op in ops:
        for kind, command in (("curl", ["bash", "-c", op.curl]), ("python", [sys.executable, "-c", op.python])):
            result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, f"{kind} example of {op.method} {op.path}:\n{result.stdout}{result.stderr}"
            if op.path.endswith("/dev-set"):
                assert (tmp_path / "dev-set.zip").read_bytes()[:2] == b"PK"
                (tmp_path / "dev-set.zip").unlink()
            elif op.path.endswith("/log"):
                assert "hello from the smoke run" in result.stdout


def test_quickstart_script_follows_a_submission_to_its_end(served, app, world, tmp_path, torchscript_file,  # noqa: F811
                                                           db_session):
    import sqlalchemy as sa

    from arena.core.enums import SubmissionStatus
    from arena.core.models import Submission

    _, token = create_token(db_session, world["ann"], "quickstart")
    db_session.commit()
    html = unescape(app.test_client().get("/api/v1/docs").get_data(as_text=True))
    script = re.search(r'data-example="quickstart"><code>(.*?)</code>', html, re.S).group(1)
    script = script.replace("http://localhost/api/v1", served + "/api/v1")
    shutil.copy(torchscript_file, tmp_path / "model.pt")
    run = subprocess.Popen([sys.executable, "-u", "-c", script], cwd=tmp_path, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env={**os.environ, "STYLEARENA_TOKEN": token})
    # Play the worker: once the script has seen its upload queued, the run fails on the smoke run.
    seen = [run.stdout.readline(), run.stdout.readline()]
    assert seen[0].startswith("5 uploads left today; Each upload that is scored"), seen
    assert seen[1].startswith("queued 1"), seen  # it follows the run: step and queue position
    sub = db_session.scalar(sa.select(Submission))
    sub.status, sub.error_code, sub.error_message = SubmissionStatus.FAILED, "bad_shape", "Wrong output shape."
    sub.public_log, sub.failed_on_smoke = "printed by the generator\n", True
    db_session.commit()
    output, _ = run.communicate(timeout=60)
    assert run.returncode == 0, "".join(seen) + output
    assert "failed {}" in output and "Wrong output shape." in output and "printed by the generator" in output


def test_quickstart_routes_exist(app):  # noqa: F811
    from arena.web.api.examples import QUICKSTART_ROUTES, quickstart_example
    from arena.web.api.openapi import openapi_document

    doc = openapi_document("http://x/api/v1")
    assert all(method in doc["paths"][path] for method, path in QUICKSTART_ROUTES)
    del doc["paths"]["/submissions/{submission_id}/log"]
    with pytest.raises(KeyError):
        quickstart_example(doc, "demo")  # a script calling a route that is gone is never shown
