"""Views of the rules blueprint: the rules page (public) and the accept form (logged in, CSRF)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from arena.services.rules import accept_rules, rules_exempt, rules_state
from arena.web.accounts.forms import PostForm
from arena.web.db_session import get_session
from arena.web.public.queries import competition_or_404, viewer
from arena.web.rules import bp

# Where the accept form may send the participant next: only names, never a URL (no open redirect).
_NEXT_PAGES = {"submit": "submit.submit"}


def _next_name() -> str | None:
    name = request.args.get("next")
    return name if name in _NEXT_PAGES else None


@bp.get("/competitions/<slug>/rules")
def rules(slug: str):
    """The competition's rules (sanitized Markdown) and, for a participant, where they stand with them."""
    session = get_session()
    competition = competition_or_404(session, slug, viewer())
    user = viewer()
    return render_template(
        "rules.html", competition=competition, state=rules_state(session, user, competition),
        exempt=user is not None and rules_exempt(competition, user), form=PostForm(), next_name=_next_name())


@bp.post("/competitions/<slug>/rules/accept")
@login_required
def accept(slug: str):
    """Record that the participant accepts the rules as shown now, then go on (to the submit page if asked)."""
    session = get_session()
    competition = competition_or_404(session, slug, viewer())
    if not PostForm().validate_on_submit():
        flash("The form expired; press 'I accept the rules' again.", "error")
        return redirect(url_for("rules.rules", slug=slug, next=_next_name()))
    if not rules_state(session, current_user, competition).required:
        flash("This competition has no rules to accept; you can upload without.", "info")
        return redirect(url_for("public.competition", slug=slug))
    row = accept_rules(session, current_user, competition)
    session.commit()
    flash(f"You accepted the rules (version {row.rules_sha256[:12]}). You can upload now.", "success")
    name = _next_name()
    if name is not None:
        return redirect(url_for(_NEXT_PAGES[name], slug=slug))
    return redirect(url_for("rules.rules", slug=slug))


@bp.app_template_global("rules_status")
def rules_status(competition):
    """Where the viewer stands with the competition's rules, for the competition and submit pages."""
    return rules_state(get_session(), viewer(), competition)
