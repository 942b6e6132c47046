"""Headers on every response: a strict CSP (no third-party script, no inline code), no referrer."""

from flask import Flask, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self' https://checkout.stripe.com; "
    "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
)


def init_app(app: Flask) -> None:
    """Add the headers after every request."""

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "Cache-Control" not in h and response.mimetype == "text/html":
            # Debt pages are private: never kept by a shared or back-button cache.
            h["Cache-Control"] = "no-store"
        return response
