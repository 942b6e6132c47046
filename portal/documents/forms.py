"""The public verification form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.documents.services import normalise_code


class VerifyForm(FlaskForm):
    """One field: the code printed on the document."""

    code = StringField(_l("Verification code"), validators=[
        DataRequired(_l("Please type the verification code printed on the document.")),
        Length(max=60, message=_l("A verification code is 20 letters and digits, for example ABCD-EFGH-JKLM-NPQR-STUV.")),
    ])

    def validate_code(self, field) -> None:
        """Refuse what cannot be a code before looking anything up."""
        if normalise_code(field.data) is None:
            raise ValidationError(
                _l("A verification code is 20 letters and digits, for example ABCD-EFGH-JKLM-NPQR-STUV.")
            )
