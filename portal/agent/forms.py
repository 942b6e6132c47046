"""Back-office forms: sign-in, TOTP code, case search, notes, and bare CSRF-only action forms."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

#: Longest note kept; longer text is refused with a message, never cut.
NOTE_MAX = 4000


class SignInForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(
        _l("E-mail"),
        validators=[InputRequired(_l("Enter your e-mail address")), Length(max=320, message=_l("The e-mail address is too long"))],
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password")), Length(max=1024, message=_l("The password is too long"))],
    )


class TotpForm(FlaskForm):
    """The six-digit code of the authenticator app; spaces are ignored."""

    code = StringField(_l("Code from your authenticator app"), validators=[InputRequired(_l("Enter the 6-digit code"))])

    def validate_code(self, field: StringField) -> None:
        """Six digits once spaces are removed."""
        field.data = re.sub(r"\s", "", field.data or "")
        if not re.fullmatch(r"\d{6}", field.data):
            raise ValidationError(_l("The code is 6 digits, for example 123456"))


class SearchForm(FlaskForm):
    """Case reference, or the start of the debtor's name or e-mail (sent by GET, so no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Case reference, name or e-mail"),
        validators=[
            InputRequired(_l("Enter a case reference, or the start of a name or e-mail address")),
            Length(min=2, max=100, message=_l("Enter between 2 and 100 characters")),
        ],
    )


class NoteForm(FlaskForm):
    """A new internal note on a case."""

    body = TextAreaField(
        _l("New note"),
        validators=[
            InputRequired(_l("Write the note before saving it")),
            Length(max=NOTE_MAX, message=_l("A note is at most %(max)d characters", max=NOTE_MAX)),
        ],
    )

    def validate_body(self, field: TextAreaField) -> None:
        """Not only spaces."""
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError(_l("Write the note before saving it"))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
