"""Views of the ``/me`` blueprint; every object is looked up through its owner."""
from __future__ import annotations

from flask import Response, jsonify, render_template
from flask_login import current_user, login_required

from arena.web.db_session import get_session, get_settings
from arena.web.gallery import gallery_images
from arena.web.me import bp
from arena.web.me.finals import final_choice_summaries
from arena.web.me.status import TRACKER_STEPS, submission_status
from arena.web.public.queries import current_evaluation, own_submissions, owned_submission_or_404, ranking_score


@bp.get("/submissions")
@login_required
def submissions():
    """The current user's submissions, newest first, each with its ranking-metric score."""
    submissions = own_submissions(get_session(), current_user)
    return render_template("me/submissions.html", submissions=submissions,
                           ranking_scores={s.id: ranking_score(s) for s in submissions},
                           finals=final_choice_summaries(submissions))


@bp.get("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    """The owner's page: live status, error, scores with provenance, gallery, log link."""
    sub = owned_submission_or_404(get_session(), submission_id, current_user)
    evaluation = current_evaluation(sub)
    return render_template(
        "me/submission.html", submission=sub, evaluation=evaluation,
        scores=sorted(evaluation.scores, key=lambda s: s.metric) if evaluation else [],
        images=gallery_images(get_settings(), sub), live=submission_status(sub), tracker=TRACKER_STEPS,
        finals=final_choice_summaries([sub]),
    )


@bp.get("/submissions/<int:submission_id>/status.json")
@login_required
def status(submission_id: int):
    """The submission's status for the page's poller (cheap, never cached)."""
    sub = owned_submission_or_404(get_session(), submission_id, current_user)
    response = jsonify(submission_status(sub))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/submissions/<int:submission_id>/log")
@login_required
def log(submission_id: int):
    """The log of the public-split run, as plain text (owner only)."""
    sub = owned_submission_or_404(get_session(), submission_id, current_user)
    # text/plain + nosniff: participant-written output must never render as HTML.
    response = Response(sub.public_log or _no_log_text(sub), mimetype="text/plain")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _no_log_text(sub) -> str:
    """What the log page says when there is no public-split log (never a blank page)."""
    if sub.failed_on_smoke:
        return "The public smoke run failed before it printed anything.\n"
    if sub.error_code:
        return (f"This submission failed ({sub.error_code}) after the public smoke run, on the hidden run.\n"
                f"{sub.error_message or ''}\n\nLogs are kept only for the public smoke run: a hidden run's output "
                "would describe the hidden images, so it is never shown.\n")
    return "No log yet: the public smoke run has not finished.\n"
