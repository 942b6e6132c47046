"""Stripe's error objects, raised anywhere in the emulator and rendered by the API layer."""

from __future__ import annotations

DOCS = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An API error with Stripe's JSON shape: {"error": {"type", "code", "message", "param", ...}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        cacheable: bool = True,
        **extra,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.cacheable = cacheable  # Stripe saves no idempotent result for requests that fail validation
        self.error = {"message": message, "type": type}
        if code:
            self.error["code"] = code
            self.error["doc_url"] = DOCS + code.replace("_", "-")
        if param:
            self.error["param"] = param
        self.error.update(extra)

    def body(self) -> dict:
        """The response body."""
        return {"error": self.error}


def invalid(message: str, *, param: str | None = None, code: str | None = None, **extra) -> StripeError:
    """A 400 invalid_request_error."""
    return StripeError(400, message, param=param, code=code, **extra)


def missing(param: str) -> StripeError:
    """A required parameter was not sent."""
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param, cacheable=False)


def unknown(param: str) -> StripeError:
    """A parameter the endpoint does not accept."""
    return StripeError(
        400,
        f"Received unknown parameter: {param}",
        code="parameter_unknown",
        param=param,
        cacheable=False,
    )


def no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    """A 404 for an unknown object id."""
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def unexpected_state(message: str, kind: str = "payment_intent") -> StripeError:
    """The object is not in a state that allows the operation."""
    return StripeError(400, message, code=f"{kind}_unexpected_state")
