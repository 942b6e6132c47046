"""The pay form: which choice, the part-payment amount, and the submission's nonce."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, InputRequired, Regexp

from portal.payments.models import PaymentKind

NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


def new_nonce() -> str:
    """A fresh submission id for one pay button (128 bits)."""
    return secrets.token_urlsafe(16)


class PayForm(FlaskForm):
    """One pay button; the amount is read only for a part payment and checked by the server's policy."""

    kind = HiddenField(validators=[InputRequired(), AnyOf([k.value for k in PaymentKind])])
    nonce = HiddenField(validators=[InputRequired(), Regexp(NONCE_PATTERN)])
    amount = StringField(_l("Amount to pay"))
