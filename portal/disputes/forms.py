"""Dispute forms: the debtor's dispute with evidence, and the agent's decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from portal.disputes.models import DisputeReason, UpheldOutcome
from portal.disputes.services import MESSAGE_MAX


class DisputeForm(FlaskForm):
    """Why the debtor disputes, in their words, with optional evidence files."""

    reason = RadioField(_l("Why do you dispute this debt?"), choices=[
        SelectChoice(DisputeReason.not_mine.value, _l("It is not my debt")),
        SelectChoice(DisputeReason.already_paid.value, _l("I have already paid it")),
        SelectChoice(DisputeReason.wrong_amount.value, _l("The amount is wrong")),
        SelectChoice(DisputeReason.goods.value, _l("I returned the goods, or never received them")),
        SelectChoice(DisputeReason.other.value, _l("Another reason"))],
        validators=[InputRequired(message=_l("Choose the reason that fits best."))])
    message = TextAreaField(_l("Tell us what happened"), validators=[
        InputRequired(message=_l("Tell us in a few words what happened.")),
        Length(max=MESSAGE_MAX, message=_l("Please keep it to %(max)d characters.", max=MESSAGE_MAX))])
    evidence = MultipleFileField(_l("Evidence (optional)"))


class DecisionForm(FlaskForm):
    """The agent's decision on a dispute."""

    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("upheld", _l("Upheld: the debtor is right")),
        SelectChoice("not_upheld", _l("Not upheld: collection resumes"))],
        validators=[InputRequired(message=_l("Choose a decision."))])
    outcome = RadioField(_l("If upheld"), choices=[
        SelectChoice(UpheldOutcome.close.value, _l("Close the case in the ledger")),
        SelectChoice(UpheldOutcome.correct.value, _l("Correct the balance in the ledger"))],
        validators=[Optional()])
    corrected_total = StringField(_l("Corrected total (if corrected)"), validators=[
        Optional(), Regexp(r"^\d{1,12}([.,]\d{1,3})?$", message=_l("Enter an amount such as 120.50."))])
    explanation = TextAreaField(_l("Explanation for the debtor"), validators=[
        Length(max=MESSAGE_MAX, message=_l("Please keep it to %(max)d characters.", max=MESSAGE_MAX))])
