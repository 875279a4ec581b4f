"""A competition's rules page, where a participant accepts the rules before the first upload."""
from flask import Blueprint

bp = Blueprint("rules", __name__)

from arena.web.rules import routes  # noqa: E402,F401  (routes attach themselves to bp)
