"""The Emulator: state, events and webhooks of one emulated Stripe account, shared by API, pages and controls."""

from __future__ import annotations

from flask import g, has_request_context

from portal.stripe_emulator.params import api_version
from portal.stripe_emulator.store import Store
from portal.stripe_emulator.webhooks import DEFAULT_RETRY_DELAYS, Webhooks


class Emulator:
    """Everything one emulated account holds; reached from views as `current_emulator()`."""

    def __init__(self, config: dict) -> None:
        self.store = Store(config.get("CLOCK"))
        #: Address of the emulator as the debtor's browser reaches it (for Checkout `url`); else the request's host.
        self.public_url = (config.get("PUBLIC_URL") or "").rstrip("/")
        #: If set, the only secret key accepted; otherwise any sk_test_ key works.
        self.api_key = config.get("API_KEY")
        self.webhooks = Webhooks(
            self.store,
            _endpoints(config),
            mode=config.get("WEBHOOK_MODE", "thread"),
            retry_delays=config.get("WEBHOOK_RETRY_DELAYS", DEFAULT_RETRY_DELAYS),
            transport=config.get("WEBHOOK_TRANSPORT"),
        )

    def url(self, path: str) -> str:
        """An absolute address of an emulator page."""
        if self.public_url:
            return self.public_url + path
        from flask import request

        return request.host_url.rstrip("/") + path if has_request_context() else path

    def emit(self, event_type: str, obj: dict, previous: dict | None = None) -> dict:
        """Record an event with a snapshot of `obj` and queue its webhooks."""
        data = {"object": self.store.public(obj)}
        if previous:
            data["previous_attributes"] = previous
        req = getattr(g, "stripe_request", None) if has_request_context() else None
        event = self.store.create(
            "evt",
            "event",
            api_version=api_version(),
            data=data,
            pending_webhooks=0,
            request=req or {"id": None, "idempotency_key": None},
            type=event_type,
        )
        event["pending_webhooks"] = self.webhooks.enqueue(event)
        return event

    def after_action(self) -> None:
        """In "sync" mode, deliver due webhooks once the action that caused them is over."""
        if self.webhooks.mode == "sync":
            self.webhooks.deliver(force=False)

    def deliver(self, force: bool = True) -> list:
        """Flush queued webhooks now (tests and POST /_emulator/deliver)."""
        return self.webhooks.deliver(force=force)

    def reset(self) -> None:
        """Forget all objects, events and queued deliveries; keep endpoints and switches."""
        with self.store.lock:
            self.store.reset()
            self.webhooks.deliveries.clear()


def _endpoints(config: dict) -> list[dict]:
    """WEBHOOK_ENDPOINTS (list of {url, secret[, enabled_events]}) or the WEBHOOK_URL/WEBHOOK_SECRET pair."""
    endpoints = list(config.get("WEBHOOK_ENDPOINTS") or [])
    if config.get("WEBHOOK_URL"):
        endpoints.append({"url": config["WEBHOOK_URL"], "secret": config.get("WEBHOOK_SECRET") or ""})
    for endpoint in endpoints:
        if not str(endpoint.get("secret", "")).startswith("whsec_"):
            raise ValueError(f"webhook endpoint {endpoint.get('url')} needs a secret starting with whsec_")
    return endpoints
