"""The /v1 API as stripe-python calls it: bearer key, form-encoded params, Idempotency-Key, Stripe's errors."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, g, request

from portal.stripe_emulator import routes
from portal.stripe_emulator.errors import StripeError
from portal.stripe_emulator.formdata import FormError, decode
from portal.stripe_emulator.params import api_version, validate

bp = Blueprint("stripe_emulator_api", __name__)


def current_emulator():
    """The Emulator of the running app."""
    return current_app.extensions["stripe_emulator"]


@bp.route("/v1/<path:path>", methods=["GET", "POST", "DELETE"])
def api(path: str) -> Response:
    """Authenticate, replay or run the request, and answer in Stripe's JSON."""
    emu = current_emulator()
    request_id = emu.store.new_id("req")
    idem_key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
    g.stripe_request = {"id": request_id, "idempotency_key": idem_key}
    try:
        api_key = _api_key(emu)
        raw = request.get_data(as_text=True) if request.method == "POST" else request.query_string.decode()
        pairs = parse_qsl(raw, keep_blank_values=True)
        with emu.store.lock:
            cache_key = (api_key, idem_key) if idem_key else None
            fingerprint = _fingerprint(request.method, request.path, pairs)
            cached = emu.store.idempotency.get(cache_key) if cache_key else None
            if cached is not None:
                return _replay(cached, fingerprint, idem_key, request_id)
            try:
                status, body = 200, _run(emu, request.method, "/v1/" + path, pairs)
            except StripeError as error:
                if not error.cacheable:
                    raise
                status, body = error.status, _with_request_id(error.body(), request_id)
            if cache_key:
                emu.store.idempotency[cache_key] = {"fingerprint": fingerprint, "status": status, "body": body}
    except StripeError as error:
        status, body = error.status, _with_request_id(error.body(), request_id)
    response = _json(status, body, request_id)
    if idem_key:
        response.headers["Idempotency-Key"] = idem_key
    emu.after_action()
    return response


def _api_key(emu) -> str:
    """The secret key from `Authorization: Bearer sk_test_...` (or HTTP basic), else Stripe's 401."""
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header.startswith("Bearer ") else (request.authorization.username if request.authorization else "")
    if not key:
        raise StripeError(401, "You did not provide an API key. You need to provide your API key in the Authorization "
                          "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
    if not key.startswith(("sk_test_", "rk_test_")) or (emu.api_key and key != emu.api_key):
        raise StripeError(401, f"Invalid API Key provided: {key[:8]}{'*' * max(0, len(key) - 12)}{key[-4:]}",
                          code="api_key_invalid" if key.startswith("sk_live_") else None)
    return key


def _run(emu, method: str, path: str, pairs: list[tuple[str, str]]) -> dict:
    """Route, validate and execute; returns the public JSON body."""
    found = routes.match(method, path)
    if found is None:
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or "
                          "we can help at https://support.stripe.com/.")
    key, handler, object_id = found
    try:
        params = validate(key, decode(pairs))
    except FormError as error:
        raise StripeError(400, str(error), param=error.key, cacheable=False) from None
    result = handler(emu, params, object_id, path)
    return emu.store.public(result, params.get("expand", []))


def _fingerprint(method: str, path: str, pairs: list[tuple[str, str]]) -> str:
    """Identity of a request's parameters for the idempotency check."""
    return hashlib.sha256(json.dumps([method, path, sorted(pairs)]).encode()).hexdigest()


def _replay(cached: dict, fingerprint: str, idem_key: str, request_id: str) -> Response:
    """Same key: same parameters get the first answer again; other parameters get idempotency_error."""
    if cached["fingerprint"] != fingerprint:
        error = StripeError(
            400,
            "Keys for idempotent requests can only be used with the same parameters they were first used with. "
            f"Try using a key other than '{idem_key}' if you meant to execute a different request.",
            type="idempotency_error",
        )
        response = _json(400, _with_request_id(error.body(), request_id), request_id)
    else:
        response = _json(cached["status"], cached["body"], request_id)
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Idempotency-Key"] = idem_key
    return response


def _with_request_id(body: dict, request_id: str) -> dict:
    """Stripe puts a request log link in every error."""
    body["error"]["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
    return body


def _json(status: int, body: dict, request_id: str) -> Response:
    """A JSON response with Stripe's headers."""
    response = Response(json.dumps(body, indent=2), status=status, mimetype="application/json")
    response.headers["Request-Id"] = request_id
    response.headers["Stripe-Version"] = request.headers.get("Stripe-Version") or api_version()
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Stripe"'
    return response
