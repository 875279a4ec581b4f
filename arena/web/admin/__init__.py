"""Organizer-only pages: a competition's submissions, progress and audit log; everything recorded about a
submission, hidden-run detail included."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from arena.web.admin import competition, routes, switch  # noqa: E402,F401  (routes attach themselves to bp)
