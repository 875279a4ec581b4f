"""The human preference arena's pages: the vote page, the human board, τ on the competition page."""
from flask import Blueprint

bp = Blueprint("arena", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/arena")

from arena.web.arena import routes  # noqa: E402,F401  (routes attach themselves to bp)
