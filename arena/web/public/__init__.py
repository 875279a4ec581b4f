"""Public pages: competitions, leaderboards (HTML/CSV/JSON), public submission pages, downloads."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from arena.web.public import routes  # noqa: E402,F401  (routes attach themselves to bp)
from arena.web.public import compare_routes  # noqa: E402,F401
from arena.web.public import private_routes  # noqa: E402,F401
