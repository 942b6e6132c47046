"""The e2e harness: the portal and the Stripe emulator on real sockets, Debian's Chromium, axe-core.

Nothing here downloads a browser: Playwright drives /usr/bin/chromium, and axe-core
comes from npm through tests/e2e/package-lock.json (`npm ci` when node_modules is missing).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
#: Debian's Chromium; override with E2E_CHROMIUM for another system build.
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
#: Without the networking flags Chromium tries to reach Google's services and stalls here.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.2 level AA, and every level below it.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

#: Browser context options per device: two phones with touch, and a desktop.
DEVICES = {
    "phone-360": {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
                  "has_touch": True},
    "phone-390": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                  "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}

#: `pytestmark = EVERY_DEVICE`: each test on every device, with JavaScript on and off.
EVERY_DEVICE = [
    pytest.mark.parametrize("device", list(DEVICES)),
    pytest.mark.parametrize("js", [True, False], ids=["js-on", "js-off"]),
]


def unavailable() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "e2e: Playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"e2e: no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it)"
    if not AXE_JS.exists() and shutil.which("npm") is None:
        return "e2e: axe-core is not installed and npm is missing (apt-get install npm; .ci/run does it)"
    return None


def ensure_axe() -> str:
    """axe-core's source, installed with `npm ci` from the committed lock file if needed."""
    if not AXE_JS.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=300)
    return AXE_JS.read_text(encoding="utf-8")


class _QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output."""

    def log_request(self, *args, **kwargs) -> None:
        """Say nothing."""


class _Slot:
    """A WSGI app filled in after the socket is bound (each server needs the other's address)."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, environ, start_response):
        """Hand the request to the app in the slot."""
        return self.app(environ, start_response)


class LiveServer:
    """A threaded werkzeug server on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        self.slot = _Slot()
        self.server = make_server("127.0.0.1", 0, self.slot, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"e2e-{self.url}", daemon=True)

    def start(self, app) -> None:
        """Serve `app`."""
        self.slot.app = app
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@dataclass
class Portal:
    """What a test needs to know about the running system."""

    url: str
    stripe_url: str
    app: object
    mail_dir: Path
    emulator: object

    def newest_code(self, address: str, after: float, timeout: float = 5.0) -> str:
        """The six-digit code in the newest e-mail to `address` written after `after` (epoch seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = sorted(
                (p for p in self.mail_dir.glob("*.eml") if p.stat().st_mtime >= after),
                key=lambda p: p.stat().st_mtime, reverse=True,
            )
            for path in files:
                msg = message_from_bytes(path.read_bytes(), policy=policy.default)
                if address in str(msg["To"]):
                    found = re.search(r"\b(\d{6})\b", msg.get_body(("plain",)).get_content())
                    if found:
                        return found.group(1)
            time.sleep(0.05)
        raise AssertionError(f"no sign-in code e-mailed to {address} in {self.mail_dir}")


def launch(playwright):
    """Debian's Chromium, headless, with nothing reaching out to the network."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
