"""The Pareto front, the cost columns, exports and the compare view, through the real app and database."""
from __future__ import annotations

import csv
import io

import pytest
from efficiency_seed import ENTRIES, seed_competition
from webfixtures import app, client  # noqa: F401  (fixtures)

from arena.services.pareto import Point, layout, pareto_data, pareto_front


def _point(sid: int, value: float, latency: float) -> Point:
    return Point(sid, f"u{sid}", "", False, value, None, latency, latency, True)


def test_pareto_front_keeps_the_entries_nothing_beats_on_both_axes():
    points = [_point(1, 80, 0.05), _point(2, 55, 2), _point(3, 60, 90), _point(4, 35, 4000), _point(5, 55, 3)]
    assert pareto_front(points, higher_is_better=False) == {1, 2, 4}  # 3 and 5 are slower and no better
    assert pareto_front(points, higher_is_better=True) == {1}  # higher is better: the fastest is also the best


@pytest.mark.parametrize("interval", [None, (171.6, 171.6)])
def test_a_single_entry_is_drawn_inside_the_plot(interval):
    # One entry (or entries with one value and no spread) used to divide the y scale by zero
    # and take the competition page down with it.
    from dataclasses import replace

    from arena.services.pareto import Pareto

    point = replace(_point(1, 171.6, 12.0), interval=interval, pareto=True)
    data = Pareto(competition=None, metric_name="art_fid", metric_label="ArtFID", higher_is_better=False,
                  limits=None, points=[point], unmeasured=0)
    plot = layout(data, 720, 380)
    (dot,) = plot.dots
    assert plot.top < dot["y"] < plot.bottom and plot.left <= dot["x"] <= plot.right
    assert len(plot.y_ticks) >= 2


@pytest.fixture
def seeded(db_session, settings, tmp_path):
    return seed_competition(db_session, settings, tmp_path)


def test_plot_data_marks_the_front_and_uses_a_log_axis_across_orders_of_magnitude(db_session, seeded):
    comp, subs = seeded
    data = pareto_data(db_session, comp)
    front = {p.participant for p in data.points if p.pareto}
    assert front == {"identity", "tinyconv", "adain", "slowpoke"}  # bulky and the baseline are dominated
    assert data.log_x and data.limits.label == "CPU · 2 CPUs · 4096 MB"
    plot = layout(data, 720, 380)
    xs = {d["point"].participant: d["x"] for d in plot.dots}
    ys = {d["point"].participant: d["y"] for d in plot.dots}
    assert xs["identity"] < xs["tinyconv"] < xs["adain"] < xs["slowpoke"]  # slower is right
    assert ys["slowpoke"] < ys["adain"] < ys["tinyconv"] < ys["identity"]  # better (lower FID) is up
    assert plot.front_path.count("L") == len(front) - 1
    assert all(d.get("label") for d in plot.dots if d["point"].pareto)


def test_other_limits_are_listed_not_plotted(db_session, seeded):
    comp, subs = seeded
    cost = db_session.get(type(subs["bulky"].evaluations[0]), subs["bulky"].evaluations[0].id)
    from arena.core.models import EvaluationEfficiency

    db_session.get(EvaluationEfficiency, cost.id).cpus = 8.0
    db_session.commit()
    data = pareto_data(db_session, comp)
    assert {p.participant for p in data.points if not p.comparable} == {"bulky"}
    assert "bulky" not in {p.participant for p in data.plotted}


def test_competition_page_draws_the_svg_and_its_table(client, seeded):  # noqa: F811
    comp, subs = seeded
    html = client.get(f"/competitions/{comp.slug}").get_data(as_text=True)
    assert html.count('class="pareto-svg') == 2  # desktop and phone layouts
    assert "(log scale)" in html and "The points as a table" in html
    assert html.count("Pareto-optimal</td>") == 4
    data = client.get(f"/competitions/{comp.slug}/pareto.json").get_json()
    assert data["log_x"] is True and data["metric"] == comp.ranking_metric
    by_user = {p["participant"]: p for p in data["points"]}
    assert by_user["bulky"]["pareto"] is False and by_user["slowpoke"]["pareto"] is True
    assert by_user["adain"]["latency_median_ms"] == 40.0 and by_user["adain"]["spread"] == 1.4
    assert len(data["points"]) == len(ENTRIES)


def test_cost_columns_are_opt_in_and_exported(client, seeded):  # noqa: F811
    comp, subs = seeded
    plain = client.get(f"/competitions/{comp.slug}/leaderboard").get_data(as_text=True)
    assert 'data-cost="latency"' not in plain and "Show cost" in plain
    shown = client.get(f"/competitions/{comp.slug}/leaderboard?cost=1").get_data(as_text=True)
    assert shown.count('data-cost="latency"') == len(ENTRIES) + 1  # header + rows
    assert "×1.40" in shown  # the spread beside the median
    # The board is still ranked by the metric, never by latency.
    rows = client.get(f"/competitions/{comp.slug}/leaderboard.json").get_json()["rows"]
    assert [r["participant"] for r in rows if not r["baseline"]][0] == "slowpoke"
    assert rows[0]["efficiency"]["limits"] == {"device": "cpu", "cpus": 2.0, "memory_mb": 4096}
    table = list(csv.DictReader(io.StringIO(client.get(f"/competitions/{comp.slug}/leaderboard.csv").get_data(as_text=True))))
    assert {r["participant"]: float(r["latency_median_ms"]) for r in table}["identity"] == 0.05


def test_submission_page_shows_cost_and_triplets(client, seeded):  # noqa: F811
    comp, subs = seeded
    html = client.get(f"/submissions/{subs['adain'].id}").get_data(as_text=True)
    assert "40.0 ms" in html and "p95 56.0 ms" in html and "exact" in html
    assert html.count('class="triplet"') == 4
    # The triplet's inputs are the public dev set's own files; nothing else is served.
    assert client.get(f"/competitions/{comp.slug}/dev/content/c0.png").status_code == 200
    assert client.get(f"/competitions/{comp.slug}/dev/style/s1.png").status_code == 200
    for bad in ("content/s0.png", "style/../content/c0.png", "references/r0.png", "content/missing.png"):
        assert client.get(f"/competitions/{comp.slug}/dev/{bad}").status_code == 404, bad


def test_compare_view_pairs_two_entries_on_the_same_public_pairs(client, seeded):  # noqa: F811
    comp, subs = seeded
    a, b = subs["adain"].id, subs["organizers"].id
    response = client.get(f"/competitions/{comp.slug}/compare?s={a}&s={b}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('class="compare-pair"') == 4 and html.count('type="range"') == 4
    assert f"/submissions/{a}/outputs/p00.png" in html and f"/submissions/{b}/outputs/p00.png" in html
    # adain (index 2) has the lower LPIPS on every pair than the baseline (index 5): marked better.
    assert html.count('<td class="better">0.2') == 4
    assert client.get(f"/competitions/{comp.slug}/compare?s={a}").status_code == 400
    assert client.get(f"/competitions/{comp.slug}/compare?s={a}&s={a}").status_code == 400
    assert client.get(f"/competitions/{comp.slug}/compare?s={a}&s=999999").status_code == 404
