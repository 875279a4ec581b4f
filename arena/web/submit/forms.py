"""The submission form (Flask-WTF, CSRF-protected)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

ALLOWED_EXTENSIONS = ["pt", "zip"]


class SubmitForm(FlaskForm):
    generator = FileField(
        "Generator",
        validators=[
            FileRequired("Choose a TorchScript .pt file or a .zip package."),
            FileAllowed(ALLOWED_EXTENSIONS, "Upload a TorchScript .pt file or a .zip package."),
        ],
    )
    label = StringField("Label", validators=[Length(max=120)])
    notes = TextAreaField("Notes", validators=[Length(max=4000)])
