"""Masking of personal details for low-assurance sessions."""

from __future__ import annotations

from portal.debtor import services


def test_masked_name_keeps_only_initials():
    assert services.mask_name("Marie  Dupont") == "M**** D*****"
    assert services.mask_name("Åsa Öberg-Lindqvist") == "Å** Ö**************"


def test_masked_email_hides_mailbox_and_domain_name():
    assert services.mask_email("marie@example.fr") == "m****@e******.fr"
    assert services.mask_email("a@b.co.uk") == "a**@b***.uk"
    assert services.mask_email("x@localhost") == "x**@l********"


def test_masked_phone_keeps_the_last_two_digits():
    assert services.mask_phone("+33612345678") == "**********78"
    assert "3361234567" not in services.mask_phone("+33612345678")

