"""The per-style breakdown: per-style means with t-intervals, the heatmap, per-style boards.

Real published dataset versions (their manifests say each pair's style) and scored rows with
per-pair values stored as the pipeline stores them (``Evaluation.per_pair``: pair id ->
metric -> value); expected numbers come from numpy and scipy on the same values.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats as scipy_stats

from arena.core.enums import SubmissionStatus
from arena.services.leaderboard import leaderboard_rows
from arena.services.per_style import load_styles, style_stats, style_table, t975
from arena.services.publishing import publish
from datasets_helpers import make_dataset
from evaluator.metrics.catalog import PER_PAIR_METRICS
from webfixtures import app, client, login_as, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_competition, make_user

N_CONTENT, N_STYLE = 5, 3
# Each entrant's LPIPS level per style (s0, s1, s2); content losses and style losses follow.
LEVELS = {"ann": (0.10, 0.50, 0.30), "bob": (0.40, 0.20, 0.35), "cid": (0.60, 0.60, 0.60)}


def _per_pair(levels: tuple[float, ...], seed: int) -> dict[str, dict[str, float]]:
    """Per-pair values around ``levels`` (pair ``p{content}{style}`` uses style ``s{style}.png``)."""
    rng = np.random.default_rng(seed)
    out = {}
    for ci in range(N_CONTENT):
        for si in range(N_STYLE):
            base = levels[si] + rng.normal(0, 0.02)
            out[f"p{ci}{si}"] = {"lpips": base, "content_loss": 2 * base + 1, "style_loss": 3 - base}
    return out


def _scored(session, comp, user, art_fid, minutes, per_pair, **fields):
    sub = add_scored(session, comp, user, full_scores(art_fid), minutes, label=f"{user.username}-{minutes}", **fields)
    sub.evaluations[0].per_pair = per_pair
    session.flush()
    return sub


@pytest.fixture
def styled(world, settings, tmp_path):
    """A competition on a published hidden set of 3 styles × 5 contents, with four entries and noise."""
    s = world["session"]
    hidden = publish(s, settings, make_dataset(tmp_path / "hid", name="styled-hidden", split="hidden", n_content=N_CONTENT,
                                               n_style=N_STYLE, seed=4, references_per_style=2), reference_stats=None).version
    comp = make_competition(s, "styled", hidden_dataset=hidden, title="Styled")
    users = {name: world.get(name) or make_user(s, name) for name in ("ann", "bob", "cid", "dan", "org")}
    subs = {
        "ann": _scored(s, comp, users["ann"], 10.0, 1, _per_pair(LEVELS["ann"], 1)),
        "ann_worse": _scored(s, comp, users["ann"], 50.0, 2, _per_pair((0.0, 0.0, 0.0), 2)),  # not ann's best
        "bob": _scored(s, comp, users["bob"], 20.0, 3, _per_pair(LEVELS["bob"], 3)),
        "cid": _scored(s, comp, users["cid"], 30.0, 4, _per_pair(LEVELS["cid"], 4)),
        "base": _scored(s, comp, users["org"], 5.0, 5, _per_pair((0.01, 0.01, 0.01), 5), is_baseline=True),
        "dq": _scored(s, comp, users["dan"], 1.0, 6, _per_pair((0.0, 0.0, 0.0), 6),
                      status=SubmissionStatus.DISQUALIFIED),
        "stale": _scored(s, comp, users["dan"], 2.0, 7, _per_pair((0.0, 0.0, 0.0), 7), scorer_version="old-scorer"),
    }
    s.commit()
    return comp, subs


# ---------------------------------------------------------------- the statistics
def test_t_quantile_matches_scipy():
    for df in [*range(1, 80), 100, 250, 1000, 10_000]:
        assert t975(df) == pytest.approx(scipy_stats.t.ppf(0.975, df), abs=2e-6), df


def test_t_interval_covers_the_mean_about_95_percent():
    # 4,000 seeded normal samples of 6 pairs: the share of intervals containing the true mean.
    rng = np.random.default_rng(7)
    samples = rng.normal(3.0, 2.0, size=(4000, 6))
    half = t975(5) * samples.std(axis=1, ddof=1) / np.sqrt(6)
    covered = np.abs(samples.mean(axis=1) - 3.0) <= half
    assert 0.935 <= covered.mean() <= 0.965


def test_style_stats_are_each_styles_mean_and_t_interval(styled, settings):
    comp, subs = styled
    styles = load_styles(settings, comp.hidden_dataset)
    per_pair = subs["bob"].evaluations[0].per_pair
    got = style_stats(per_pair, styles)
    assert [st.n_pairs for st in styles.styles] == [N_CONTENT] * N_STYLE
    assert [st.n_references for st in styles.styles] == [2] * N_STYLE
    for metric in PER_PAIR_METRICS:
        for si in range(N_STYLE):
            values = np.array([per_pair[f"p{ci}{si}"][metric] for ci in range(N_CONTENT)])
            low, high = scipy_stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=scipy_stats.sem(values))
            stat = got[metric][si]
            assert stat.n == N_CONTENT
            assert stat.mean == pytest.approx(values.mean(), rel=1e-12)
            assert (stat.low, stat.high) == (pytest.approx(low, rel=1e-6), pytest.approx(high, rel=1e-6))


def test_style_stats_one_pair_has_no_interval_and_missing_styles_are_none(styled, settings):
    comp, _ = styled
    styles = load_styles(settings, comp.hidden_dataset)
    got = style_stats({"p00": {"lpips": 0.3, "content_loss": 1.0, "style_loss": 2.0},
                       "not-a-pair": {"lpips": 9.0, "content_loss": 9.0, "style_loss": 9.0}}, styles)
    assert got["lpips"][0].mean == 0.3 and got["lpips"][0].low is None and got["lpips"][0].n == 1
    assert got["lpips"][1] is None and got["lpips"][2] is None


def test_hidden_styles_are_numbered_not_named(styled, settings):
    comp, _ = styled
    styles = load_styles(settings, comp.hidden_dataset)
    assert [st.label for st in styles.styles] == ["style 1", "style 2", "style 3"]
    assert not styles.public_names


def test_public_styles_keep_their_file_names(world, settings, tmp_path):
    version = publish(world["session"], settings, make_dataset(tmp_path / "pub", name="open", n_style=2),
                      reference_stats=None).version
    styles = load_styles(settings, version)
    assert [st.label for st in styles.styles] == ["s0.png", "s1.png"] and styles.public_names


# ---------------------------------------------------------------- the table and boards
def test_table_has_the_main_boards_entries_in_its_order(world, styled, settings):
    comp, subs = styled
    session = world["session"]
    table = style_table(session, settings, comp)
    board = [r.submission_id for r in leaderboard_rows(session, comp, None, limit=500)]
    assert [e.row.submission_id for e in table.entries] == board
    ids = set(board)
    assert {subs[k].id for k in ("ann", "bob", "cid", "base")} == ids
    assert not ids & {subs[k].id for k in ("ann_worse", "dq", "stale")}


def test_style_boards_rank_by_the_styles_mean(world, styled, settings):
    comp, subs = styled
    session = world["session"]
    table = style_table(session, settings, comp)
    expected_order = {0: ["base", "ann", "bob", "cid"], 1: ["base", "bob", "ann", "cid"], 2: ["base", "ann", "bob", "cid"]}
    by_id = {sub.id: name for name, sub in subs.items()}
    for si, order in expected_order.items():
        board = table.style_board("lpips", si)
        assert [by_id[e.row.submission_id] for _, e in board] == order
        assert [rank for rank, _ in board] == [None, 1, 2, 3]  # the baseline is a reference line
    # Style loss falls as LPIPS rises in these rows: the ranking flips with the metric.
    flipped = table.style_board("style_loss", 0)
    assert [(rank, by_id[e.row.submission_id]) for rank, e in flipped] == [(1, "cid"), (2, "bob"), (3, "ann"), (None, "base")]


def test_a_rebuilt_table_has_the_new_score_and_the_same_old_values(world, styled, settings):
    comp, subs = styled
    session = world["session"]
    before = style_table(session, settings, comp)
    eve = _scored(session, comp, make_user(session, "eve"), 15.0, 8, _per_pair((0.05, 0.9, 0.05), 8))
    session.commit()
    after = style_table(session, settings, comp)
    old = {e.row.submission_id: e.stats for e in before.entries}
    new = {e.row.submission_id: e.stats for e in after.entries}
    assert set(new) == set(old) | {eve.id}
    assert all(new[sid] == stats for sid, stats in old.items())
    assert after.ranks["lpips"][0][eve.id] == 1 and after.ranks["lpips"][1][eve.id] == 4


# ---------------------------------------------------------------- the pages
def _cells(html: str) -> dict[tuple[int, int], str]:
    """(submission id, style column) -> heat class of every heatmap cell."""
    out = {}
    for sid, row in re.findall(r'<tr data-submission="(\d+)">(.*?)</tr>', html, re.S):
        for col, cls in enumerate(re.findall(r'<td class="cell (heat-[\w-]+)"', row)):
            out[(int(sid), col)] = cls
    return out


def test_heatmap_colours_cells_by_rank_within_the_column(client, styled):
    comp, subs = styled
    response = client.get("/competitions/styled/styles")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    cells = _cells(html)
    ann, bob, cid, base = (subs[k].id for k in ("ann", "bob", "cid", "base"))
    assert (cells[(ann, 0)], cells[(bob, 0)], cells[(cid, 0)]) == ("heat-0", "heat-2", "heat-4")
    assert (cells[(bob, 1)], cells[(ann, 1)]) == ("heat-0", "heat-2")
    assert cells[(base, 0)] == "heat-none"
    assert 'data-metric="lpips"' in html  # the default: the ranking metric (ArtFID) has no per-pair values
    # Hidden style file names never reach the page; the numbered labels do.
    assert "s0.png" not in html and "style 2" in html
    assert "/static/css/per_style.css" in html
    assert "Per-style FID needs at least 100 held-out" in html and "The largest style here has 2 references." in html
    assert "Each submission&#39;s page shows them per style." in html or "Each submission's page shows them per style." in html


def test_heatmap_for_a_chosen_metric_and_a_ranking_metric_that_is_per_pair(client, world, styled):
    comp, subs = styled
    html = client.get("/competitions/styled/styles?metric=style_loss").get_data(as_text=True)
    assert _cells(html)[(subs["cid"].id, 0)] == "heat-0"
    assert 'data-metric="lpips"' in client.get("/competitions/styled/styles?metric=nope").get_data(as_text=True)
    comp.ranking_metric = "content_loss"
    world["session"].commit()
    assert 'data-metric="content_loss"' in client.get("/competitions/styled/styles").get_data(as_text=True)


def test_style_board_page_lists_entries_by_the_styles_mean(client, styled):
    comp, subs = styled
    html = client.get("/competitions/styled/styles/2?metric=lpips").get_data(as_text=True)
    order = [int(x) for x in re.findall(r'<tr data-submission="(\d+)"', html)]
    assert order == [subs[k].id for k in ("base", "bob", "ann", "cid")]
    assert "<h1>style 2</h1>" in html and "s1.png" not in html
    assert html.count('<span class="ci" title="95 % t-interval') == 4  # every entry's half-width beside its mean
    assert client.get("/competitions/styled/styles/0").status_code == 404
    assert client.get("/competitions/styled/styles/4").status_code == 404
    picked = client.get("/competitions/styled/styles?style=3&metric=content_loss")
    assert picked.status_code == 302 and picked.headers["Location"].endswith("/competitions/styled/styles/3?metric=content_loss")


def test_style_board_is_paged_in_the_styles_order(client, styled, monkeypatch):
    from arena.web.public import per_style as views

    comp, subs = styled
    monkeypatch.setattr(views, "ROWS_PER_PAGE", 3)
    pages = [client.get(f"/competitions/styled/styles/2?metric=lpips&page={n}").get_data(as_text=True)
             for n in (1, 2, 9)]
    rows = [[int(x) for x in re.findall(r'<tr data-submission="(\d+)"', html)] for html in pages]
    assert rows[0] + rows[1] == [subs[k].id for k in ("base", "bob", "ann", "cid")]
    assert rows[2] == rows[1]  # past the end: the last page
    assert "Page 2 of 2 · 4 entries" in pages[1] and 'rel="prev"' in pages[1] and 'rel="next"' not in pages[1]
    assert 'href="/competitions/styled/styles/2?metric=lpips&amp;page=2"' in pages[0]


def test_pages_without_a_readable_dataset_say_so(client, world):
    # The webseed competition's versions are rows without files.
    html = client.get("/competitions/demo/styles").get_data(as_text=True)
    assert "no readable hidden dataset version" in html
    assert client.get("/competitions/demo/styles/1").status_code == 404
    assert client.get("/competitions/nowhere/styles").status_code == 404


def test_submission_page_shows_its_per_style_means(client, styled):
    comp, subs = styled
    html = client.get(f"/submissions/{subs['ann'].id}").get_data(as_text=True)
    assert 'data-section="per-style"' in html
    section = html.split('data-section="per-style"', 1)[1]
    assert [int(x) for x in re.findall(r'<tr data-style="(\d+)"', section)] == [1, 2, 3]
    assert "s0.png" not in html
    per_pair = subs["ann"].evaluations[0].per_pair
    mean = np.mean([per_pair[f"p{ci}1"]["content_loss"] for ci in range(N_CONTENT)])
    from arena.web.templating import format_metric

    assert format_metric(float(mean)) in section


def test_competition_page_links_the_breakdown(client, styled):
    assert 'href="/competitions/styled/styles"' in client.get("/competitions/styled").get_data(as_text=True)


def test_pages_serve_the_cached_table_until_the_board_changes(app, client, world, styled, monkeypatch):
    from arena.web.cache import EXTENSION_KEY, TTLCache
    from arena.web.public import per_style as views

    comp, subs = styled
    now = [100.0]
    app.extensions[EXTENSION_KEY] = TTLCache(10, clock=lambda: now[0])
    app.config["REFRESH_IN_BACKGROUND"] = False  # the fingerprint read at once, so each step shows at once
    built: list[int] = []
    real = views.style_table
    monkeypatch.setattr(views, "style_table", lambda *a: built.append(1) or real(*a))
    login_as(client, "ann")  # a session: the page renders fresh, only the table comes from the cache
    first = client.get("/competitions/styled/styles").get_data(as_text=True)
    assert first.count("<tr data-submission") == 4 and len(built) == 1
    now[0] += 60  # long past the TTL, the board unchanged: the table is not rebuilt
    assert client.get("/competitions/styled/styles/1").status_code == 200 and len(built) == 1
    late = _scored(world["session"], comp, make_user(world["session"], "late"), 12.0, 9, _per_pair((0.2, 0.2, 0.2), 9))
    world["session"].commit()
    now[0] += 1.5  # the board's fingerprint is read again: a new entry, one rebuild
    assert f'data-submission="{late.id}"' in client.get("/competitions/styled/styles").get_data(as_text=True)
    assert len(built) == 2
    # A new scorer version is a new board target: never served from the older table.
    comp.scorer_version = "v2"
    late.evaluations[0].scorer_version = "v2"
    world["session"].commit()
    rows = re.findall(r'<tr data-submission="(\d+)"', client.get("/competitions/styled/styles").get_data(as_text=True))
    assert rows == [str(late.id)]


def test_heatmap_pages_follow_the_board_order_and_ranks_span_all_pages(client, styled, monkeypatch):
    from arena.web.public import per_style as views

    comp, subs = styled
    monkeypatch.setattr(views, "ROWS_PER_PAGE", 2)
    pages = [client.get(f"/competitions/styled/styles?page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    rows = [[int(x) for x in re.findall(r'<tr data-submission="(\d+)"', html)] for html in pages]
    assert rows[0] + rows[1] == [subs[k].id for k in ("base", "ann", "bob", "cid")]
    assert rows[2] == rows[1]  # past the end: the last page
    assert "Page 2 of 2" in pages[1]
    # cid is worst of style 1 on page 2: its colour counts every entry, not just the page's.
    assert _cells(pages[1])[(subs["cid"].id, 0)] == "heat-4"


def test_submission_page_shows_per_style_fid_kid_or_why_not(client, world, styled):
    from arena.web.templating import format_metric
    from evaluator.metrics.per_style_sets import SetStatus, SetValue, StyleSets, to_json

    comp, subs = styled
    evaluation = subs["ann"].evaluations[0]
    evaluation.provenance = {**(evaluation.provenance or {}), "per_style_sets": to_json({
        "s0.png": StyleSets(120, 150, SetValue(42.125, SetStatus.OK), SetValue(0.0375, SetStatus.OK)),
        "s1.png": StyleSets(30, 2, SetValue(None, SetStatus.FEW_REFERENCES), SetValue(None, SetStatus.FEW_REFERENCES)),
    })}
    world["session"].commit()
    html = client.get(f"/submissions/{subs['ann'].id}").get_data(as_text=True)
    section = html.split('data-section="per-style"', 1)[1]
    rows = dict(re.findall(r'<tr data-style="(\d+)">(.*?)</tr>', section, re.S))
    fid = lambda row: re.search(r'data-set="fid">(.*?)</td>', row, re.S).group(1)  # noqa: E731
    assert format_metric(42.125) in fid(rows["1"]) and format_metric(0.0375) in rows["1"]
    assert "not enough references" in fid(rows["2"]) and format_metric(42.125) not in rows["2"]
    assert "—" in fid(rows["3"])  # a style the worker did not report
    assert "s0.png" not in html  # keyed by file name in provenance, shown by label
    # An evaluation scored before per-style sets has no such columns.
    other = client.get(f"/submissions/{subs['bob'].id}").get_data(as_text=True).split('data-section="per-style"', 1)[1]
    assert 'data-set="fid"' not in other and "before per-style FID and KID were computed" in " ".join(other.split())
