"""Views of the submit blueprint."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from arena.services.submissions import charging_rule
from arena.core.enums import CompetitionStatus
from arena.core.errors import ArenaError
from arena.web.db_session import get_session, get_settings
from arena.web.extensions import limiter
from arena.web.public.queries import competition_or_404, quota_status, viewer
from arena.web.submit import bp
from arena.web.submit.forms import SubmitForm
from arena.web.uploads import accept_upload


@bp.route("/competitions/<slug>/submit", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_UPLOAD"], methods=["POST"])
def submit(slug: str):
    """Show the upload form; on a valid POST create a queued submission."""
    session = get_session()
    settings = get_settings()
    competition = competition_or_404(session, slug, viewer())
    form = SubmitForm()
    status = 200
    is_open = competition.status == CompetitionStatus.OPEN
    if form.validate_on_submit():
        if not is_open:
            form.form_errors.append("This competition is not accepting submissions.")
        else:
            try:
                submission = accept_upload(
                    session, settings, current_user, competition, form.generator.data,
                    (form.label.data or "").strip(), (form.notes.data or "").strip(),
                )
            except ArenaError as exc:
                form.generator.errors.append(f"{exc.message} (code: {exc.code})")
            else:
                flash("Submission received: it is queued for scoring.", "success")
                return redirect(url_for("me.submission", submission_id=submission.id))
    if form.is_submitted():
        status = 400
    return render_template(
        "submit.html", competition=competition, form=form, is_open=is_open,
        quota=quota_status(session, current_user, competition),
        max_bytes=settings.max_upload_mb * 1024 * 1024, charging_rule=charging_rule(competition),
    ), status
