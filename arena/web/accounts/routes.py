"""Views of the accounts blueprint."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from arena.core.errors import ArenaError
from arena.services.accounts import AccountError, authenticate, create_user, set_notification_preferences
from arena.services.tokens import create_token, list_tokens, revoke_token
from arena.web.accounts import bp
from arena.web.accounts.forms import LoginForm, NotificationsForm, PostForm, RegisterForm, TokenForm
from arena.web.db_session import get_session, get_settings
from arena.web.extensions import limiter


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//evil.example" or "https://evil.example" would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("public.index")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"])
def register():
    """Create an account and log it in."""
    if current_user.is_authenticated:
        return redirect(url_for("public.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            user = create_user(session, form.username.data.strip(), form.password.data,
                               email=(form.email.data or "").strip() or None)
        except AccountError as exc:
            field = {"invalid_username": form.username, "username_taken": form.username,
                     "weak_password": form.password, "email_taken": form.email}.get(exc.code)
            (field.errors if field is not None else form.form_errors).append(exc.message)
        else:
            session.commit()
            login_user(user)
            flash(f"Welcome, {user.username}!", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/register.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    """Log in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("public.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(get_session(), form.username.data.strip(), form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append("Unknown username or wrong password.")
    return render_template("accounts/login.html", form=form), 200 if request.method == "GET" else 400


@bp.post("/logout")
def logout():
    """Log out (POST with a CSRF token, so another site cannot log you out)."""
    if PostForm().validate_on_submit():
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("public.index"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """List, create (shown once) and revoke personal API tokens."""
    session = get_session()
    form = TokenForm()
    new_token: str | None = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                _, new_token = create_token(session, current_user, form.name.data)
            except ArenaError as exc:
                form.name.errors.append(exc.message)
            else:
                session.commit()
                form.name.data = ""
        if new_token is None:
            status = 400
    return render_template(
        "accounts/tokens.html", form=form, revoke_form=PostForm(), new_token=new_token,
        tokens=list_tokens(session, current_user),
    ), status


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Revoke one of the current user's tokens."""
    if not PostForm().validate_on_submit():
        return redirect(url_for("accounts.tokens"))
    session = get_session()
    token = revoke_token(session, current_user, token_id)
    session.commit()
    flash(f"Token '{token.name}' revoked.", "info")
    return redirect(url_for("accounts.tokens"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    """The user's email address and whether outcome emails are sent to it."""
    form = NotificationsForm(obj=current_user if request.method == "GET" else None)
    if form.validate_on_submit():
        session = get_session()
        try:
            set_notification_preferences(session, current_user, form.email.data, form.notify_on_result.data)
        except AccountError as exc:
            field = form.notify_on_result if exc.code == "email_required" else form.email
            field.errors.append(exc.message)
        else:
            session.commit()
            flash("Email notifications are on." if current_user.notify_on_result
                  else "Email notifications are off.", "success")
            return redirect(url_for("accounts.notifications"))
    return render_template("accounts/notifications.html", form=form,
                           enabled=get_settings().notifications_enabled), 200 if request.method == "GET" else 400
