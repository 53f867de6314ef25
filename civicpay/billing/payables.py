"""Billing's side of the payments settlement registry (see ``civicpay.payments.registry``).

Payments never imports billing. Billing registers :class:`BillingPayable` for the kind
``billing.paymentrequest`` (``BillingConfig.ready``) and builds the :class:`PayableSpec` the web layer
hands to ``payment_create`` with :func:`payables_for_requests`. When a payment succeeds, payments calls
``on_success`` inside its transaction; billing marks the request paid, which tells the owner (the
dossier) through billing's own owner registry — one transaction from the gateway's IPN to the dossier.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from civicpay.billing.errors import AlreadyPaid, BillingError, IllegalTransition
from civicpay.billing.models import PaymentRequest
from civicpay.billing.receipts import receipt_issue
from civicpay.billing.services import payment_request_mark_paid
from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.db.statements import Select
from civicpay.payments.errors import PayableRefused
from civicpay.payments.ledger import revenue_account
from civicpay.payments.types import PayableSpec, RevenueLine

if TYPE_CHECKING:
    from civicpay.payments.models import Payment, PaymentItem

PAYABLE_KIND = "billing.paymentrequest"
_REQUEST = Select(PaymentRequest, where=("pk",))  # compiled once: read for every notice a payment settles


def payables_for_requests(requests: Iterable[PaymentRequest]) -> list[PayableSpec]:
    """What to pay for ``requests`` (all still issued), with revenue split by fee kind:
    ``revenue:<agency code>:fee|charge|financial_obligation``. Raises ``BillingError`` for a request
    that is no longer payable (paid, cancelled, expired)."""
    specs = []
    for request in requests:
        if not request.is_payable:
            raise BillingError(
                _("Thông báo thu phí %(number)s đang ở trạng thái “%(status)s”, không thể thanh toán.")
                % {"number": request.number, "status": request.get_status_display()}
            )
        revenue = [
            RevenueLine(
                account_code=revenue_account(request.agency.code, group.kind),
                amount=group.subtotal,
                label=group.label,
            )
            for group in request.lines_by_kind
            if group.subtotal > 0
        ]
        specs.append(
            PayableSpec(
                kind=PAYABLE_KIND,
                payable_id=str(request.pk),
                reference=f"{request.owner_reference} ({request.number})",
                description=request.description,
                amount=request.total,
                agency_code=request.agency.code,
                revenue_lines=revenue,
            )
        )
    return specs


class BillingPayable:
    """Settles a payment request when payments confirms the money."""

    def on_success(self, *, item: PaymentItem, payment: Payment) -> None:
        request = _REQUEST.get(int(item.payable_id))
        if request is None:
            raise PaymentRequest.DoesNotExist(f"Payment request {item.payable_id} does not exist")
        try:
            paid = payment_request_mark_paid(
                request=request,
                paid_at=payment.paid_at or payment.completed_at or clock.now(),
                payment_reference=payment.reference,
                savepoint=False,  # payments calls on_success in a savepoint and rolls it back on a refusal
            )
        except (AlreadyPaid, IllegalTransition) as refused:
            raise PayableRefused(refused.message) from refused
        # The receipt (biên lai) is numbered in the same transaction: paid ⇔ has a receipt number.
        receipt_issue(request=paid, payment=payment, already_locked=True)

    def on_overpaid(self, *, item: PaymentItem, payment: Payment, reason: str) -> None:
        request = PaymentRequest.objects.get(pk=int(item.payable_id))
        audit_record(
            actor=None,
            action="payment_request.overpaid",
            target=request,
            after={"payment_reference": payment.reference, "amount": item.amount, "status": request.status},
            note=reason,
        )
