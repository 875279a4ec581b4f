"""The final-choice toggle of the participant's pages (issue 15): one form, one summary per competition."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required

from arena.core.models import Submission, utcnow
from arena.services.final_choices import FinalChoiceRefused, FinalChoiceSummary, final_choice_summary, mark_final
from arena.web.db_session import get_session
from arena.web.me import bp
from arena.web.public.queries import owned_submission_or_404


def final_choice_summaries(submissions: list[Submission]) -> dict[int, FinalChoiceSummary]:
    """Per competition (id) among ``submissions``, the current user's final choice there."""
    session, now = get_session(), utcnow()
    competitions = {s.competition_id: s.competition for s in submissions
                    if not (s.is_baseline or s.is_rehearsal)}
    return {cid: final_choice_summary(session, competition, current_user, now)
            for cid, competition in competitions.items()}


@bp.post("/submissions/<int:submission_id>/final")
@login_required
def final(submission_id: int):
    """Mark (``final=1``) or unmark (``final=0``) one of the user's submissions as final."""
    session = get_session()
    submission = owned_submission_or_404(session, submission_id, current_user)
    wanted = request.form.get("final") == "1"
    try:
        mark_final(session, current_user, submission, wanted, utcnow())
    except FinalChoiceRefused as refused:
        session.rollback()
        flash(refused.message, "error")
    else:
        session.commit()
        name = submission.label or f"#{submission.id}"
        flash(f"{name} is marked final." if wanted else f"{name} is no longer marked final.", "success")
    # Back to the page the form was on (a fixed choice: never a redirect to a sent address).
    if request.form.get("back") == "submission":
        return redirect(url_for("me.submission", submission_id=submission_id))
    return redirect(url_for("me.submissions") + f"#submission-{submission_id}")
