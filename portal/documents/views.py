"""The debtor's PDF downloads and the public verification page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from portal.auth.identity import debtor_required
from portal.debtor import services as debtor_services
from portal.documents import compose, services
from portal.documents.forms import VerifyForm
from portal.documents.models import DocumentKind
from portal.documents.pdf import draw
from portal.extensions import db
from portal.ratelimit import limiter

bp = Blueprint("documents", __name__)


def verify_ip_limit() -> str:
    """Per-IP limit on code checks, read per request so tests and deployments can change it."""
    return current_app.config.get("VERIFY_IP_LIMIT", "30 per 10 minutes")


def _own_case(reference: str):
    """The signed-in debtor's case, or 404 (the same for anyone else's)."""
    case = debtor_services.find_case(current_user, reference)
    if case is None:
        abort(404)
    return case


def _pdf(data: bytes, filename: str) -> Response:
    """A PDF download that no cache keeps (it holds personal data)."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cases/<reference>/documents")
@debtor_required
def index(reference: str):
    """The documents the debtor can download for one case."""
    case = _own_case(reference)
    return render_template(
        "documents/index.html", case=case, payments=services.paid_payments(case),
        letter=services.closing_letter(case),
    )


@bp.get("/cases/<reference>/documents/statement.pdf")
@debtor_required
def statement(reference: str):
    """The statement of the case today, with a fresh verification code."""
    case = _own_case(reference)
    issued = services.issue(case, DocumentKind.statement, debtor_services.figures(case).total_due)
    data = draw(compose.statement(case, issued))
    db.session.commit()
    return _pdf(data, f"statement-{case.reference}.pdf")


@bp.get("/cases/<reference>/documents/receipt-<payment_reference>.pdf")
@debtor_required
def receipt(reference: str, payment_reference: str):
    """The receipt of one received payment of the case."""
    case = _own_case(reference)
    payment = services.find_payment(case, payment_reference)
    if payment is None:
        abort(404)
    issued = services.issue(case, DocumentKind.receipt, payment.amount, payment)
    data = draw(compose.receipt(case, payment, issued))
    db.session.commit()
    return _pdf(data, f"receipt-{payment.reference}.pdf")


@bp.get("/cases/<reference>/documents/letter.pdf")
@debtor_required
def letter(reference: str):
    """The paid-in-full or settlement letter, once nothing more is due."""
    case = _own_case(reference)
    earned = services.closing_letter(case)
    if earned is None:
        abort(404)
    kind, amount = earned
    issued = services.issue(case, kind, amount)
    data = draw(compose.closing_letter(case, kind, issued))
    db.session.commit()
    return _pdf(data, f"{kind.value.replace('_', '-')}-{case.reference}.pdf")


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(verify_ip_limit, exempt_when=lambda: request.method == "GET" and not request.args.get("code"))
def verify():
    """Anyone can check a code: the page confirms only the type, date, creditor, masked reference and amount."""
    form = VerifyForm(request.args if request.method == "GET" else request.form,
                      meta={"csrf": request.method == "POST"})
    document, checked = None, False
    if (request.method == "POST" or request.args.get("code")) and form.validate():
        checked = True
        document = services.verify(form.code.data)
    status = 404 if checked and document is None else 200
    return render_template("documents/verify.html", form=form, document=document, checked=checked), status
