"""The upload form for a competition."""
from flask import Blueprint

bp = Blueprint("submit", __name__)

from arena.web.submit import routes  # noqa: E402,F401  (routes attach themselves to bp)
