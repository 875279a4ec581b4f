"""Views of the submit blueprint."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from arena.core.errors import ArenaError
from arena.core.models import Competition, utcnow
from arena.core.sizes import MB
from arena.services.submissions import charging_rule
from arena.services.upload_rules import Phase, phase, schedule_text
from arena.web.db_session import get_session, get_settings
from arena.web.extensions import limiter
from arena.web.public.queries import competition_or_404, viewer
from arena.web.submit import bp
from arena.web.submit.availability import availability
from arena.web.submit.forms import ACCEPT, SubmitForm
from arena.web.uploads import accept_upload


@bp.route("/competitions/<slug>/submit", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_UPLOAD"], methods=["POST"])
def submit(slug: str):
    """Show the upload form; on a valid POST create a queued submission."""
    session = get_session()
    competition = competition_or_404(session, slug, viewer())
    form = SubmitForm()
    if form.validate_on_submit():
        try:
            submission = accept_upload(
                session, get_settings(), current_user, competition, form.generator.data,
                (form.label.data or "").strip(), (form.notes.data or "").strip(),
            )
        except ArenaError as exc:
            form.generator.errors.append(f"{exc.message} (code: {exc.code})")
        else:
            flash("Submission received: it is queued for scoring.", "success")
            return redirect(url_for("me.submission", submission_id=submission.id))
    return render_submit_page(competition, form, 400 if form.is_submitted() else 200)


def render_submit_page(competition: Competition, form: SubmitForm, status: int):
    """The submit page with ``form`` (and its errors), the quota and why uploading is disabled, if it is."""
    session = get_session()
    return render_template(
        "submit.html", competition=competition, form=form,
        availability=availability(session, viewer(), competition),
        max_bytes=get_settings().max_upload_mb * MB, charging_rule=charging_rule(competition), accept=ACCEPT,
    ), status


def too_large_page(slug: str, message: str):
    """The submit page again after a request over the size limit (no-JS browsers land here).

    The body was refused unread, so nothing of the form came through: the page shows the
    empty form with the limit at the file field. None when that page cannot be shown (a
    visitor, an unknown competition); the caller then shows the plain error page.
    """
    if not current_user.is_authenticated:
        return None
    try:
        competition = competition_or_404(get_session(), slug, viewer())
    except ArenaError:
        return None
    form = SubmitForm(formdata=None)
    form.generator.errors = [f"{message} Nothing was uploaded: choose a smaller file and send the form again."]
    return render_submit_page(competition, form, 413)


@bp.app_template_global("upload_phase")
def upload_phase(competition: Competition) -> Phase:
    """The competition's phase now (draft, upcoming, open, ended, closed), for every page that shows it."""
    return phase(competition, utcnow())


@bp.app_template_global("upload_schedule")
def upload_schedule(competition: Competition) -> str:
    """The upload window in words, in the competition's time zone."""
    return schedule_text(competition)
