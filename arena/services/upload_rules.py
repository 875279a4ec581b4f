"""The rules an upload's fields follow, in one place: the service enforces them, and the
submit form, the API and the OpenAPI document read the same constants.

The generator file itself is checked by ``sandbox.upload.validate_upload`` (size, format,
manifest); these are the rules about what comes with it.
"""
from __future__ import annotations

from pathlib import Path

from arena.core.errors import ArenaError

# The width of ``Submission.label``; a longer label is refused, never cut.
MAX_LABEL_CHARS = 120
MAX_NOTES_CHARS = 4000
MAX_FILENAME_CHARS = 255
# TorchScript archives, torch.export programs and zip packages (the format is then detected from the bytes).
UPLOAD_SUFFIXES = (".pt", ".pt2", ".zip")


class UploadFieldsRejected(ArenaError):
    """A label, notes or file name that breaks the upload rules."""


def check_upload_fields(label: str, notes: str, filename: str) -> tuple[str, str, str]:
    """The label, notes and file name as stored (stripped), or an error saying what to fix.

    Raises:
        UploadFieldsRejected: ``label_too_long``, ``notes_too_long`` or ``bad_extension``.
    """
    label, notes = (label or "").strip(), (notes or "").strip()
    name = Path(filename or "").name
    if len(label) > MAX_LABEL_CHARS:
        raise UploadFieldsRejected("label_too_long", f"The label has {len(label)} characters; "
                                   f"at most {MAX_LABEL_CHARS} are allowed.")
    if len(notes) > MAX_NOTES_CHARS:
        raise UploadFieldsRejected("notes_too_long", f"The notes have {len(notes)} characters; "
                                   f"at most {MAX_NOTES_CHARS} are allowed.")
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise UploadFieldsRejected("bad_extension", "Upload a TorchScript .pt file, a torch.export .pt2 file or a .zip package.")
    if len(name) > MAX_FILENAME_CHARS:
        stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
        # The original name is only a label for the participant; keep its ending.
        name = stem[: MAX_FILENAME_CHARS - len(suffix)] + suffix
    return label, notes, name
