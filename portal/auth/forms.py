"""Sign-in forms: reference with date of birth or postcode, then the one-time code."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.auth.services import REFERENCE_FORMAT, normalise_reference
from portal.clock import today


class SignInForm(FlaskForm):
    """Step one. The date of birth is asked for; companies and some people give the postcode."""

    reference = StringField(
        _l("Case reference"),
        validators=[
            InputRequired(_l("Enter the case reference from your letter or message")),
            Length(max=60, message=_l("The case reference is at most 32 letters and numbers")),
        ],
    )
    dob_day = StringField(_l("Day"))
    dob_month = StringField(_l("Month"))
    dob_year = StringField(_l("Year"))
    postcode = StringField(
        _l("Postcode"), validators=[Length(max=20, message=_l("The postcode is at most 20 characters"))]
    )

    #: The parsed date of birth after validation, or None when the postcode was given instead.
    birth_date: date | None = None

    def validate_reference(self, field: StringField) -> None:
        """Letters, digits and dashes only, 6 to 32 of them once spaces are removed."""
        if not REFERENCE_FORMAT.fullmatch(normalise_reference(field.data or "")):
            raise ValidationError(
                _l("Enter the case reference as it is printed, for example AB-2024-001234")
            )

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the date of birth (all three parts) or a postcode."""
        valid = super().validate(extra_validators)
        parts = [(f.data or "").strip() for f in (self.dob_day, self.dob_month, self.dob_year)]
        self.birth_date = None
        if any(parts):
            self.birth_date = _parse_date(*parts)
            if self.birth_date is None:
                self.dob_day.errors = list(self.dob_day.errors) + [
                    _l("Enter your date of birth as numbers, for example 27 3 1980")
                ]
                valid = False
        elif not (self.postcode.data or "").strip():
            self.dob_day.errors = list(self.dob_day.errors) + [
                _l("Enter your date of birth, or your postcode if your letter asks for it")
            ]
            valid = False
        return valid

    @property
    def normalised_reference(self) -> str:
        """The reference as the database stores it."""
        return normalise_reference(self.reference.data or "")


def _parse_date(day: str, month: str, year: str) -> date | None:
    """A real past date from three numeric parts (year with four digits), else None."""
    if not (re.fullmatch(r"\d{1,2}", day) and re.fullmatch(r"\d{1,2}", month) and re.fullmatch(r"\d{4}", year)):
        return None
    try:
        parsed = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return parsed if date(1900, 1, 1) <= parsed <= today() else None


class ChannelForm(FlaskForm):
    """Where to send the one-time code; the choices are the masked address and number on file."""

    channel = RadioField(
        _l("Where should we send your code?"),
        choices=[],
        validators=[InputRequired(_l("Choose where to send your code"))],
        validate_choice=True,
    )


class CodeForm(FlaskForm):
    """The six-digit code; spaces are ignored."""

    code = StringField(_l("Code"), validators=[InputRequired(_l("Enter the 6-digit code we sent you"))])

    def validate_code(self, field: StringField) -> None:
        """Six digits once spaces and dashes are removed."""
        field.data = re.sub(r"[\s-]", "", field.data or "")
        if not re.fullmatch(r"\d{6}", field.data):
            raise ValidationError(_l("The code is 6 digits, for example 123456"))
