"""Plan forms: choosing an offer, proposing one's own plan, moving a date, agent decisions, policy edits."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from portal.payments.forms import NONCE_PATTERN
from portal.plans.rules import Frequency


class ChooseForm(FlaskForm):
    """One offer's button: the offer key (recomputed by the server) and a submission nonce."""

    offer = HiddenField(validators=[InputRequired(), Regexp(r"^[a-z]+-[0-9]{1,3}$")])
    nonce = HiddenField(validators=[InputRequired(), Regexp(NONCE_PATTERN)])


class NonceForm(FlaskForm):
    """A button that starts a payment (first instalment, pay now): CSRF and a submission nonce."""

    nonce = HiddenField(validators=[InputRequired(), Regexp(NONCE_PATTERN)])


class ButtonForm(FlaskForm):
    """A plain button (withdraw, replace the method): CSRF only."""


class ProposeForm(FlaskForm):
    """The debtor's own plan: amount per period, how often, from when, and optional context."""

    amount = StringField(_l("Amount you can pay each time"), validators=[InputRequired(
        message=_l("Enter the amount you can pay each time."))])
    frequency = RadioField(_l("How often"), choices=[
        SelectChoice(Frequency.monthly.value, _l("Every month")),
        SelectChoice(Frequency.biweekly.value, _l("Every two weeks")),
        SelectChoice(Frequency.weekly.value, _l("Every week"))], default=Frequency.monthly.value,
        validators=[InputRequired(message=_l("Choose how often you will pay."))])
    start = DateField(_l("First payment on"), validators=[InputRequired(
        message=_l("Enter the date of your first payment, for example 2027-01-15."))])
    reason = TextAreaField(_l("Why this amount (optional)"), validators=[Optional(), Length(max=1000)])
    income = StringField(_l("Your monthly income (optional)"), validators=[Optional(), Length(max=20)])
    expenditure = StringField(_l("Your monthly essential spending (optional)"), validators=[Optional(), Length(max=20)])
    support_consent = BooleanField(_l("I agree that the agency keeps what I write below, to take it into account"))
    support_needs = TextAreaField(_l("Anything that makes paying or dealing with us harder (optional)"),
                                  validators=[Optional(), Length(max=1000)])


class MoveForm(FlaskForm):
    """Move one future due date."""

    number = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,3}$")])
    new_date = DateField(_l("New date"), validators=[InputRequired(message=_l("Enter the new date."))])


class RejectForm(FlaskForm):
    """An agent's rejection, with the reason the debtor reads."""

    reason = TextAreaField(_l("Reason (the debtor reads it)"), validators=[
        InputRequired(message=_l("Give the reason for the debtor.")), Length(max=1000)])


class CounterForm(FlaskForm):
    """An agent's counter-offer: number of instalments, how often, first date, and a note."""

    count = StringField(_l("Number of instalments"), validators=[InputRequired(), Regexp(
        r"^[0-9]{1,3}$", message=_l("Enter a whole number."))])
    frequency = RadioField(_l("How often"), choices=[SelectChoice(f.value, f.value) for f in Frequency],
                           default=Frequency.monthly.value, validators=[InputRequired()])
    start = DateField(_l("First payment on"), validators=[InputRequired()])
    note = TextAreaField(_l("Note for the debtor"), validators=[InputRequired(), Length(max=1000)])


class PolicyForm(FlaskForm):
    """A supervisor's edit of a creditor's policy, as JSON."""

    document = TextAreaField(_l("Policy (JSON)"), validators=[InputRequired(), Length(max=20000)])
