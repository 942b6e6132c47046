"""The hardship forms: support needs (the debtor's words and explicit consent) and a pause."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.support.services import DETAILS_MAX


class SupportForm(FlaskForm):
    """Share support needs; consent is required, not implied."""

    details = TextAreaField(_l("What should we know to help you?"), validators=[
        InputRequired(message=_l("Tell us in a few words what would help.")),
        Length(max=DETAILS_MAX, message=_l("Please keep it to %(max)d characters.", max=DETAILS_MAX))])
    consent = BooleanField(_l("I agree that the agency keeps this to help me, and shows it only to its agents."),
                           validators=[DataRequired(message=_l("Tick the box if you agree; otherwise we keep nothing."))])


class EraseForm(FlaskForm):
    """The "forget what I shared" button: CSRF only."""


class PauseForm(FlaskForm):
    """Ask for a pause in collection; the upper bound (the days left) is checked by the service."""

    days = IntegerField(_l("For how many days?"), validators=[
        InputRequired(message=_l("Enter a number of days.")),
        NumberRange(min=1, message=_l("Enter at least 1 day."))])
