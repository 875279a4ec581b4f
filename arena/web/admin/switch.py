"""The organizer page's board switch and its live rescore progress.

The switch is the CLI's `competition configure --hidden-dataset/--scorer-version [--force]`
behind a button: the first POST shows what ``check_switch`` says (how many eligible submissions
lack a finished evaluation on the target, and the refusal unless forced); the second POST
(``confirm=yes``) calls ``switch_board``, the service the CLI calls.
"""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for

from arena.core.errors import ArenaError
from arena.core.models import DatasetVersion
from arena.services.competitions import get_competition
from arena.services.switch import preview_switch, switch_board, switch_targets
from arena.web.admin import bp
from arena.web.admin.competition import _actor, _private
from arena.web.admin.routes import organizer_required
from arena.web.db_session import get_session, get_settings


def _target_version(session, raw: str | None) -> DatasetVersion:
    """The hidden version the form names (by id); the split itself is checked by ``switch_board``."""
    version = session.get(DatasetVersion, int(raw)) if raw and raw.isdigit() else None
    if version is None:
        raise ArenaError("no_such_version", f"No dataset version with id {raw!r}; reload the organizer page.")
    return version


@bp.post("/competitions/<slug>/switch")
@organizer_required
def switch(slug: str):
    """First POST: the confirmation page with the guard's verdict. Second POST (``confirm=yes``): the switch."""
    session = get_session()
    comp = get_competition(session, slug)
    scorer = (request.form.get("scorer_version") or "").strip() or comp.scorer_version
    force = request.form.get("force") == "yes"
    back = redirect(url_for("admin.competition", slug=slug) + "#progress", 303)
    try:
        version = _target_version(session, request.form.get("dataset_version_id"))
        if request.form.get("confirm") != "yes":
            preview = preview_switch(session, comp, version.id, scorer)
            return _private(render_template("admin/confirm_switch.html", competition=comp, preview=preview,
                                            version=version))
        warning = switch_board(session, get_settings(), comp, version, scorer, force=force, actor=_actor())
        session.commit()
    except ArenaError as exc:
        session.rollback()
        flash(f"{exc.message} (code: {exc.code})", "error")
        return back
    flash(warning or f"The board now ranks by dataset version #{version.id} and scorer {scorer}.",
          "info" if warning else "success")
    return back


@bp.get("/competitions/<slug>/progress.json")
@organizer_required
def progress(slug: str):
    """Rescore progress per target, for the organizer page's live refresh; ``active`` while anything runs."""
    comp = get_competition(get_session(), slug)
    targets = [t.to_dict() for t in switch_targets(get_session(), comp)]
    response = jsonify({"competition": comp.slug, "active": any(t["queued"] or t["running"] for t in targets),
                        "targets": targets})
    response.headers["Cache-Control"] = "no-store"
    return response
