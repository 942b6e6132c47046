"""Sealed secrets: what the database holds is a token only the app's keys open; rotation keeps old tokens readable."""

from __future__ import annotations

import pytest

from portal import sealing

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_sealed_seed_opens_to_itself_and_never_shows(app):
    with app.app_context():
        first, second = sealing.seal(SEED), sealing.seal(SEED)
        assert SEED not in first and first != second  # a fresh token each time
        assert sealing.unseal(first) == sealing.unseal(second) == SEED


def test_rotation_old_tokens_open_with_the_fallback_and_reseal_under_the_new_key(app, monkeypatch):
    with app.app_context():
        old = sealing.seal(SEED)
        monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [app.config["SECRET_KEY"]])
        monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key-of-more-than-32-characters")
        assert sealing.unseal(old) == SEED
        new = sealing.reseal(old)
        monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
        assert sealing.unseal(new) == SEED
        with pytest.raises(sealing.UnsealError, match="SECRET_KEY_FALLBACKS"):
            sealing.unseal(old)
