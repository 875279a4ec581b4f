"""The submission form (Flask-WTF, CSRF-protected)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from arena.services.upload_rules import MAX_LABEL_CHARS, MAX_NOTES_CHARS, UPLOAD_SUFFIXES

ALLOWED_EXTENSIONS = [suffix.lstrip(".") for suffix in UPLOAD_SUFFIXES]
# The file picker's filter (``accept``), from the same rule.
ACCEPT = ",".join(UPLOAD_SUFFIXES)
_KINDS = "a TorchScript .pt file, a torch.export .pt2 file or a .zip package"


class SubmitForm(FlaskForm):
    generator = FileField(
        "Generator",
        validators=[
            FileRequired(f"Choose {_KINDS}."),
            FileAllowed(ALLOWED_EXTENSIONS, f"Upload {_KINDS}."),
        ],
    )
    label = StringField("Label", validators=[Length(max=MAX_LABEL_CHARS)])
    notes = TextAreaField("Notes", validators=[Length(max=MAX_NOTES_CHARS)])
