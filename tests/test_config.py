"""Configuration: development works out of the box; production refuses unsafe settings."""

import pytest

from config import DEV_SECRET, Config, ConfigError


def _production(monkeypatch, **env):
    monkeypatch.setenv("PORTAL_ENV", "production")
    base = {
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": "postgresql://portal@db/portal",
        "PORTAL_BASE_URL": "https://pay.example.eu",
        "MAIL_URL": "smtp://mail.example.eu:587",
        "SMS_URL": "https://token@sms.example.eu/send",
        "LEDGER_URL": "https://ledger.example.eu",
        "LEDGER_SECRET": "l" * 40,
        "STRIPE_API_BASE": "https://api.stripe.com",
        "STRIPE_SECRET_KEY": "sk_live_abc",
        "STRIPE_WEBHOOK_SECRET": "whsec_abc",
    }
    base.update(env)
    for key, value in base.items():
        monkeypatch.setenv(key, value)
    return Config()


def test_development_defaults_work_without_any_variable(monkeypatch):
    for name in ("PORTAL_ENV", "SECRET_KEY", "DATABASE_URL", "MAIL_URL"):
        monkeypatch.delenv(name, raising=False)
    config = Config()
    config.check()
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.MAIL_URL.startswith("file://")
    assert config.SESSION_COOKIE_SECURE is False


def test_a_complete_production_configuration_starts(monkeypatch):
    config = _production(monkeypatch)
    config.check()
    assert config.SESSION_COOKIE_SECURE is True
    assert config.SESSION_COOKIE_NAME.startswith("__Host-")
    assert config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    "env, complaint",
    [
        ({"SECRET_KEY": DEV_SECRET}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"MAIL_URL": "file:///tmp/mail"}, "MAIL_URL"),
        ({"SMS_URL": "file:///tmp/sms"}, "SMS_URL"),
        ({"LEDGER_URL": "file:///tmp/events.jsonl"}, "LEDGER_URL"),
        ({"STRIPE_API_BASE": "http://127.0.0.1:12111"}, "STRIPE_API_BASE"),
        ({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY"),
        ({"LEDGER_SECRET": ""}, "LEDGER_SECRET"),
        ({"PORTAL_BASE_URL": "http://pay.example.eu"}, "PORTAL_BASE_URL"),
    ],
)
def test_production_refuses_development_settings(monkeypatch, env, complaint):
    config = _production(monkeypatch, **env)
    with pytest.raises(ConfigError, match=complaint):
        config.check()


def test_bad_integer_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_SECONDS", "fifteen")
    with pytest.raises(RuntimeError, match="SESSION_IDLE_SECONDS"):
        Config()


def test_trusted_proxy_headers_give_the_debtors_address(monkeypatch):
    from flask import request

    from portal import create_app

    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @app.get("/_test/ip")
    def _ip():
        return f"{request.remote_addr} {request.scheme}"

    seen = app.test_client().get(
        "/_test/ip", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert seen.get_data(as_text=True) == "203.0.113.7 https"


def test_without_trusted_proxies_forwarded_headers_are_ignored(monkeypatch):
    from flask import request

    from portal import create_app

    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @app.get("/_test/ip")
    def _ip():
        return request.remote_addr

    seen = app.test_client().get("/_test/ip", headers={"X-Forwarded-For": "203.0.113.7"},
                                 environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen.get_data(as_text=True) == "10.0.0.2"
