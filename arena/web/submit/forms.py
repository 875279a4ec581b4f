"""The submission form (Flask-WTF, CSRF-protected)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from arena.services.upload_rules import MAX_LABEL_CHARS, MAX_NOTES_CHARS, UPLOAD_SUFFIXES

ALLOWED_EXTENSIONS = [suffix.lstrip(".") for suffix in UPLOAD_SUFFIXES]


class SubmitForm(FlaskForm):
    generator = FileField(
        "Generator",
        validators=[
            FileRequired("Choose a TorchScript .pt file or a .zip package."),
            FileAllowed(ALLOWED_EXTENSIONS, "Upload a TorchScript .pt file or a .zip package."),
        ],
    )
    label = StringField("Label", validators=[Length(max=MAX_LABEL_CHARS)])
    notes = TextAreaField("Notes", validators=[Length(max=MAX_NOTES_CHARS)])
