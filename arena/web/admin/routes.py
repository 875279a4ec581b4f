"""Views of the ``/admin`` blueprint; every view is for organizers only."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import make_response, render_template
from flask_login import current_user, login_required

from arena.core.errors import Forbidden
from arena.services.review import submission_review
from arena.web.admin import bp
from arena.web.db_session import get_session

F = TypeVar("F", bound=Callable)


def organizer_required(view: F) -> F:
    """Log in first (like every private page), then 403 unless the user is an organizer."""

    @login_required
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_organizer:
            raise Forbidden("organizers_only", "This page is for the competition's organizers.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.get("/submissions/<int:submission_id>")
@organizer_required
def submission(submission_id: int):
    """Every evaluation of a submission: status, error code, message, detail, timings, provenance."""
    response = make_response(render_template("admin/submission.html",
                                             review=submission_review(get_session(), submission_id)))
    # Hidden-run detail: never kept by a shared cache or the browser's history cache.
    response.headers["Cache-Control"] = "no-store"
    return response
