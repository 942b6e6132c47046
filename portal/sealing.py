"""Secrets kept encrypted at rest: agents' TOTP seeds, so a copy of the database does not hand out second factors.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under keys derived with
HKDF-SHA256 from `SECRET_KEY` and then each of `SECRET_KEY_FALLBACKS` (Flask's own
rotation setting): the first key seals, every key unseals. To rotate SECRET_KEY, put the
old one in SECRET_KEY_FALLBACKS, deploy, run `flask agents reseal`, then drop it.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

#: HKDF context: keys for other purposes would use another label.
INFO = b"portal sealed secrets v1"


class UnsealError(RuntimeError):
    """A sealed value none of the configured keys opens (SECRET_KEY changed without a fallback)."""


def _key(secret: str) -> bytes:
    """A Fernet key derived from one application secret."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=4)
def _fernet(secrets: tuple[str, ...]) -> MultiFernet:
    """The keys, newest first (derivation is cached: HKDF is cheap, but not free per row)."""
    return MultiFernet([Fernet(_key(secret)) for secret in secrets])


def _current() -> MultiFernet:
    config = current_app.config
    return _fernet((config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ())))


def seal(value: str) -> str:
    """The value encrypted under the newest key (a different token each time)."""
    return _current().encrypt(value.encode()).decode("ascii")


def unseal(token: str) -> str:
    """The value of a sealed token; UnsealError if no configured key opens it."""
    try:
        return _current().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise UnsealError("a sealed secret does not open with SECRET_KEY or SECRET_KEY_FALLBACKS: "
                          "was SECRET_KEY changed without keeping the old one as a fallback?") from None


def reseal(token: str) -> str:
    """The same value sealed under the newest key."""
    return _current().rotate(token.encode("ascii")).decode("ascii")
