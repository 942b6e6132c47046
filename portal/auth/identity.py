"""The signed-in debtor as Flask-Login sees it."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import UserMixin, current_user
from sqlalchemy import Select, select

from portal.cases.models import Case, CaseExport, CaseStatus
from portal.extensions import login_manager

#: Signed in with proof of possession (reminder link or one-time code).
FULL = "full"
#: Signed in on the knowledge step alone (creditor allows it, no e-mail or phone on file):
#: personal details are shown masked and cannot be changed.
LOW = "low"


class DebtorIdentity(UserMixin):
    """A debtor signed in through one of their cases; sees every case of the same debtor."""

    def __init__(self, debtor_id: int, assurance: str) -> None:
        if assurance not in (FULL, LOW):
            raise ValueError(f"unknown assurance {assurance!r}")
        self.debtor_id = debtor_id
        self.assurance = assurance
        #: The debtor's row once the user loader has read it; holding it keeps it in the ORM
        #: session's (weak) identity map, so the pages' `session.get(Debtor, id)` needs no query.
        self.debtor = None

    #: Templates and guards tell debtors from staff by this.
    is_staff = False

    def get_id(self) -> str:
        return f"{self.debtor_id}:{self.assurance}"

    @classmethod
    def from_id(cls, user_id: str) -> DebtorIdentity | None:
        debtor_id, _, assurance = user_id.partition(":")
        try:
            return cls(int(debtor_id), assurance)
        except ValueError:
            return None

    @property
    def full(self) -> bool:
        return self.assurance == FULL

    def cases(self) -> Select[tuple[Case]]:
        """Every case of this debtor that may be shown: all but the closed ones."""
        return (
            select(Case)
            .join(CaseExport, CaseExport.id == Case.current_export_id)
            .where(Case.debtor_id == self.debtor_id, CaseExport.status != CaseStatus.closed)
            .order_by(Case.reference)
        )


def debtor_required(view):
    """Like `login_required`, but only a signed-in debtor passes: staff sessions get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not isinstance(current_user._get_current_object(), DebtorIdentity):
            abort(403)
        return view(*args, **kwargs)

    return wrapped
