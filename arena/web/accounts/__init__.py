"""Accounts: registration, login/logout and personal API tokens."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from arena.web.accounts import routes  # noqa: E402,F401  (routes attach themselves to bp)
