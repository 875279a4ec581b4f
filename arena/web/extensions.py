"""Flask extensions, created unbound here and bound to an app in ``arena.create_app``.

Flask-Limiter keeps its storage on the extension object, so the storage belongs to the most
recently created app; one process serves one app, which is all production and tests need.
"""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Log in to continue."
login_manager.login_message_category = "info"

csrf = CSRFProtect()

# Limits are set per route (login, registration, upload); nothing is limited by default.
limiter = Limiter(key_func=get_remote_address)
