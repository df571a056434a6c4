"""Files browsers ask for at fixed addresses: ``/favicon.ico``.

Pages link the icon from ``/static`` (``templates/base.html``); feed readers,
bookmarks and old browsers still ask for ``/favicon.ico`` at the root, and a
404 there filled every log with noise.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory

bp = Blueprint("site_files", __name__)

ICON_MAX_AGE = 7 * 24 * 3600  # a week: the icon changes with a release at most


@bp.get("/favicon.ico")
def favicon() -> Response:
    assert current_app.static_folder is not None
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=ICON_MAX_AGE
    )
