"""Error pages and JSON errors: every failure becomes a page or a ``{code, message}`` body.

API clients (paths under ``/api/``) always get JSON; browsers get the site's error page.
"""
from __future__ import annotations

from urllib.parse import urljoin

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from arena.core.errors import ArenaError
from arena.core.sizes import MB, human_size
from arena.web.db_session import get_settings
from arena.web.submit.routes import too_large_page

API_PREFIX = "/api/"


def wants_json() -> bool:
    """Whether the current request should be answered with JSON rather than HTML."""
    return request.path.startswith(API_PREFIX) or request.path.endswith(".json")


def error_response(status: int, code: str, message: str, **details) -> tuple[Response | str, int]:
    """A JSON error for API clients (``details`` join code and message), the HTML error page for browsers."""
    if wants_json():
        return jsonify(error={"code": code, "message": message, **details}), status
    return render_template("error.html", status=status, code=code, message=message), status


def _http_code(exc: HTTPException) -> str:
    # "Not Found" -> "not_found": a stable, machine-readable code from the HTTP reason.
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def too_large_message(sent_bytes: int | None = None) -> str:
    """The 413 text: it names the upload limit (in the one size format), what was sent, and what to do."""
    limit = human_size(get_settings().max_upload_mb * MB)
    sent = f" ({human_size(sent_bytes)})" if sent_bytes else ""
    return (f"The upload{sent} is larger than the {limit} limit; make the file smaller "
            "(weights in half precision, no checkpoints you do not load).")


def handle_http(exc: HTTPException):
    """Map werkzeug's HTTP errors (404, 405, 413, 429, ...) to pages or JSON."""
    messages = {
        404: "We could not find that page.",
        # The request's length is the file plus a small form envelope: near enough to say.
        413: too_large_message(request.content_length),
        429: "Too many requests; please wait a moment and try again.",
    }
    status = exc.code or 500
    message = messages.get(status) or exc.description or exc.name
    if status == 413:
        return _too_large(exc, message)
    response, status = error_response(status, _http_code(exc), message)
    if isinstance(response, Response) and exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response, status


def _too_large(exc: HTTPException, message: str):
    """A 413: API clients get the limit in bytes too; a browser posting the submit form gets that form back."""
    if not wants_json() and request.endpoint == "submit.submit" and request.view_args:
        page = too_large_page(request.view_args["slug"], message)
        if page is not None:
            return page
    return error_response(413, _http_code(exc), message, limit_bytes=get_settings().max_upload_mb * MB)


def handle_csrf(exc: CSRFError):
    """A missing or stale CSRF token: a 400 that tells the user to reload the form."""
    return error_response(400, "csrf_failed", "The form expired or was not sent by this site; reload and try again.")


def handle_arena_error(exc: ArenaError):
    """Expected platform errors carry their own status, code and user-safe message (and any ``details``).

    A detail named ``*_url`` is a path (services know no host); it is made absolute for this request's host.
    """
    details = {key: urljoin(request.host_url, value) if key.endswith("_url") else value
               for key, value in (getattr(exc, "details", None) or {}).items()}
    return error_response(exc.http_status, exc.code, exc.message, **details)


def handle_internal(exc: InternalServerError):
    """Unexpected failures: a generic page, never a traceback (Flask logs the exception)."""
    return error_response(500, "internal_error", "Something went wrong on our side.")


def register_error_handlers(app: Flask) -> None:
    """Attach the handlers above to ``app``."""
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(ArenaError, handle_arena_error)
    app.register_error_handler(InternalServerError, handle_internal)
    app.register_error_handler(HTTPException, handle_http)
