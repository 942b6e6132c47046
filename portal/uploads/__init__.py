"""Evidence and attachment storage shared by disputes and messages.

    from portal.uploads import save_upload, save_uploads, open_upload, delete_upload, UploadError
    upload = save_upload(request.files["evidence"], owner_debtor_id=debtor.id)  # flushes only

Files are typed from their content (PDF, JPEG, PNG), limited in size and count, and
stored under PORTAL_VAR_DIR/uploads by a random key; the routes in `views` and
`agent_views` serve them only to the owning debtor and to agents.
"""

from flask import Flask

from portal.uploads.services import (
    UploadError, check_count, delete_upload, open_upload, save_upload, save_uploads,
)

__all__ = ["UploadError", "check_count", "delete_upload", "init_app", "open_upload", "save_upload", "save_uploads"]


def init_app(app: Flask) -> None:
    """Register the debtor's download route (the agents' is on their blueprint) and the file hooks."""
    from portal.uploads import agent_views  # noqa: F401  (routes on the agent blueprint)
    from portal.uploads.services import install_session_hooks
    from portal.uploads.views import bp

    app.register_blueprint(bp)
    install_session_hooks()
