"""A participant's own submissions: list, status (polled), log, scores and gallery."""
from flask import Blueprint

bp = Blueprint("me", __name__, url_prefix="/me")

from arena.web.me import finals, routes  # noqa: E402,F401  (routes attach themselves to bp)
