"""The API surface: which handler serves each METHOD /path, keyed like stripe_params.json."""

from __future__ import annotations

import re

from portal.stripe_emulator import charges, checkout, customers, payment_intents, setup_intents
from portal.stripe_emulator.emulator import Emulator


def _filter(**wanted):
    """A predicate keeping objects whose fields equal the given list filters."""
    def keep(obj: dict) -> bool:
        """True when every given filter matches."""
        return all(obj.get(field) == value for field, value in wanted.items() if value is not None)
    return keep


def _lister(object_name: str, *filters: str, refresh=None):
    """A list handler for one object type with equality filters."""
    def handler(emu: Emulator, p: dict, _id, url: str) -> dict:
        """GET a page of the list."""
        items = emu.store.all(object_name, _filter(**{f: p.get(f) for f in filters}))
        if refresh:
            for obj in items:
                refresh(emu, obj)
        return emu.store.page(items, p, url)
    return handler


def _getter(object_name: str, label: str, refresh=None):
    """A retrieve handler."""
    def handler(emu: Emulator, p: dict, object_id: str, url: str) -> dict:
        """GET one object."""
        obj = emu.store.get(object_id, object_name, label)
        return refresh(emu, obj) if refresh else obj
    return handler


def _on(object_name: str, label: str, action):
    """A handler that loads an object and applies `action(emu, obj, params)`."""
    def handler(emu: Emulator, p: dict, object_id: str, url: str) -> dict:
        """POST an action on one object."""
        return action(emu, emu.store.get(object_id, object_name, label), p)
    return handler


def _events(emu: Emulator, p: dict, _id, url: str) -> dict:
    """GET /v1/events with type / types filters."""
    types = set(p.get("types") or ([p["type"]] if p.get("type") else []))
    def wanted(event: dict) -> bool:
        """Exact type, or a prefix ending in *."""
        return not types or event["type"] in types or any(t.endswith("*") and event["type"].startswith(t[:-1]) for t in types)
    return emu.store.page(emu.store.all("event", wanted), p, url)


def _line_items(emu: Emulator, p: dict, session_id: str, url: str) -> dict:
    """GET /v1/checkout/sessions/{id}/line_items."""
    session = emu.store.get(session_id, "checkout.session", "checkout session")
    items = session["_line_items"]
    page = {"object": "list", "data": items[: p.get("limit", 10)], "has_more": len(items) > p.get("limit", 10), "url": url}
    return page


PM_LIST = lambda emu, p, customer_id, url: customers.list_methods(emu, customer_id, p, url)  # noqa: E731

#: (METHOD, path pattern, handler); the schema key is "METHOD pattern".
ROUTES = [
    ("POST", "/v1/customers", lambda emu, p, _id, url: customers.create_customer(emu, p)),
    ("GET", "/v1/customers", _lister("customer", "email")),
    ("GET", "/v1/customers/{id}", _getter("customer", "customer")),
    ("POST", "/v1/customers/{id}", lambda emu, p, cid, url: customers.update_customer(emu, cid, p)),
    ("GET", "/v1/customers/{id}/payment_methods", PM_LIST),
    ("POST", "/v1/checkout/sessions", lambda emu, p, _id, url: checkout.create(emu, p)),
    ("GET", "/v1/checkout/sessions", _lister("checkout.session", "customer", "payment_intent", "status", refresh=checkout.refresh)),
    ("GET", "/v1/checkout/sessions/{id}", _getter("checkout.session", "checkout session", checkout.refresh)),
    ("POST", "/v1/checkout/sessions/{id}/expire", _on("checkout.session", "checkout session", lambda emu, s, p: checkout.expire(emu, s))),
    ("GET", "/v1/checkout/sessions/{id}/line_items", _line_items),
    ("POST", "/v1/payment_intents", lambda emu, p, _id, url: payment_intents.create(emu, p)),
    ("GET", "/v1/payment_intents", _lister("payment_intent", "customer")),
    ("GET", "/v1/payment_intents/{id}", _getter("payment_intent", "payment_intent")),
    ("POST", "/v1/payment_intents/{id}", _on("payment_intent", "payment_intent", payment_intents.update)),
    ("POST", "/v1/payment_intents/{id}/confirm", _on("payment_intent", "payment_intent", payment_intents.confirm)),
    ("POST", "/v1/payment_intents/{id}/cancel", _on("payment_intent", "payment_intent", payment_intents.cancel)),
    ("POST", "/v1/setup_intents", lambda emu, p, _id, url: setup_intents.create(emu, p)),
    ("GET", "/v1/setup_intents", _lister("setup_intent", "customer", "payment_method")),
    ("GET", "/v1/setup_intents/{id}", _getter("setup_intent", "setupintent")),
    ("POST", "/v1/setup_intents/{id}/confirm", _on("setup_intent", "setupintent", setup_intents.confirm)),
    ("POST", "/v1/setup_intents/{id}/cancel", _on("setup_intent", "setupintent", setup_intents.cancel)),
    ("GET", "/v1/payment_methods", lambda emu, p, _id, url: customers.list_methods(emu, p.get("customer"), p, url)),
    ("GET", "/v1/payment_methods/{id}", _getter("payment_method", "PaymentMethod")),
    ("POST", "/v1/payment_methods/{id}/attach", lambda emu, p, pm, url: customers.attach(emu, pm, p["customer"])),
    ("POST", "/v1/payment_methods/{id}/detach", lambda emu, p, pm, url: customers.detach(emu, pm)),
    ("POST", "/v1/refunds", lambda emu, p, _id, url: charges.create_refund(emu, p)),
    ("GET", "/v1/refunds", _lister("refund", "charge", "payment_intent")),
    ("GET", "/v1/refunds/{id}", _getter("refund", "refund")),
    ("GET", "/v1/charges", _lister("charge", "customer", "payment_intent")),
    ("GET", "/v1/charges/{id}", _getter("charge", "charge")),
    ("GET", "/v1/disputes", _lister("dispute", "charge", "payment_intent")),
    ("GET", "/v1/disputes/{id}", _getter("dispute", "dispute")),
    ("GET", "/v1/events", _events),
    ("GET", "/v1/events/{id}", _getter("event", "event")),
]

_COMPILED = [
    (method, re.compile("^" + pattern.replace("{id}", "([^/]+)") + "$"), f"{method} {pattern}", handler)
    for method, pattern, handler in ROUTES
]


def match(method: str, path: str):
    """(schema key, handler, path id) for a request, or None."""
    for route_method, regex, key, handler in _COMPILED:
        found = regex.match(path)
        if found and route_method == method:
            return key, handler, (found.group(1) if found.groups() else None)
    return None
