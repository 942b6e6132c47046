"""Configuration from the environment, with development defaults that work out of the box.

Every setting is an environment variable of the same name. `PORTAL_ENV` picks the
profile: `development` (the default), `test` or `production`. Production refuses to
start with a development secret or any local emulator (see `Config.check`).
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEV_SECRET = "dev-secret-not-for-production"
STRIPE_API = "https://api.stripe.com"
#: Where the project's own Stripe emulator answers in the local run.
STRIPE_EMULATOR_BASE = "http://127.0.0.1:12111"
#: The languages of the agency's markets, each with a complete catalogue in translations/.
LANGUAGES = ("en", "fr", "de", "nl", "sv", "nb", "da", "fi", "es", "it", "pl", "cs")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a number, got {raw!r}") from None


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


class Config:
    """Settings read from the environment once, when the app is created."""

    def __init__(self, overrides: dict | None = None) -> None:
        env = _env("PORTAL_ENV", "development")
        var = Path(_env("PORTAL_VAR_DIR", str(HERE / "var")))
        self.PORTAL_ENV = env
        self.PORTAL_VAR_DIR = str(var)
        self.SECRET_KEY = _env("SECRET_KEY", DEV_SECRET)
        #: Former SECRET_KEYs, comma-separated, still accepted while rotating (sealed TOTP seeds).
        self.SECRET_KEY_FALLBACKS = [k for k in (_env("SECRET_KEY_FALLBACKS") or "").split(",") if k]
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(
            _env("DATABASE_URL", f"sqlite:///{var / 'portal.db'}")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        #: Seconds to wait for a new PostgreSQL connection: an unreachable server answers 503 in
        #: seconds instead of holding the worker until gunicorn kills it.
        self.DATABASE_CONNECT_TIMEOUT = _int("DATABASE_CONNECT_TIMEOUT", 5)
        #: Public address of the portal, used in links sent by mail, SMS and letters.
        self.PORTAL_BASE_URL = _env("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        #: Where e-mail goes: smtp://user:pass@host:port (smtps:// for TLS) or file:///dir.
        self.MAIL_URL = _env("MAIL_URL", f"file://{var / 'mail'}")
        self.MAIL_FROM = _env("MAIL_FROM", "Portal <no-reply@portal.invalid>")
        #: Where agents are told of a debtor's new message (no content); unset: no such e-mail.
        self.AGENT_INBOX = _env("AGENT_INBOX")
        #: Where SMS go: file:///dir in development; a provider adapter in production.
        self.SMS_URL = _env("SMS_URL", f"file://{var / 'sms'}")
        #: Flask-Limiter storage: "sql://" keeps counters in the database; redis://... for Redis.
        self.RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "sql://")
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        #: Per-IP limit on debtor sign-in attempts (Flask-Limiter syntax).
        self.SIGNIN_IP_LIMIT = _env("SIGNIN_IP_LIMIT", "50 per 5 minutes")
        #: Failed knowledge checks on one case before that step is closed for it.
        self.VERIFICATION_MAX_FAILURES = _int("VERIFICATION_MAX_FAILURES", 10)
        self.SESSION_IDLE_SECONDS = _int("SESSION_IDLE_SECONDS", 15 * 60)
        self.SESSION_ABSOLUTE_SECONDS = _int("SESSION_ABSOLUTE_SECONDS", 8 * 3600)
        self.SESSION_COOKIE_SECURE = env == "production" or _bool("SESSION_COOKIE_SECURE", False)
        self.SESSION_COOKIE_NAME = "__Host-portal" if self.SESSION_COOKIE_SECURE else "portal"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.PREFERRED_URL_SCHEME = "https" if self.SESSION_COOKIE_SECURE else "http"
        self.WTF_CSRF_TIME_LIMIT = None  # bound to the server-side session instead
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_TRANSLATION_DIRECTORIES = str(HERE / "translations")
        #: Languages offered in the switcher (each has a catalogue in translations/).
        self.PORTAL_LANGUAGES = (_env("PORTAL_LANGUAGES", ",".join(LANGUAGES)) or "en").split(",")
        #: Collection ledger: https://... in production; file:///path.jsonl appends events locally.
        self.LEDGER_URL = _env("LEDGER_URL", f"file://{var / 'ledger-events.jsonl'}")
        #: Shared secret for the Ledger-Signature HMAC.
        self.LEDGER_SECRET = _env("LEDGER_SECRET", "dev-ledger-secret")
        #: Stripe API base: the real one in production; the local emulator in development.
        self.STRIPE_API_BASE = _env("STRIPE_API_BASE", STRIPE_EMULATOR_BASE)
        self.STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY", "sk_test_emulator")
        self.STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET", "whsec_emulator")
        #: How many reverse proxies (TLS terminator, load balancer) stand in front of the app.
        #: Their X-Forwarded-For/-Proto/-Host are trusted that many hops deep, so per-IP limits
        #: see the debtor's address and not the proxy's. 0 (development) trusts none.
        self.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
        #: `flask ledger status` warns when the oldest undelivered event is older than this.
        self.LEDGER_LAG_WARNING_SECONDS = _int("LEDGER_LAG_WARNING_SECONDS", 900)
        #: Relay tuning (see portal/ledger/relay.py); the defaults suit production.
        self.LEDGER_BATCH_SIZE = _int("LEDGER_BATCH_SIZE", 500)
        self.LEDGER_TIMEOUT_SECONDS = _float("LEDGER_TIMEOUT_SECONDS", 10.0)
        self.LEDGER_LEASE_SECONDS = _float("LEDGER_LEASE_SECONDS", 30.0)
        self.LEDGER_POLL_SECONDS = _float("LEDGER_POLL_SECONDS", 1.0)
        self.LEDGER_BACKOFF_BASE_SECONDS = _float("LEDGER_BACKOFF_BASE_SECONDS", 1.0)
        self.LEDGER_BACKOFF_MAX_SECONDS = _float("LEDGER_BACKOFF_MAX_SECONDS", 600.0)
        self.LEDGER_RETRY_HORIZON_SECONDS = _int("LEDGER_RETRY_HORIZON_SECONDS", 72 * 3600)
        #: Bearer token for GET /metrics/...; the metrics routes answer 404 while it is unset.
        self.METRICS_TOKEN = _env("METRICS_TOKEN")
        self.TESTING = env == "test"
        if overrides:
            for key, value in overrides.items():
                setattr(self, key, value)
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            options = dict(self.SQLALCHEMY_ENGINE_OPTIONS)
            options["connect_args"] = {"connect_timeout": self.DATABASE_CONNECT_TIMEOUT, **options.get("connect_args", {})}
            self.SQLALCHEMY_ENGINE_OPTIONS = options

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}

    def check(self) -> None:
        """Refuse unsafe production settings; called by the app factory."""
        if self.PORTAL_ENV not in {"development", "test", "production"}:
            raise ConfigError(f"PORTAL_ENV must be development, test or production, not {self.PORTAL_ENV!r}")
        if self.PORTAL_ENV != "production":
            return
        problems = []
        if not self.SECRET_KEY or self.SECRET_KEY == DEV_SECRET or len(self.SECRET_KEY) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        for name in ("MAIL_URL", "SMS_URL"):
            if str(getattr(self, name, "")).startswith("file:"):
                problems.append(f"{name} points at a development file sender")
        if not self.LEDGER_URL.startswith("https://"):
            problems.append("LEDGER_URL must be the ledger's https:// address, not a file or emulator")
        if self.LEDGER_SECRET == "dev-ledger-secret":
            problems.append("LEDGER_SECRET must be set")
        if self.STRIPE_API_BASE.rstrip("/") != STRIPE_API:
            problems.append(f"STRIPE_API_BASE must be {STRIPE_API}, not an emulator")
        if self.STRIPE_SECRET_KEY == "sk_test_emulator" or self.STRIPE_WEBHOOK_SECRET == "whsec_emulator":
            problems.append("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set")
        if not self.PORTAL_BASE_URL.startswith("https://"):
            problems.append("PORTAL_BASE_URL must be an https:// address")
        if problems:
            raise ConfigError("refusing to start in production: " + "; ".join(problems))


def _normalise_db_url(url: str) -> str:
    """Accept the postgres:// spellings hosting platforms hand out; use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
