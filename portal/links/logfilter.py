"""Keep reminder-link tokens out of access logs (Werkzeug's dev server and gunicorn).

A token in a log line is as good as the letter it was printed in, so every log line
that mentions a `/l/<token>` path gets the token replaced. Gunicorn picks the logger
class up from `gunicorn.conf.py` at the project root (`logger_class`).
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

_TOKEN_PATH = re.compile(r"/l/[^\s\"'?#/]+")
REDACTED = "/l/[redacted]"


def redact(text: str) -> str:
    """`text` with every /l/<token> path replaced."""
    return _TOKEN_PATH.sub(REDACTED, text)


class TokenRedactingFilter(logging.Filter):
    """A logging filter that rewrites the finished message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops the record."""
        message = record.getMessage()
        if "/l/" in message:
            record.msg, record.args = redact(message), ()
        return True


def install_dev_server_filter() -> None:
    """Filter Werkzeug's request log (the development server) once per process."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
        logger.addFilter(TokenRedactingFilter())


class RedactingGunicornLogger(GunicornLogger):
    """Gunicorn's logger with tokens removed from access-log atoms and error messages."""

    def setup(self, cfg) -> None:
        """Set up as usual, then filter the error log too (it names the URL of failed requests)."""
        super().setup(cfg)
        self.error_log.addFilter(TokenRedactingFilter())

    def atoms(self, resp, req, environ, request_time) -> dict:
        """The access-log fields, with the token taken out of every one that holds it."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) and "/l/" in v else v for k, v in atoms.items()}
