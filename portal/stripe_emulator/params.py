"""Check request parameters against the SDK's own parameter lists (frozen in stripe_params.json).

Stripe rejects any parameter an endpoint does not know (`parameter_unknown`) and
any value of the wrong type; this module does the same and turns form strings
into ints and bools on the way. The JSON is written by bin/gen-stripe-params.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from portal.stripe_emulator.errors import StripeError, invalid, missing, unknown

SCHEMA_FILE = Path(__file__).with_name("stripe_params.json")
_INT = re.compile(r"^-?\d+$")
#: Endpoints where API version 2026-09-30 (endive) dropped `payment_method_types`.
_NO_PMT = re.compile(r"^POST /v1/(payment_intents|setup_intents|checkout/sessions)(/\{id\}(/confirm)?)?$")


@lru_cache(maxsize=1)
def schema() -> dict:
    """The frozen parameter lists."""
    return json.loads(SCHEMA_FILE.read_text())


def api_version() -> str:
    """The API version of the SDK the lists come from."""
    return schema()["api_version"]


def validate(endpoint: str, params: dict) -> dict:
    """Return `params` with typed values, or raise StripeError like Stripe would."""
    if "payment_method_types" in params and _NO_PMT.match(endpoint):
        raise StripeError(
            400,
            "The `payment_method_types` parameter is not supported in API version "
            f"{api_version()}. Enable payment methods in the Dashboard, or use "
            "`allowed_payment_method_types` / `excluded_payment_method_types`.",
            code="payment_method_types_no_longer_supported",
            param="payment_method_types",
            cacheable=False,
        )
    root = schema()["endpoints"][endpoint]
    return _object(root, params, "")


def _name(prefix: str, key) -> str:
    """Stripe's spelling of a nested parameter: a[b][0]."""
    return f"{prefix}[{key}]" if prefix else str(key)


def _object(type_name: str, value, param: str) -> dict:
    """Check one TypedDict: no unknown keys, required keys present, each value typed."""
    if not isinstance(value, dict):
        raise _bad("Invalid object", param)
    definition = schema()["types"][type_name]
    fields = definition["fields"]
    for key in value:
        if key not in fields:
            raise unknown(_name(param, key))
    for key in definition["required"]:
        if key not in value:
            raise missing(_name(param, key))
    return {key: _value(fields[key], item, _name(param, key)) for key, item in value.items()}


def _value(spec, value, param: str):
    """Check and convert one value against its spec."""
    if spec == "any":
        return value
    if spec == "string":
        if not isinstance(value, str):
            raise _bad("Invalid string", param)
        return value
    if spec == "integer":
        if not isinstance(value, str) or not _INT.match(value):
            raise StripeError(400, f"Invalid integer: {value}", param=param, code="parameter_invalid_integer", cacheable=False)
        return int(value)
    if spec == "boolean":
        if value not in ("true", "false"):
            raise _bad(f"Invalid boolean: {value}", param)
        return value == "true"
    if "enum" in spec:
        if value not in spec["enum"]:
            choices = ", ".join(str(c) for c in spec["enum"] if c != "")
            raise _bad(f"Invalid {param}: must be one of {choices}", param)
        return value
    if "ref" in spec:
        return _object(spec["ref"], value, param)
    if "list" in spec:
        if isinstance(value, dict) and not value:
            value = []
        if not isinstance(value, list):
            raise _bad("Invalid array", param)
        return [_value(spec["list"], item, _name(param, i)) for i, item in enumerate(value)]
    if "map" in spec:
        if not isinstance(value, dict):
            raise _bad("Invalid hash", param)
        return {k: _value(spec["map"], v, _name(param, k)) for k, v in value.items()}
    return _union(spec["union"], value, param)


def _union(options: list, value, param: str):
    """The first option that accepts the value wins; otherwise the first option's error."""
    first_error = None
    for option in options:
        try:
            return _value(option, value, param)
        except StripeError as error:
            if error.error.get("code") == "parameter_unknown":
                raise  # an unknown nested key is the real problem, not the type
            first_error = first_error or error
    raise first_error


def _bad(message: str, param: str) -> StripeError:
    """A type error on one parameter; not cached under an idempotency key."""
    error = invalid(message, param=param)
    error.cacheable = False
    return error
