"""Account forms (Flask-WTF: each carries a CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from arena.services.accounts import MIN_PASSWORD_LENGTH


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(3, 40)])
    email = EmailField("Email (optional)", validators=[Optional(), Length(max=254)])
    password = PasswordField("Password", validators=[
        DataRequired(),
        Length(min=MIN_PASSWORD_LENGTH, max=200, message=f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."),
    ])
    confirm = PasswordField("Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")])


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=40)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(1, 80)])


class NotificationsForm(FlaskForm):
    email = EmailField("Email", validators=[Optional(), Length(max=254)])
    notify_on_result = BooleanField("Email me when a submission of mine is scored or fails")


class PostForm(FlaskForm):
    """A form with nothing but its CSRF token (logout, revoke)."""
