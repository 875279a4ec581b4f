"""API routes of a competition's rules: read them (with where the caller stands) and accept them."""
from __future__ import annotations

from flask import g, jsonify, url_for

from arena.core.models import Competition
from arena.services.rules import RulesState, accept_rules, rules_state
from arena.web.api import bp
from arena.web.auth import token_optional, token_required
from arena.web.db_session import get_session
from arena.web.public.queries import competition_or_404


def rules_json(competition: Competition, state: RulesState) -> dict[str, object]:
    """The caller's standing with the rules, as the rules, accept and limits routes return it."""
    return {
        "required": state.required, "version": state.current_sha256,
        "accepted": state.accepted, "accepted_current": state.accepted_current,
        "accepted_version": state.accepted_sha256,
        "accepted_at": state.accepted_at.isoformat() if state.accepted_at else None,
        "rules_url": url_for("rules.rules", slug=competition.slug, _external=True),
        "accept_url": url_for("api.accept_rules", slug=competition.slug, _external=True),
    }


@bp.get("/competitions/<slug>/rules")
@token_optional
def rules(slug: str):
    """The rules' Markdown text and version; with a token, whether the caller has accepted them."""
    session = get_session()
    comp = competition_or_404(session, slug, g.api_user)
    response = jsonify({"competition": comp.slug, "text": comp.rules or "",
                        **rules_json(comp, rules_state(session, g.api_user, comp))})
    response.headers["Cache-Control"] = "no-store"  # the acceptance is the caller's own
    return response


@bp.post("/competitions/<slug>/rules/accept", endpoint="accept_rules")
@token_required
def accept_rules_route(slug: str):
    """Accept the competition's current rules (idempotent); a competition without rules needs nothing."""
    session = get_session()
    comp = competition_or_404(session, slug, g.api_user)
    if rules_state(session, g.api_user, comp).required:
        accept_rules(session, g.api_user, comp)
        session.commit()
    return jsonify({"competition": comp.slug, **rules_json(comp, rules_state(session, g.api_user, comp))})
