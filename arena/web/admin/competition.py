"""The organizer page of one competition: every submission, both runs' logs, rescore progress,
the audit log, and moderation guarded like the CLI (CSRF on every form, then a confirmation page
that names the competition, participant, label and rank before anything changes)."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from arena.core.competition_limits import run_limits_for
from arena.core.errors import ArenaError
from arena.core.models import Submission, utcnow
from arena.services.audit import entries
from arena.services.competitions import get_competition
from arena.services.moderation import competition_submission, describe, disqualify_submission, reinstate_submission
from arena.services.switch import switch_targets
from arena.services.upload_rules import phase, schedule_text
from arena.web.admin import bp
from arena.web.admin.routes import organizer_required
from arena.web.db_session import get_session, get_settings

ACTIONS = ("disqualify", "reinstate")
DONE = {"disqualify": "Disqualified", "reinstate": "Reinstated"}  # the flash after the change


def _actor() -> str:
    return f"web:{current_user.username}"


def _private(html: str, status: int = 200):
    response = make_response(html, status)
    # Hidden-run detail and moderation state: never kept by a shared or history cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/competitions/<slug>")
@organizer_required
def competition(slug: str):
    """Every submission with status and owner, rescore progress per target (with switch buttons), the audit log."""
    session = get_session()
    comp = get_competition(session, slug)
    submissions = list(session.scalars(select(Submission).where(Submission.competition_id == comp.id)
                                       .order_by(Submission.id.desc())))
    return _private(render_template(
        "admin/competition.html", competition=comp, submissions=submissions, phase=phase(comp, utcnow()).value,
        schedule=schedule_text(comp), targets=switch_targets(session, comp), audit=entries(session, comp, 200),
        limits=run_limits_for(get_settings().sandbox, comp.sandbox_timeout_s, comp.sandbox_memory_mb)))


@bp.post("/competitions/<slug>/submissions/<int:submission_id>/<action>")
@organizer_required
def moderate(slug: str, submission_id: int, action: str):
    """First POST: the confirmation page. Second POST (``confirm=yes``): the change, then back."""
    if action not in ACTIONS:
        abort(404)
    session = get_session()
    comp = get_competition(session, slug)
    reason = (request.form.get("reason") or "").strip()
    try:
        summary = describe(session, competition_submission(session, comp, submission_id))
        if request.form.get("confirm") != "yes":
            if action == "disqualify" and not reason:
                raise ArenaError("reason_required", "Give a reason for the disqualification: the participant sees it.")
            return _private(render_template("admin/confirm.html", competition=comp, summary=summary, action=action,
                                            reason=reason))
        if action == "disqualify":
            disqualify_submission(session, comp, submission_id, reason, actor=_actor())
        else:
            reinstate_submission(session, comp, submission_id, actor=_actor())
        session.commit()
    except ArenaError as exc:
        session.rollback()
        flash(f"{exc.message} (code: {exc.code})", "error")
        return redirect(url_for("admin.competition", slug=slug), 303)
    flash(f"{DONE[action]} {summary.text()}", "success")
    return redirect(url_for("admin.competition", slug=slug), 303)
