"""The support-needs form: the debtor's words and their explicit consent."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

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
