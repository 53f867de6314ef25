"""Settling a successful payment: the payables, the payer's messages — after the success, from a task row.

The transaction that records a success (``services._settle``, reached from an IPN, a status query or a
finance decision) commits only what proves the money arrived: the payment's ``success``, its ledger entry,
the audit row and a ``settle_payment`` task row. That task row commits with the success or not at all, so
a success can never be left without its settlement being due. This module does the rest, once, in one
transaction under the payment's lock (docs/decisions/0011-settlement-after-success.md):

1. each payable's handler ``on_success`` (billing: the fee notice is paid, the receipt numbered, the dossier
   moves) in a savepoint; a payable that refuses (paid by another payment meanwhile, cancelled) becomes an
   overpayment: the item is marked, its owner told (``on_overpaid``), the payment flagged for
   reconciliation, and a correcting ledger entry moves its revenue to ``refund_due:<agency>``;
2. one SMS and one e-mail to the payer (outbox rows with keys naming the payment);
3. ``settled_at`` and an audit row.

A task that fails (a bug, the database gone) leaves ``settled_at`` empty and rolls everything back;
``payments_settle_overdue`` (a periodic job) enqueues such payments again. Running it twice changes
nothing: the lock and ``settled_at`` make it idempotent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.money import format_vnd
from civicpay.notifications.services import notification_send
from civicpay.payments.errors import PayableRefused
from civicpay.payments.ledger import Posting, ledger_post, refund_due_account
from civicpay.payments.models import SUCCESS_STATUSES, ItemOutcome, Payment
from civicpay.payments.providers.base import provider_get
from civicpay.payments.registry import payable_handler
from civicpay.payments.services import flag_for_reconciliation
from civicpay.payments.states import PaymentStatus

logger = logging.getLogger(__name__)


@task(queue_name="default")
def settle_payment(payment_id: int) -> str:
    """The task enqueued with every success; returns what it did (``settled``, ``already``, …)."""
    return payment_settle(payment_id=payment_id)


def payment_settle(*, payment_id: int) -> str:
    """Settle the payables of the successful payment ``payment_id`` once; see the module docstring."""
    with transaction.atomic():
        # The payer's user comes with it (for the messages); only the payment row is locked.
        payment = (
            Payment.objects.select_for_update(of=("self",)).select_related("payer_user").filter(pk=payment_id).first()
        )
        if payment is None:
            return "missing"
        if payment.settled_at is not None:
            return "already"
        if payment.payment_status not in SUCCESS_STATUSES:
            logger.error("Settlement asked for payment %s in %s", payment.reference, payment.status)
            return "not_successful"
        corrections: list[Posting] = []
        overpaid: list[str] = []
        for item in payment.items.all():
            if item.outcome != ItemOutcome.PENDING:
                continue
            handler = payable_handler(item.payable_kind)
            try:
                with transaction.atomic():  # a savepoint: a refusing handler leaves nothing behind
                    handler.on_success(item=item, payment=payment)
            except PayableRefused as refused:
                item.outcome = ItemOutcome.OVERPAID
                item.outcome_note = refused.reason[:500]
                item.save(update_fields=["outcome", "outcome_note"])
                handler.on_overpaid(item=item, payment=payment, reason=refused.reason)
                corrections.extend(Posting(a.account_code, debit=a.amount) for a in item.allocations.all())
                corrections.append(Posting(refund_due_account(payment.agency_code), credit=item.amount))
                overpaid.append(f"{item.reference}: {refused.reason}")
                continue
            item.outcome = ItemOutcome.SETTLED
            item.save(update_fields=["outcome"])
        payment.settled_at = clock.now()
        fields = ["settled_at"]
        if overpaid:
            fields += flag_for_reconciliation(
                payment, _("Thanh toán thừa, cần hoàn tiền: %(items)s") % {"items": "; ".join(overpaid)}
            )
            ledger_post(
                key=f"{payment.reference}:overpaid",
                kind="overpayment",
                description=f"Overpayment {payment.reference}: revenue moved to refund due",
                postings=corrections,
                payment=payment,
            )
        payment.save(update_fields=fields)
        audit_record(
            actor=None,
            action="payment.settled",
            target=payment,
            after={"reference": payment.reference, "overpaid_items": len(overpaid)},
        )
        _notify_success(payment)
    return "settled"


def settlement_grace() -> timedelta:
    """How long a success may wait for its settlement task before the sweep enqueues it again."""
    return timedelta(seconds=int(settings.PAYMENT_SETTLE_GRACE_SECONDS))


def payments_settle_overdue(*, limit: int = 200) -> int:
    """The periodic job (``payments.settle_overdue``): enqueue the settlement of successes that still wait
    for it after the grace period (their task failed or was lost); returns how many."""
    due = Payment.objects.filter(
        status=PaymentStatus.SUCCESS, settled_at__isnull=True, completed_at__lt=clock.now() - settlement_grace()
    ).order_by("completed_at")
    ids = list(due.values_list("pk", flat=True)[:limit])
    for payment_id in ids:
        logger.warning("Payment %s is still unsettled after the grace period: settling again", payment_id)
        settle_payment.enqueue(payment_id)
    return len(ids)


def _notify_success(payment: Payment) -> None:
    """One SMS and one e-mail per payment, whatever number of callbacks: the keys name the payment."""
    with translation.override("vi"):
        at = clock.local(payment.paid_at or payment.completed_at or clock.now())
        context = {
            "amount": format_vnd(payment.amount),
            "what": payment.description,
            "no": payment.provider_transaction_no or payment.reference,
            "provider": provider_get(payment.provider).name,
            "time": f"{at:%H:%M %d/%m/%Y}",
            "ref": payment.reference,
        }
        if payment.payer_phone:
            notification_send(
                channel="sms",
                to=payment.payer_phone,
                body=_("CivicPay: Đã thanh toán %(amount)s cho %(what)s. Mã GD %(provider)s: %(no)s lúc %(time)s.")
                % context,
                key=f"payment:{payment.reference}:success:sms",
                user=payment.payer_user,
            )
        if payment.payer_email:
            notification_send(
                channel="email",
                to=payment.payer_email,
                subject=_("Xác nhận thanh toán %(ref)s") % context,
                body=_(
                    "Kính gửi %(name)s,\n\n"
                    "Chúng tôi đã nhận thanh toán của Quý khách.\n\n"
                    "Số tiền: %(amount)s\n"
                    "Nội dung: %(what)s\n"
                    "Mã giao dịch CivicPay: %(ref)s\n"
                    "Mã giao dịch %(provider)s: %(no)s\n"
                    "Thời gian: %(time)s (giờ Việt Nam)\n\n"
                    "Biên lai điện tử được phát hành sau khi cơ quan tiếp nhận hồ sơ.\n"
                    "Hỗ trợ: %(hotline)s\n"
                )
                % {**context, "name": payment.payer_name, "hotline": settings.SUPPORT_HOTLINE},
                key=f"payment:{payment.reference}:success:email",
                user=payment.payer_user,
            )
