"""Try it (issue 17): upload a photo, pick a style and an opted-in model, get the picture back."""
from flask import Blueprint

bp = Blueprint("tryit", __name__, template_folder="templates")

from arena.web.tryit import routes  # noqa: E402,F401  (routes attach themselves to bp)
