"""Message forms: the debtor's message with attachments, and an agent's answer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.messages.services import BODY_MAX
from portal.payments.forms import new_nonce


class MessageForm(FlaskForm):
    """What the debtor writes to the agency, with optional files."""

    body = TextAreaField(_l("Your message"), validators=[
        InputRequired(message=_l("Please write your message.")),
        Length(max=BODY_MAX, message=_l("Please keep your message to %(max)d characters.", max=BODY_MAX))])
    attachments = MultipleFileField(_l("Attach files (optional)"))
    #: This form's random id: the same form sent twice makes one message.
    submission = HiddenField(default=new_nonce)


class ReplyForm(FlaskForm):
    """An agent's answer to the debtor."""

    body = TextAreaField(_l("Your answer"), validators=[
        InputRequired(message=_l("Write the answer.")),
        Length(max=BODY_MAX, message=_l("Please keep your message to %(max)d characters.", max=BODY_MAX))])
    #: This form's random id: the same form sent twice makes one answer.
    submission = HiddenField(default=new_nonce)
