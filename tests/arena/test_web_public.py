"""Public pages: competition page, leaderboard HTML/CSV/JSON, submission page, downloads."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest

from arena.core.enums import SubmissionStatus, UserRole
from arena.core.store.outputs import outputs_path
from webfixtures import ann_client, app, client, login_as, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_submission, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def scored(world):
    """ann and bob scored, a baseline, and an uncalibrated entry by cid."""
    s, comp = world["session"], world["competition"]
    org = make_user(s, "org")
    cid = make_user(s, "cid")
    subs = {
        "ann": add_scored(s, comp, world["ann"], full_scores(20.0, lpips=0.9), 1, label="ann-v1"),
        "bob": add_scored(s, comp, world["bob"], full_scores(25.0, lpips=0.1), 2, label="bob-v1"),
        "base": add_scored(s, comp, org, full_scores(30.0, lpips=0.5), 3, label="AdaIN", is_baseline=True),
        "cid": add_scored(s, comp, cid, full_scores(40.0, lpips=0.7), 4, label="cid-v1", calibrated=False),
    }
    s.commit()
    return subs


def test_competition_page(client, world, scored):
    html = client.get("/competitions/demo").get_data(as_text=True)
    assert "<h1>Welcome</h1>" in html and "<strong>everything</strong>" in html
    for label in ("ArtFID", "FID", "KID", "LPIPS", "Content loss", "Style loss"):
        assert label in html
    assert "lower is better" in html and "/competitions/demo/dev-set.zip" in html
    assert "Your quota today" not in html  # visitors have no quota


def test_competition_page_shows_quota_to_participants(ann_client, world):
    html = ann_client.get("/competitions/demo").get_data(as_text=True)
    assert "Your quota today" in html and "<b>5</b> / 5 left" in html


def test_leaderboard_page_rows_badges_and_flags(client, scored):
    html = client.get("/competitions/demo/leaderboard").get_data(as_text=True)
    order = [html.index(x) for x in ("ann-v1", "bob-v1", "AdaIN", "cid-v1")]
    assert order == sorted(order)
    # One flagged row, and the one sentence that says what the flag means.
    assert html.count("badge-baseline") == 1 and html.count('<td class="col-who">') >= 4
    assert html.count('data-note="uncalibrated"') == 1 and html.count(">uncalibrated<") == 2
    assert "4 entries" in html and 'aria-sort="ascending"' in html
    # The seeded test datasets have no held-out references: the board warns about it.
    assert 'data-note="no-references"' in html


def test_leaderboard_sorting_by_another_metric(client, scored):
    html = client.get("/competitions/demo/leaderboard?metric=lpips").get_data(as_text=True)
    assert html.index("bob-v1") < html.index("AdaIN") < html.index("cid-v1") < html.index("ann-v1")
    data = client.get("/competitions/demo/leaderboard.json?metric=lpips").get_json()
    assert [r["participant"] for r in data["rows"]] == ["bob", "org", "cid", "ann"]
    assert data["direction"] == "lower_is_better" and data["rows"][1]["baseline"] is True
    assert data["rows"][2]["calibrated"] is False


def test_unknown_sort_metric_is_a_400(client, scored):
    response = client.get("/competitions/demo/leaderboard?metric=bogus")
    assert response.status_code == 400 and "bogus" in response.get_data(as_text=True)
    assert client.get("/competitions/demo/leaderboard.json?metric=bogus").get_json()["error"]["code"] == "unknown_metric"


def test_leaderboard_pagination(client, world):
    s, comp = world["session"], world["competition"]
    for i in range(51):
        add_scored(s, comp, make_user(s, f"user{i:02d}"), full_scores(float(i)), i)
    s.commit()
    page2 = client.get("/competitions/demo/leaderboard.json?page=2").get_json()
    assert page2["total"] == 51 and [r["rank"] for r in page2["rows"]] == [51]
    html = client.get("/competitions/demo/leaderboard").get_data(as_text=True)
    assert "Page 1 of 2" in html and 'rel="next"' in html
    assert client.get("/competitions/demo/leaderboard?page=abc").status_code == 200


def test_leaderboard_csv(client, world, scored):
    s = world["session"]
    add_scored(s, world["competition"], make_user(s, "eve"), full_scores(99.0), 9, label="=HYPERLINK(1)")
    s.commit()
    response = client.get("/competitions/demo/leaderboard.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["participant"] for r in rows] == ["ann", "bob", "org", "cid", "eve"]
    assert rows[0]["art_fid"] == "20.0" and rows[2]["baseline"] == "1" and rows[3]["calibrated"] == "0"
    assert rows[4]["label"] == "'=HYPERLINK(1)"  # no spreadsheet formula injection


def test_public_submission_page_and_gallery(client, app, world, scored):
    settings = app.extensions["stylearena"].settings
    sub = scored["ann"]
    sub.public_outputs_sha256 = "a" * 64
    hidden = sub.evaluations[0]
    hidden.outputs_sha256 = "b" * 64
    world["session"].commit()
    for sha in ("a" * 64, "b" * 64):
        outputs_path(settings, sha).mkdir(parents=True)
        (outputs_path(settings, sha) / "p001.png").write_bytes(PNG)
    (outputs_path(settings, "b" * 64) / "secret.png").write_bytes(PNG)
    html = client.get(f"/submissions/{sub.id}").get_data(as_text=True)
    assert "ann-v1" in html and "p001.png" in html and "secret.png" not in html
    assert "Run log" not in html  # logs are owner-only
    image = client.get(f"/submissions/{sub.id}/outputs/p001.png")
    assert image.status_code == 200 and image.data == PNG and image.mimetype == "image/png"
    assert client.get(f"/submissions/{sub.id}/outputs/secret.png").status_code == 404
    assert client.get(f"/submissions/{sub.id}/outputs/..%2Fx.png").status_code == 404


def test_unscored_submissions_are_private(client, world):
    sub = make_submission(world["session"], world["competition"], world["bob"], status=SubmissionStatus.FAILED)
    world["session"].commit()
    assert client.get(f"/submissions/{sub.id}").status_code == 404
    login_as(client, "bob")
    assert client.get(f"/submissions/{sub.id}").status_code == 200
    assert client.get("/submissions/999999").status_code == 404


def test_dev_set_download_serves_the_published_public_split_only(client, app, world, tmp_path):
    from datasets_helpers import make_dataset

    from arena.services.publishing import publish

    settings = app.extensions["stylearena"].settings
    session = world["session"]
    assert client.get("/competitions/demo/dev-set.zip").status_code == 404  # the fake row has no files
    public = publish(session, settings, make_dataset(tmp_path / "pub"), reference_stats=None).version
    hidden = publish(session, settings, make_dataset(tmp_path / "hid", split="hidden", seed=4),
                     reference_stats=None).version
    world["competition"].public_dataset = public
    session.commit()
    response = client.get("/competitions/demo/dev-set.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = sorted(n.split("/", 1)[1] for n in zipfile.ZipFile(io.BytesIO(response.data)).namelist())
    assert names == ["content/c0.png", "content/c1.png", "manifest.json", "pairs.csv", "style/s0.png", "style/s1.png"]
    # Even if an organizer pointed the public slot at a hidden version, the site refuses it.
    world["competition"].public_dataset = hidden
    session.commit()
    assert client.get("/competitions/demo/dev-set.zip").status_code == 403

def test_notes_are_private_to_the_owner_and_organizers(app, client, world):
    session = world["session"]
    sub = add_scored(session, world["competition"], world["ann"], full_scores(3.0), 5, notes="my secret recipe")
    make_user(session, "olga", role=UserRole.ORGANIZER)
    session.commit()
    assert "my secret recipe" not in client.get(f"/submissions/{sub.id}").get_data(as_text=True)
    login_as(client, "bob")
    assert "my secret recipe" not in client.get(f"/submissions/{sub.id}").get_data(as_text=True)
    for who in ("ann", "olga"):
        other = app.test_client()
        login_as(other, who)
        assert "my secret recipe" in other.get(f"/submissions/{sub.id}").get_data(as_text=True), who
