"""No card number ever reaches the portal (SAQ A): reference row 7.

The debtor pays with test cards on the hosted Checkout page (the emulator's, in-process);
afterwards every text column of every table and every log record is scanned for a
Luhn-valid run of 13 to 19 digits (spaces or dashes allowed between them).
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from portal.extensions import db
from tests.payments.conftest import DECLINED, THREE_DS, VISA

PAN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def luhn_valid(digits: str) -> bool:
    """The Luhn check every card number passes."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    """Luhn-valid 13-19 digit runs in the text."""
    found = []
    for match in PAN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(digits)
    return found


def test_the_scanner_finds_card_numbers_however_written():
    assert card_numbers(f"card {VISA} and 4242 4242 4242 4242, 4000-0000-0000-0002") == [VISA, VISA, DECLINED]
    assert card_numbers("case 1234567890123 ref 2026-11-26 amount 11950") == []  # not Luhn-valid


def test_no_card_number_in_the_database_or_the_logs_after_card_payments(app, debtor, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    debtor.has_case()
    declined = debtor.checkout("part", "20")
    debtor.pay_on_stripe(declined, card=DECLINED)
    debtor.pay_on_stripe(declined, card=THREE_DS)
    debtor.come_back(debtor.pay_on_stripe(debtor.checkout("full"), card=VISA))
    emulator.deliver()
    assert any(p.state.paid for p in debtor.payments())  # the journey really paid by card
    with app.app_context():
        scanned = 0
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                scanned += 1
                for value in row:
                    assert not card_numbers(str(value)), (table.name, value)
        assert scanned > 20
    assert not card_numbers("\n".join(r.getMessage() for r in caplog.records))
