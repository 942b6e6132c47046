"""The emulator as a local server (`python -m portal.stripe_emulator`), reached over real HTTP by the SDK."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import stripe


def _free_port() -> int:
    """A port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_local_server_serves_the_sdk_and_the_hosted_page():
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "portal.stripe_emulator", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "emulator did not start"
                time.sleep(0.05)
        client = stripe.StripeClient("sk_test_local", base_addresses={"api": base})
        session = client.v1.checkout.sessions.create({
            "mode": "payment", "success_url": "http://127.0.0.1:5000/done",
            "line_items": [{"quantity": 2, "price_data": {"currency": "eur", "unit_amount": 500,
                                                           "product_data": {"name": "Case 1"}}}]})
        assert session.url == f"{base}/c/pay/{session.id}" and session.amount_total == 1000
        with urllib.request.urlopen(session.url, timeout=5) as page:  # noqa: S310 - local test server
            assert "TEST MODE" in page.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_emulator_never_imports_stripe():
    code = (
        "import sys, portal.stripe_emulator.testing, portal.stripe_emulator.__main__;"
        "from portal.stripe_emulator import create_app; create_app({'WEBHOOK_MODE': 'manual'});"
        "sys.exit('stripe' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
