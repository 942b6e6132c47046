"""Error pages for people and JSON errors for the API, never a stack trace."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _render(400, _("This form has expired. Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This action is not possible here."),
            413: _("What you sent is too large."),
            429: _("Too many attempts. Please wait a few minutes and try again."),
        }
        return _render(error.code or 500, messages.get(error.code, _("Something went wrong.")), error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
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
