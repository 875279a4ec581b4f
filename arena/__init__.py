"""StyleArena web platform: app factory, models, services and the organizer CLI."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from arena.core.settings import Settings


def create_app(settings: "Settings | None" = None) -> "Flask":
    """Build the web app for ``settings`` (read from the environment when omitted)."""
    # Imported here so that `import arena` (models, CLI, workers) never pulls in Flask.
    from flask import Flask

    from arena.core.settings import PROJECT_ROOT, Settings
    from arena.web import auth, cache, db_session, errors, extensions, headers, templating
    from arena.web.accounts import bp as accounts_bp
    from arena.web.admin import bp as admin_bp
    from arena.web.api import bp as api_bp
    from arena.web.api.docs import bp as api_docs_bp
    from arena.web.arena import bp as preference_bp
    from arena.web.me import bp as me_bp
    from arena.web.public import bp as public_bp
    from arena.web.public.per_style import bp as per_style_bp
    from arena.web.rules import bp as rules_bp
    from arena.web.submit import bp as submit_bp
    from arena.web.tryit import bp as tryit_bp

    settings = settings or Settings.from_env()
    ui = PROJECT_ROOT / "leaderboard_ui"
    app = Flask(__name__, template_folder=str(ui / "templates"), static_folder=str(ui / "static"))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        # Room for the multipart envelope around a maximum-size upload.
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024 + 64 * 1024,
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        # Tests without Redis-specific needs keep their counters in memory.
        RATELIMIT_STORAGE_URI="memory://" if settings.testing else settings.redis_url,
        RATELIMIT_KEY_PREFIX="stylearena",
        # Redis down must not take logins down: limits then hold per process, in memory.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        # Public pages may be up to this many seconds old (see arena/web/cache.py); tests see
        # every change at once.
        PUBLIC_CACHE_SECONDS=0 if settings.testing else 10,
        RATELIMIT_LOGIN="10 per minute",
        RATELIMIT_REGISTER="10 per hour",
        RATELIMIT_UPLOAD="30 per hour",
    )
    db_session.init_app(app, settings)
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    templating.init_app(app)
    cache.init_app(app, settings)
    headers.init_app(app)
    extensions.login_manager.user_loader(auth.load_user)
    errors.register_error_handlers(app)
    for blueprint in (public_bp, per_style_bp, accounts_bp, submit_bp, me_bp, api_bp, api_docs_bp, admin_bp,
                      preference_bp, tryit_bp, rules_bp):
        app.register_blueprint(blueprint)
    # Token-authenticated JSON API: no cookies, so no CSRF token.
    extensions.csrf.exempt(api_bp)
    if settings.proxy_hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Trust exactly as many X-Forwarded-* entries as there are proxies of ours.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
