"""The dev-set download, served the same way by the site and the API (one owner for both routes)."""
from __future__ import annotations

from flask import Response, send_file

from arena.core.datasets.download import public_download
from arena.core.datasets.errors import DatasetError
from arena.core.errors import NotFound
from arena.core.models import Competition
from arena.web.db_session import get_settings


def dev_set_response(competition: Competition) -> Response:
    """The competition's public dev set as a zip attachment; never the hidden split.

    Raises:
        NotFound: ``no_dev_set`` when no public version is attached, ``dataset_missing`` when
            its stored files are gone (the organizer must republish).
    """
    if competition.public_dataset is None:
        raise NotFound("no_dev_set", f"The competition '{competition.slug}' has no public dev set yet.")
    try:
        path = public_download(get_settings(), competition.public_dataset)
    except DatasetError as exc:
        raise NotFound("dataset_missing", "The dev set's files are not available on this server.") from exc
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=f"{competition.slug}-dev-set.zip")
