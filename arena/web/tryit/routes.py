"""Views of the try-it blueprint. Nothing here decodes beyond the intake or runs a model.

The visitor's files are read here with a byte cap, then handed to the service, which
re-encodes them before anything is stored; the run is a job on the ``tryit`` queue. The
result pages are the visitor's own (an unguessable token, checked against the account).
"""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from arena.core.errors import ArenaError
from arena.core.models import Submission, TryItStatus
from arena.services.addresses import address_hash
from arena.services.tryit.catalog import (DEFAULT_MODELS, public_style_path, public_styles, tryable_submission, tryit_competitions,
                                          tryit_models)
from arena.services.tryit.requests import TryItLimits, create_request, enqueue, request_for, set_opt_in
from arena.web.db_session import get_session, get_settings
from arena.web.extensions import limiter
from arena.web.public.queries import competition_or_404, viewer
from arena.web.tryit import bp
from evaluator.tryit_images import MAX_BYTES
from evaluator.tryit_store import tryit_path

WHICH = ("content", "style", "result")


@bp.record_once
def _defaults(state) -> None:
    # In the app's config so a deployment (or a test) can tighten them.
    state.app.config.setdefault("TRYIT_PER_USER_HOUR", TryItLimits.per_user_hour)
    state.app.config.setdefault("TRYIT_PER_ADDRESS_HOUR", TryItLimits.per_address_hour)


def _limits() -> TryItLimits:
    return TryItLimits(current_app.config["TRYIT_PER_USER_HOUR"], current_app.config["TRYIT_PER_ADDRESS_HOUR"])


def _address_limit() -> str:
    # flask-limiter's per-address ceiling in front of the SQL counts (which also hold per account).
    return f"{current_app.config['TRYIT_PER_ADDRESS_HOUR']} per hour"


def _read(field: str) -> bytes | None:
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(MAX_BYTES + 1)  # one byte past the cap is enough to refuse it
    return data


def _form_context(slug: str | None, show_all: bool):
    session, settings = get_session(), get_settings()
    competitions = tryit_competitions(session)
    competition = next((c for c in competitions if c.slug == slug), competitions[0] if competitions else None)
    models = tryit_models(session, competition, None if show_all else DEFAULT_MODELS) if competition else []
    styles = public_styles(settings, competition) if competition else []
    return dict(competitions=competitions, competition=competition, models=models, styles=styles,
                show_all=show_all, default_models=DEFAULT_MODELS, max_mb=MAX_BYTES // (1024 * 1024))


@bp.get("/try")
@login_required
def page():
    """The form: photo, a public style or one's own, and a model (the board's top opted-in first)."""
    return render_template("tryit/page.html", **_form_context(request.args.get("competition"),
                                                                request.args.get("all") == "1"))


@bp.post("/try")
@login_required
@limiter.limit(_address_limit, methods=["POST"])
def create():
    """Take the request in and queue it; the visitor lands on its status page."""
    session, settings = get_session(), get_settings()
    slug = request.form.get("competition", "")

    def refuse(message: str, status: int = 400):
        flash(message, "error")
        context = _form_context(slug, False)
        return render_template("tryit/page.html", **context), status

    competition = competition_or_404(session, slug, viewer())
    submission = tryable_submission(session, request.form.get("model", type=int) or 0)
    if submission is None or submission.competition_id != competition.id:
        return refuse("Pick one of the models listed: only models their owners opted in can be tried.")
    photo = _read("photo")
    if photo is None:
        return refuse("Choose a photo (JPEG, PNG or WebP) to stylize.")
    style = _read("style_file")
    if style is None:
        path = public_style_path(settings, competition, request.form.get("style", ""))
        if path is None:
            return refuse("Pick a style from the list or upload your own style image.")
        style = path.read_bytes()
    try:
        tried = create_request(session, settings, current_user, submission, photo, style,
                               address_hash(settings.secret_key, request.remote_addr), _limits())
    except ArenaError as exc:
        session.rollback()
        return refuse(exc.message, exc.http_status)
    session.commit()
    if not enqueue(settings, tried):
        tried.status, tried.error = TryItStatus.FAILED, "The queue is unavailable just now; try again in a minute."
        session.commit()
    return redirect(url_for("tryit.status_page", token=tried.token))


def _state(tried) -> dict:
    done = tried.status is TryItStatus.DONE
    return {"status": tried.status.value, "final": tried.status in (TryItStatus.DONE, TryItStatus.FAILED),
            "error": tried.error, "result_url": url_for("tryit.image", token=tried.token, which="result") if done else None,
            "expires_at": tried.expires_at.isoformat()}


@bp.get("/try/r/<token>")
@login_required
def status_page(token: str):
    """Progress (polled by JS, refreshed without it), then content | style | result."""
    tried = request_for(get_session(), token, current_user)
    return render_template("tryit/status.html", tried=tried, state=_state(tried), submission=tried.submission)


@bp.get("/try/r/<token>/status.json")
@login_required
def status_json(token: str):
    """The request's state for the page's poller (never cached)."""
    response = jsonify(_state(request_for(get_session(), token, current_user)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/try/r/<token>/<which>.png")
@login_required
def image(token: str, which: str):
    """One of the request's three pictures; ``?download=1`` saves it."""
    tried = request_for(get_session(), token, current_user)
    sha = {"content": tried.content_sha256, "style": tried.style_sha256, "result": tried.result_sha256}.get(which)
    if not sha or not tryit_path(get_settings(), sha).is_file():
        abort(404)
    response = send_file(tryit_path(get_settings(), sha), mimetype="image/png",
                         as_attachment=request.args.get("download") == "1",
                         download_name=f"stylearena-{which}-{tried.token[:8]}.png", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/try/<slug>/styles/<name>")
def style_image(slug: str, name: str):
    """A public-split style image, for the picker (never the hidden split's).

    No login: these are the dev set's own files, which anyone may download; and a login
    redirect would echo the requested name back (the leak probe asks for hidden names).
    """
    competition = competition_or_404(get_session(), slug, viewer())
    path = public_style_path(get_settings(), competition, name)
    if path is None:
        abort(404)
    return send_file(path, max_age=3600)


@bp.post("/me/submissions/<int:submission_id>/try-it")
@login_required
def opt_in(submission_id: int):
    """The owner's "allow visitors to try this model" switch."""
    session = get_session()
    submission = session.get(Submission, submission_id)
    if submission is None:
        abort(404)
    try:
        set_opt_in(session, submission, current_user, request.form.get("allow") == "1")
    except ArenaError as exc:
        abort(exc.http_status)
    session.commit()
    flash("Visitors can now try this model." if submission.allow_try_it else "Visitors can no longer try this model.",
          "success")
    return redirect(url_for("me.submission", submission_id=submission_id))
