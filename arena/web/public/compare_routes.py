"""Public views of issue 16: the compare view, the quality-vs-speed data, the dev set's gallery inputs."""
from __future__ import annotations

from flask import abort, jsonify, render_template, request, send_file

from arena.services.pareto import pareto_data, to_json
from arena.web.cache import cached_for_visitors
from arena.web.db_session import get_session, get_settings
from arena.web.gallery import input_file
from arena.web.public import bp
from arena.web.public.compare import CompareError, better_side, comparison, parse_ids
from arena.web.public.queries import competition_or_404, viewer


@bp.get("/competitions/<slug>/pareto.json")
@cached_for_visitors
def pareto_json(slug: str):
    """The ranking metric against median latency, one point per entry, Pareto front marked."""
    session = get_session()
    return jsonify(to_json(pareto_data(session, competition_or_404(session, slug, viewer()))))


@bp.get("/competitions/<slug>/compare")
def compare(slug: str):
    """Two entries' outputs on the same public pairs (``?s=<id>&s=<id>``, as the board's checkboxes send)."""
    session = get_session()
    comp = competition_or_404(session, slug, viewer())
    try:
        view = comparison(session, get_settings(), comp, parse_ids(request.args.getlist("s")), viewer())
    except CompareError as exc:
        return render_template("compare.html", competition=comp, view=None, error=str(exc)), 400
    return render_template("compare.html", competition=comp, view=view, error=None, better=better_side)


@bp.get("/competitions/<slug>/dev/<kind>/<name>")
def dev_image(slug: str, kind: str, name: str):
    """A content or style image of the public dev set that one of its pairs names (for the gallery)."""
    comp = competition_or_404(get_session(), slug, viewer())
    path = input_file(get_settings(), comp, kind, name)
    if path is None:
        abort(404)
    return send_file(path, max_age=86400)
