"""Contact-detail forms: a new e-mail, a new phone, a postal address, and the code that confirms."""

from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp, ValidationError

from portal.countries import country_names
from portal.notifications.messages import E164

#: What people type between the digits of a phone number.
_SEPARATORS = re.compile(r"[\s.()\-]")


def phone_digits(raw: str | None) -> str:
    """A typed number without spaces, dots, dashes or brackets ("00" becomes "+")."""
    number = _SEPARATORS.sub("", raw or "")
    return "+" + number[2:] if number.startswith("00") else number


def country_choices() -> list[tuple[str, str]]:
    """Every country, named in the page's language, sorted by that name."""
    return list(country_names(str(get_locale() or "en")))


class EmailForm(FlaskForm):
    """The new e-mail address."""

    email = StringField(_l("New e-mail address"), validators=[
        InputRequired(message=_l("Enter your new e-mail address.")),
        Length(max=320, message=_l("This e-mail address is too long.")),
        Email(check_deliverability=False, message=_l("Enter an e-mail address such as name@example.com."))])


class PhoneForm(FlaskForm):
    """The new mobile number, in international form."""

    phone = StringField(_l("New mobile number"), validators=[InputRequired(message=_l("Enter your new mobile number."))])

    def validate_phone(self, field) -> None:
        """Accept +33 6 12 34 56 78 or 0033612345678; keep it as +33612345678."""
        number = phone_digits(field.data)
        if not E164.fullmatch(number):
            raise ValidationError(_l("Enter the number with its country code, such as +33 6 12 34 56 78."))
        field.data = number


class AddressForm(FlaskForm):
    """A postal address."""

    line1 = StringField(_l("Street and number"), validators=[
        InputRequired(message=_l("Enter the street and number.")),
        Length(max=200, message=_l("Please keep it to %(max)d characters.", max=200))])
    line2 = StringField(_l("Flat, building, care of (optional)"), validators=[
        Optional(), Length(max=200, message=_l("Please keep it to %(max)d characters.", max=200))])
    postcode = StringField(_l("Postcode"), validators=[
        InputRequired(message=_l("Enter the postcode.")),
        Length(max=20, message=_l("Please keep it to %(max)d characters.", max=20))])
    city = StringField(_l("Town or city"), validators=[
        InputRequired(message=_l("Enter the town or city.")),
        Length(max=100, message=_l("Please keep it to %(max)d characters.", max=100))])
    country = SelectField(_l("Country"), validators=[InputRequired(message=_l("Choose the country."))])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class CodeForm(FlaskForm):
    """The six-digit code sent to the new e-mail or phone."""

    code = StringField(_l("Code"), validators=[
        InputRequired(message=_l("Enter the code we sent you.")),
        Regexp(r"^\s*\d{6}\s*$", message=_l("The code has six digits."))])
