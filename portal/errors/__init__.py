"""Error pages for people and JSON errors for the API, never a stack trace."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from portal.errors import unavailable


def init_app(app: Flask) -> None:
    """Register the handlers (and those for a database that is out of reach)."""
    unavailable.init_app(app)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _render(400, _("This form has expired. Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        # Raised outside the view (while finishing the response), the database error arrives wrapped.
        if error.code == 500 and unavailable.is_unavailable(getattr(error, "original_exception", None)):
            return unavailable.respond(error.original_exception)
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This action is not possible here."),
            413: _("What you sent is too large."),
            429: _("Too many attempts. Please wait a few minutes and try again."),
        }
        return _render(error.code or 500, messages.get(error.code, _("Something went wrong.")), error)

    @app.errorhandler(DBAPIError)
    def _database(error: DBAPIError):
        if unavailable.is_unavailable(error):
            return unavailable.respond(error)
        return _unexpected(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if unavailable.is_unavailable(error):  # a bare driver error
            return unavailable.respond(error)
        app.logger.exception("unhandled error")
        return _render(500, _("Something went wrong on our side. Please try again in a few minutes."))


def _render(code: int, message: str, error: HTTPException | None = None):
    if request.path.startswith("/api/") or request.path.startswith("/stripe/"):
        body = {"error": _slug(code), "message": message}
        response = jsonify(body)
        response.status_code = code
        if error is not None and error.code == 405 and hasattr(error, "valid_methods"):
            response.headers["Allow"] = ", ".join(error.valid_methods or [])
        return response
    return render_template("errors/error.html", code=code, message=message), code


def _slug(code: int) -> str:
    return {
        400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
        405: "method_not_allowed", 409: "conflict", 413: "too_large", 429: "too_many_requests",
    }.get(code, "server_error")
