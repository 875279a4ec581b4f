"""The hidden set stays hidden: leak probes through the real sandbox, pipeline and web app.

Each probe is a generator that behaves on the public smoke run and, on the hidden run only,
carries a per-module secret plus what it can learn of the hidden set (pair ids, file names,
an image size, a pixel) out through one channel: an exception message, stdout, stderr, a
rewritten report.json, output file names, or extra files. The run goes through the real
pipeline (``run_attempt`` with the real ``SandboxRunner`` and metric suite); then every GET
route of the app (walked from ``app.url_map``, so a new route is probed without being named
here) is rendered as the owner, as another participant and as a visitor, with and without
API tokens, and so are the exports. None may show the secret or anything of the hidden set;
the owner must still see the failure category and that it was the hidden run.

A probe only proves something if its payload really left the sandbox: a recording runner
keeps what each hidden run handed to the host (log, report, exception, output names), and
each probe checks its payload is there before the pages are searched for it.

The residual channel, scores themselves, is not probed (see sandbox/README.md, "What reaches
a participant"). The same module also tests the organizer's view (page and CLI), which must
show everything, and the rounding of scores on pages, in the API and in exports.
"""
from __future__ import annotations

import json
import secrets
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from webfixtures import app, client, login_as, other_client, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_submission, make_user

from arena import create_app
from arena.cli import cli
from arena.core.db import make_engine, make_session_factory, transaction
from arena.core.enums import CompetitionStatus, EvaluationStatus, SubmissionStatus, UserRole
from arena.core.models import Competition, Evaluation, Submission, User
from arena.core.settings import SandboxSettings, Settings
from arena.services.publishing import publish
from arena.services.results import round_score
from arena.services.submissions import create_submission
from arena.services.tokens import create_token
from arena.web.gallery import gallery_images
from arena.web.templating import format_metric
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext
from sandbox.examples import write_package

DOCKER = pytest.mark.docker
CHANNELS = ("exception", "stdout", "stderr", "report", "filenames", "extra_files")
# How each probe's evaluation ends: the error code a participant fault gets, or None (scored).
EXPECTED_CODE = {"exception": "generator_error", "stdout": None, "stderr": None, "report": None,
                 "filenames": "extra_output", "extra_files": None}
HIDDEN_SIZE = (88, 72)  # (width, height) of the hidden content images; the public ones are 64x64
SLUG = "leaks"

# Every GET endpoint of the app, for the record: the rendering below walks app.url_map
# itself, so this list only makes a new route a conscious decision (add it here, and give its
# URL parameters values in ``_url_values`` if it has new ones).
GET_ENDPOINTS = {
    "public.index", "public.competition", "public.leaderboard", "public.leaderboard_json",
    "public.leaderboard_csv", "public.dataset_download", "public.submission", "public.gallery_image",
    "public.contract", "public.guide",
    "per_style.heatmap", "per_style.style_board",
    "accounts.register", "accounts.login", "accounts.tokens",
    "submit.submit",
    "me.submissions", "me.submission", "me.status", "me.log",
    "api.openapi", "api.me", "api.competitions", "api.leaderboard", "api.submissions", "api.submission",
    "api.limits", "api.dev_set", "api.submission_log", "api_docs.docs",
    "admin.submission",  # organizers only: 403/redirect for the viewers probed here
    "public.pareto_json", "public.compare", "public.dev_image",  # issue 16 (dev_image: public dev-set files only)
    "tryit.page", "tryit.status_page", "tryit.status_json", "tryit.image", "tryit.style_image",
    "arena.vote_page", "arena.match_image", "arena.human_board_page",  # issue 17: public outputs only
    "admin.competition", "admin.progress",  # organizers only (progress: the page's live-refresh JSON)
    "public.private_board_page", "public.private_board_json",  # issue 15: 404 until finalize
    "accounts.notifications",  # issue 19: the viewer's own email settings
    "rules.rules", "api.rules",  # issue 15: the organizers' rules text and the caller's acceptance
}


def _is_static(endpoint: str) -> bool:
    # The app's and blueprints' own assets (CSS, JS): files of the repository, never data.
    return endpoint == "static" or endpoint.endswith(".static")

# The generator: public run untouched (identity), hidden run leaks through CHANNEL. It tells
# the runs apart by the pair ids, as a participant could: it knows the public dev set's ids.
PROBE = r'''
import csv
import sys
from pathlib import Path

SECRET = __SECRET__
CHANNEL = __CHANNEL__
PUBLIC_PAIR_IDS = __PUBLIC_IDS__

with open("/inputs/pairs.csv", newline="") as fh:
    ROWS = list(csv.DictReader(fh))
HIDDEN = sorted(row["pair_id"] for row in ROWS) != sorted(PUBLIC_PAIR_IDS)


def payload():
    """The secret and what the generator can learn of the set it runs on."""
    from PIL import Image

    with Image.open("/inputs/content/" + ROWS[0]["content"]) as img:
        width, height = img.size
        pixel = img.convert("RGB").getpixel((0, 0))
    ids = ",".join(row["pair_id"] for row in ROWS)
    files = ",".join(row["content"] + "+" + row["style"] for row in ROWS)
    return f"{SECRET} pairs={ids} files={files} size={width}x{height} pixel={pixel}"


print(("[probe] hidden branch " if HIDDEN else "[probe] public branch ") + CHANNEL, flush=True)

if HIDDEN and CHANNEL == "report":
    # The harness is __main__ in the generator's process: rewrite its report as it is written.
    import __main__

    _write_report = __main__.write_report

    def _leaky_report(out, report):
        text = payload()
        report.update(status=SECRET, device=SECRET, format=SECRET, torch_version=text, python=text)
        _write_report(out, report)

    __main__.write_report = _leaky_report


def leak(content):
    text = payload()
    if CHANNEL == "exception":
        raise RuntimeError(text)
    if CHANNEL == "stdout":
        print(text, flush=True)
    elif CHANNEL == "stderr":
        print(text, file=sys.stderr, flush=True)
    elif CHANNEL == "filenames":
        from PIL import Image

        height, width = content.shape[2], content.shape[3]
        name = f"{SECRET}-{ROWS[0]['pair_id']}-{width}x{height}.png"
        Image.new("RGB", (width, height)).save("/out/images/" + name)
    elif CHANNEL == "extra_files":
        Path(f"/out/{SECRET}.txt").write_text(text)
        Path("/out/notes.txt").write_text(text)


class Stylizer:
    def __call__(self, content, style):
        if HIDDEN:
            leak(content)
        return content
'''


# ---------------------------------------------------------------- the world
@dataclass
class HostCapture:
    """What the hidden runs handed to the host, per submission (proof that a payload left the sandbox)."""

    text: dict[int, list[str]] = field(default_factory=dict)

    def add(self, submission_id: int, *parts: object) -> None:
        self.text.setdefault(submission_id, []).extend(str(p) for p in parts)

    def joined(self, submission_id: int) -> str:
        return "\n".join(self.text.get(submission_id, []))


class RecordingRunner:
    """The real ``SandboxRunner``, keeping what each hidden run returned or raised."""

    def __init__(self, runner, capture: HostCapture) -> None:
        self.runner = runner
        self.capture = capture

    def run(self, submission_path, submission_format, inputs_dir, output_dir, limits, labels, abort=None):
        hidden = labels.get("stylearena.split") == "hidden"
        submission_id = int(labels["stylearena.submission"])
        try:
            result = self.runner.run(submission_path, submission_format, inputs_dir, output_dir, limits, labels,
                                     abort)
        except Exception as exc:
            if hidden:
                self.capture.add(submission_id, getattr(exc, "message", exc), getattr(exc, "log", ""))
            raise
        if hidden:
            names = sorted(p.name for p in Path(output_dir).iterdir())
            self.capture.add(submission_id, result.log, json.dumps(result.report), *names)
        return result


@dataclass(frozen=True)
class Probe:
    """One channel's submission and what of it must never reach a participant."""

    channel: str
    submission_id: int
    forbidden: tuple[str, ...]  # its own secret and its hidden-branch log line


@dataclass
class LeakWorld:
    settings: Settings
    secrets: dict[str, str]  # one per channel, so a leak on a list page names its probe
    tag: str  # in every hidden pair id and file name
    hidden_pairs: tuple[str, ...]
    probes: dict[str, Probe]
    capture: HostCapture
    tokens: dict[str, str]
    factory: Any

    def submission(self, session, channel: str) -> Submission:
        return session.get(Submission, self.probes[channel].submission_id)

    @property
    def hidden_set(self) -> tuple[str, ...]:
        """What every probe learnt of the hidden set: the tag of its pair ids and file names, its size."""
        return (self.tag, "{}x{}".format(*HIDDEN_SIZE))


def _dead_redis_url() -> str:
    # Nothing listens here: uploads' enqueue fails softly (the row stays queued) and no
    # worker of another suite sharing the real Redis can ever see these evaluations.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{s.getsockname()[1]}/0"


def _write_set(root: Path, name: str, split: str, pair_ids: list[str], content: list[str], style: list[str],
               size: tuple[int, int], seed: int) -> Path:
    rng = np.random.default_rng(seed)
    for folder, files, (w, h) in (("content", content, size), ("style", style, (size[0] + 8, size[1] + 8))):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for f in files:
            Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB").save(root / folder / f)
    manifest = {"format": 1, "name": name, "split": split, "licence": "CC0 test noise", "content": content,
                "style": style, "pairs": [{"pair_id": p, "content": c, "style": style[i % len(style)]}
                                          for i, (p, c) in enumerate(zip(pair_ids, content))]}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.fixture(scope="module")
def leak_world(tmp_path_factory, sqlite_template, docker_host, runner) -> LeakWorld:
    """One competition, one probe submission per channel, each run through the real pipeline."""
    from evaluator.metrics.shared import shared_suite

    root = tmp_path_factory.mktemp("leaks")
    shutil.copyfile(sqlite_template, root / "db.sqlite3")
    settings = Settings(
        database_url=f"sqlite:///{root / 'db.sqlite3'}", redis_url=_dead_redis_url(), data_dir=root / "data",
        secret_key="test-secret", docker_host=docker_host, testing=True, max_attempts=1, retry_backoff_s=0.1,
        lease_seconds=60,
        sandbox=SandboxSettings(memory_mb=1024, cpus=1.0, pids_limit=128, timeout_s=120, smoke_timeout_s=120,
                                tmpfs_mb=64, output_mb=32, log_bytes=100_000),
    )
    channel_secrets = {channel: secrets.token_hex(16) for channel in CHANNELS}
    tag = "hid" + secrets.token_hex(3)
    hidden_pairs = [f"{tag}-{i}" for i in range(2)]
    public_pairs = ["pub-0"]
    capture = HostCapture()
    # The process's shared seeded suite; the competition names its scorer, as a worker requires.
    context = WorkerContext(settings=settings, runner=RecordingRunner(runner, capture), scorer=shared_suite(None),
                            worker_name="leak-probe")
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        hidden = publish(session, settings, _write_set(
            root / "hidden", "leak-hidden", "hidden", hidden_pairs, [f"{tag}-content-{i}.png" for i in range(2)],
            [f"{tag}-style-{i}.png" for i in range(2)], HIDDEN_SIZE, seed=1), reference_stats=None).version
        public = publish(session, settings, _write_set(
            root / "public", "leak-public", "public", public_pairs, ["dev-content-0.png"], ["dev-style-0.png"],
            (64, 64), seed=2), reference_stats=None).version
        competition = Competition(slug=SLUG, title="Leak probes", status=CompetitionStatus.OPEN, daily_quota=50,
                                  hidden_dataset_id=hidden.id, public_dataset_id=public.id,
                                  scorer_version=context.scorer_id)
        session.add(competition)
        session.flush()
        competition_id = competition.id
        users = {name: make_user(session, name, role) for name, role in
                 (("owner", UserRole.PARTICIPANT), ("eve", UserRole.PARTICIPANT), ("olga", UserRole.ORGANIZER))}
        tokens = {name: create_token(session, users[name], "probe")[1] for name in ("owner", "eve")}
        user_ids = {name: u.id for name, u in users.items()}

    probes: dict[str, Probe] = {}
    try:
        for channel in CHANNELS:
            secret = channel_secrets[channel]
            body = (PROBE.replace("__SECRET__", repr(secret)).replace("__CHANNEL__", repr(channel))
                    .replace("__PUBLIC_IDS__", repr(public_pairs)))
            package = write_package(root / f"{channel}.zip", {"generator.py": body})
            with transaction(factory) as session:
                sub = create_submission(session, settings, session.get(User, user_ids["owner"]),
                                        session.get(Competition, competition_id), upload_path=package,
                                        original_filename=f"{channel}.zip", label=f"probe {channel}")
                submission_id, evaluation_id = sub.id, sub.evaluations[0].id
            outcome = run_attempt(context, evaluation_id)
            if outcome not in (AttemptOutcome.SCORED, AttemptOutcome.FAILED):
                with factory() as session:
                    evaluation = session.get(Evaluation, evaluation_id)
                    pytest.fail(f"probe {channel}: {outcome} [{evaluation.error_code}] {evaluation.error_detail}")
            probes[channel] = Probe(channel, submission_id, (secret, f"hidden branch {channel}"))
    finally:
        context.close()
    yield LeakWorld(settings, channel_secrets, tag, tuple(hidden_pairs), probes, capture, tokens, factory)
    engine.dispose()


@pytest.fixture(scope="module")
def leak_app(leak_world):
    return create_app(leak_world.settings)


@dataclass(frozen=True)
class Viewer:
    name: str
    client: Any
    headers: dict[str, str]


@pytest.fixture(scope="module")
def viewers(leak_app, leak_world) -> list[Viewer]:
    """The owner, another participant and a visitor; the first two send their API token too."""
    result = []
    for name in ("owner", "eve", None):
        c = leak_app.test_client()
        if name is not None:
            login_as(c, name)
        headers = {"Authorization": f"Bearer {leak_world.tokens[name]}"} if name else {}
        result.append(Viewer(name or "visitor", c, headers))
    return result


def _url_values(leak_world: LeakWorld, submission_id: int) -> dict[str, list[str | int]]:
    """Values for every URL parameter a GET route may have."""
    with leak_world.factory() as session:
        sub = session.get(Submission, submission_id)
        gallery = gallery_images(leak_world.settings, sub)
    # The hidden outputs' names too: they must never be served whatever the gallery holds.
    names = [*gallery, *(f"{p}.png" for p in leak_world.hidden_pairs), "report.json"]
    return {"slug": [SLUG], "submission_id": [submission_id], "name": names, "style": [1, 2], "kind": ["content", "style", "references"],
            "token": ["0" * 32], "which": ["content", "style", "result", "a", "b"], "match_id": [1, 2]}


def _urls(flask_app, values: dict[str, list]) -> list[tuple[str, str]]:
    """(endpoint, url) for every GET route, each parameter set to each of its values."""
    from itertools import product

    urls = []
    with flask_app.test_request_context():
        from flask import url_for

        for rule in flask_app.url_map.iter_rules():
            if "GET" not in rule.methods or _is_static(rule.endpoint):
                continue
            unknown = set(rule.arguments) - set(values)
            assert not unknown, f"route {rule.rule} has parameters {unknown}: give them values in _url_values"
            args = sorted(rule.arguments)
            for combo in product(*(values[a] for a in args)):
                urls.append((rule.endpoint, url_for(rule.endpoint, **dict(zip(args, combo)))))
    return urls


@dataclass(frozen=True)
class Rendered:
    endpoint: str
    where: str
    status: int
    text: str  # body and headers


@pytest.fixture(scope="module")
def rendered(leak_world, leak_app, viewers) -> dict[int | None, list[Rendered]]:
    """Every GET route for each probe's submission as each viewer, and the exports (under None)."""
    pages: dict[int | None, list[Rendered]] = {}
    for probe in leak_world.probes.values():
        urls = _urls(leak_app, _url_values(leak_world, probe.submission_id))
        pages[probe.submission_id] = [
            Rendered(endpoint, f"{viewer.name} GET {url} ({endpoint})", response.status_code,
                     response.get_data().decode("utf-8", errors="replace") + str(response.headers))
            for viewer in viewers for endpoint, url in urls
            for response in (viewer.client.get(url, headers=viewer.headers),)
        ]
    pages[None] = [Rendered("export", f"stylearena export --format {fmt}", 200, _export(leak_world.settings, fmt))
                   for fmt in ("csv", "json")]
    return pages


def _export(settings: Settings, fmt: str) -> str:
    result = CliRunner().invoke(cli, ["export", SLUG, "--format", fmt], obj={"settings": settings})
    assert result.exit_code == 0, result.output
    return result.output


# ---------------------------------------------------------------- the probes
def test_every_get_route_is_listed(app):  # noqa: F811
    found = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods and not _is_static(r.endpoint)}
    assert found - GET_ENDPOINTS == set(), "new GET routes: add them to GET_ENDPOINTS (they are probed for leaks)"
    assert GET_ENDPOINTS - found == set(), "routes gone: remove them from GET_ENDPOINTS"


@DOCKER
@pytest.mark.parametrize("channel", CHANNELS)
def test_probe_carried_its_payload_out_of_the_sandbox(leak_world, channel):
    probe, secret = leak_world.probes[channel], leak_world.secrets[channel]
    with leak_world.factory() as session:
        sub = leak_world.submission(session, channel)
        evaluation = sub.evaluations[0]
        expected = EXPECTED_CODE[channel]
        assert sub.status is (SubmissionStatus.FAILED if expected else SubmissionStatus.SCORED), (
            f"{sub.status} [{evaluation.error_code}] {evaluation.error_detail}")
        assert evaluation.error_code == expected
        host = leak_world.capture.joined(probe.submission_id)
        if channel == "extra_files":
            # Closed at the copy-out: files outside images/ never reach the host at all.
            assert f"hidden branch {channel}" in host and secret not in host
        else:
            assert secret in host, f"the {channel} probe's payload never reached the host"
        if expected:
            # Organizers keep the raw text: the hidden run's exception or file name.
            assert secret in (evaluation.error_detail or "")
            assert "hidden run" in sub.error_message and secret not in sub.error_message
            assert not sub.public_log or "hidden branch" not in sub.public_log
        else:
            assert f"public branch {channel}" in (sub.public_log or ""), "the smoke run's log is the owner's"
        if channel == "report":
            # The harness report is trusted for nothing: only finite numbers and known words survive,
            # so a rewritten report carries nothing into provenance either.
            assert secret not in json.dumps(evaluation.provenance)


@DOCKER
@pytest.mark.parametrize("channel", CHANNELS)
def test_no_participant_route_shows_the_hidden_run(leak_world, rendered, channel):
    probe = leak_world.probes[channel]
    assert {page.endpoint for page in rendered[probe.submission_id]} == GET_ENDPOINTS
    # Its own secret anywhere (list pages and exports show every probe), its log line too.
    leaks = sorted({f"{page.where} shows {s!r}" for pages in rendered.values() for page in pages
                    for s in probe.forbidden if s in page.text})
    assert not leaks, "\n".join(leaks)


@DOCKER
def test_no_participant_route_shows_the_hidden_set(leak_world, rendered):
    leaks = sorted({f"{page.where} shows {s!r}" for pages in rendered.values() for page in pages
                    for s in leak_world.hidden_set if s in page.text})
    errors = [f"{page.where}: HTTP {page.status}" for pages in rendered.values() for page in pages
              if page.status >= 500]
    assert not errors, errors
    assert not leaks, "\n".join(leaks)


@DOCKER
@pytest.mark.parametrize("channel", [c for c in CHANNELS if EXPECTED_CODE[c]])
def test_owner_sees_the_category_and_that_it_was_the_hidden_run(leak_world, viewers, channel):
    owner = viewers[0]
    probe, code = leak_world.probes[channel], EXPECTED_CODE[channel]
    page = owner.client.get(f"/me/submissions/{probe.submission_id}").get_data(as_text=True)
    assert code in page and "hidden run" in page
    for url in (f"/me/submissions/{probe.submission_id}/status.json", f"/api/v1/submissions/{probe.submission_id}"):
        error = owner.client.get(url, headers=owner.headers).get_json()["error"]
        assert error["code"] == code and "hidden run" in error["message"], (url, error)
    assert code in _export(leak_world.settings, "csv")


@DOCKER
def test_organizer_page_and_cli_show_everything(leak_world, leak_app, viewers):
    probe = leak_world.probes["exception"]
    url = f"/admin/submissions/{probe.submission_id}"
    organizer = leak_app.test_client()
    login_as(organizer, "olga")
    response = organizer.get(url)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "generator_error" in page and leak_world.secrets["exception"] in page and leak_world.tag in page
    assert "hidden run" in page and "smoke_s" in page  # the participant's fixed text; the timings
    report = organizer.get(f"/admin/submissions/{leak_world.probes['report'].submission_id}").get_data(as_text=True)
    assert "dataset_sha256" in report and "sandbox_image_id" in report  # provenance of a scored run
    assert leak_world.secrets["report"] not in report  # a rewritten report's free text is dropped, even here
    owner, eve, visitor = viewers
    assert owner.client.get(url).status_code == 403 and eve.client.get(url).status_code == 403
    assert visitor.client.get(url).status_code == 302  # to the login page

    shown = CliRunner().invoke(cli, ["submission", "show", str(probe.submission_id)],
                               obj={"settings": leak_world.settings})
    assert shown.exit_code == 0, shown.output
    assert f"competition: {SLUG}" in shown.output and "owner:       owner" in shown.output
    assert "generator_error" in shown.output and leak_world.secrets["exception"] in shown.output
    doc = json.loads(CliRunner().invoke(cli, ["submission", "show", str(probe.submission_id), "--json"],
                                        obj={"settings": leak_world.settings}).output)
    (evaluation,) = doc["evaluations"]
    assert evaluation["status"] == "failed" and leak_world.secrets["exception"] in evaluation["error_detail"]
    assert evaluation["counts"] is True and "smoke_s" in evaluation["timings"]
    report = CliRunner().invoke(cli, ["submission", "show", str(leak_world.probes["report"].submission_id)],
                                obj={"settings": leak_world.settings}).output
    assert "sandbox_image_id" in report and leak_world.secrets["report"] not in report


# ---------------------------------------------------------------- organizer view (no Docker)
def test_admin_page_is_for_organizers_only(app, client, world, other_client):  # noqa: F811
    session = world["session"]
    olga = make_user(session, "olga", UserRole.ORGANIZER)
    sub = make_submission(session, world["competition"], world["ann"], status=SubmissionStatus.FAILED,
                          error_code="generator_error", error_message="fixed text")
    session.add(Evaluation(submission=sub, dataset_version_id=world["competition"].hidden_dataset_id,
                           scorer_version=world["competition"].scorer_version, status=EvaluationStatus.FAILED,
                           error_code="generator_error", error_message="fixed text",
                           error_detail="RuntimeError: <b>raw hidden text</b>", timings={"run_s": 1.5},
                           provenance={"worker": "w-1"}))
    session.commit()
    url = f"/admin/submissions/{sub.id}"
    assert client.get(url).status_code == 302
    assert other_client("ann").get(url).status_code == 403  # the owner too
    assert other_client("bob").get(url).status_code == 403
    organizer = other_client(olga.username)
    page = organizer.get(url).get_data(as_text=True)
    assert "&lt;b&gt;raw hidden text&lt;/b&gt;" in page and "<b>raw hidden text" not in page  # escaped
    assert "run_s" in page and "w-1" in page and "fixed text" in page
    assert organizer.get("/admin/submissions/999999").status_code == 404


def test_submission_show_cli(settings, db_session):
    comp_owner = make_user(db_session, "ann")
    from webseed import make_competition

    comp = make_competition(db_session, "show")
    sub = add_scored(db_session, comp, comp_owner, full_scores(123.456789012), minutes=1, label="mine")
    db_session.commit()
    runner = CliRunner()
    out = runner.invoke(cli, ["submission", "show", str(sub.id)], obj={"settings": settings})
    assert out.exit_code == 0, out.output
    assert "competition: show" in out.output and "owner:       ann" in out.output
    assert "art_fid=123.456789012" in out.output  # organizers read full precision
    missing = runner.invoke(cli, ["submission", "show", "999999"], obj={"settings": settings})
    assert missing.exit_code == 1 and "No submission with id 999999" in missing.output
    assert "Traceback" not in missing.output


# ---------------------------------------------------------------- score precision (no Docker)
# Fewer shown digits is also fewer bits a generator could steer into a score.
@pytest.mark.parametrize("value, rounded", [(123.456789012, 123.5), (0.000123456, 0.0001235), (18643.2, 18640.0),
                                            (-2.71828, -2.718), (0.0, 0.0), (None, None), (float("nan"), None)])
def test_round_score(value, rounded):
    assert round_score(value) == rounded


def test_scores_are_rounded_in_page_api_and_exports(settings, client, world):  # noqa: F811
    session = world["session"]
    sub = add_scored(session, world["competition"], world["ann"], full_scores(123.456789012), minutes=1)
    _, token = create_token(session, world["ann"], "t")
    session.commit()
    runner = CliRunner()
    as_csv = runner.invoke(cli, ["export", "demo", "--format", "csv"], obj={"settings": settings}).output
    as_json = json.loads(runner.invoke(cli, ["export", "demo", "--format", "json"], obj={"settings": settings}).output)
    assert "123.5" in as_csv and "123.45" not in as_csv
    assert as_json["results"][0]["metrics"]["art_fid"] == 123.5
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/submissions/{sub.id}", headers=auth).get_json()["scores"]["art_fid"] == 123.5
    assert client.get("/api/v1/submissions", headers=auth).get_json()["submissions"][0]["scores"]["art_fid"] == 123.5
    board = client.get("/api/v1/competitions/demo/leaderboard").get_json()
    assert board["rows"][0]["metrics"]["art_fid"] == 123.5
    page = client.get(f"/submissions/{sub.id}").get_data(as_text=True)
    assert "123.5" in page and "123.46" not in page
    assert format_metric(123.456789012) == "123.5" and format_metric(18643.2) == "18,640"


def test_public_board_and_poller_scores_are_rounded(client, world, other_client):  # noqa: F811
    session = world["session"]
    sub = add_scored(session, world["competition"], world["ann"], full_scores(123.456789012), minutes=1)
    session.commit()
    assert client.get("/competitions/demo/leaderboard.json").get_json()["rows"][0]["metrics"]["art_fid"] == 123.5
    assert "123.456" not in client.get("/competitions/demo/leaderboard.csv").get_data(as_text=True)
    status = other_client("ann").get(f"/me/submissions/{sub.id}/status.json").get_json()
    assert status["scores"]["art_fid"] == 123.5
