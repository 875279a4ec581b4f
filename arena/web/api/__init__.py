"""The participant REST API under ``/api/v1`` (bearer-token auth, JSON in and out)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from arena.web.api import routes  # noqa: E402,F401  (routes attach themselves to bp)
from arena.web.api import rules  # noqa: E402,F401
