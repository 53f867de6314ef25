"""Settling a successful payment: the payables, the payer's messages — after the success, by the worker.

The transaction that records a success (``services._settle``, reached from an IPN, a status query or a
finance decision) commits only what proves the money arrived: the payment's ``success``, its ledger entry
and the audit row. The payment row itself is the settlement's queue: a ``success`` whose ``settled_at`` is
empty is due, so a success can never be left without its settlement being due, and nothing else has to be
written with it (docs/decisions/0013-the-payment-is-its-settlement-queue.md). The worker's periodic job
``payments.settle`` (``payments_settle_pending``) finds such payments through a partial index and does the
rest, once, in one transaction per payment under the payment's lock
(docs/decisions/0011-settlement-after-success.md):

1. each payable's handler ``on_success`` (billing: the fee notice is paid, the receipt numbered, the dossier
   moves) in a savepoint; a payable that refuses (paid by another payment meanwhile, cancelled) becomes an
   overpayment: the item is marked, its owner told (``on_overpaid``), the payment flagged for
   reconciliation, and a correcting ledger entry moves its revenue to ``refund_due:<agency>``;
2. one SMS and one e-mail to the payer (outbox rows with keys naming the payment);
3. ``settled_at`` and an audit row.

A settlement that fails (a bug, the database gone) leaves ``settled_at`` empty and rolls everything back;
the job tries that payment again after ``PAYMENT_SETTLE_GRACE_SECONDS``. Running it twice changes nothing:
the lock and ``settled_at`` make it idempotent; several workers skip the payments another one holds.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.db.statements import Select, Update
from civicpay.core.money import format_vnd
from civicpay.notifications.services import notification_send
from civicpay.payments.errors import PayableRefused
from civicpay.payments.ledger import Posting, ledger_post, refund_due_account
from civicpay.payments.models import SUCCESS_STATUSES, ItemOutcome, Payment, PaymentItem
from civicpay.payments.providers.base import provider_get
from civicpay.payments.registry import payable_handler
from civicpay.payments.services import flag_for_reconciliation
from civicpay.payments.states import PaymentStatus

logger = logging.getLogger(__name__)

# The settlement's own statements, compiled once (core/db/statements.py; docs/performance.md). The payment
# comes with its payer's user (for the messages); only the payment's row is locked.
_PAYMENT_LOCKED = Select(Payment, where=("pk",), related=("payer_user",), for_update=True)
_PAYMENT_LOCKED_OR_SKIPPED = Select(Payment, where=("pk",), related=("payer_user",), for_update=True, skip_locked=True)
_ITEMS = Select(PaymentItem, where=("payment",), order_by=("position", "id"))  # PaymentItem's ordering
_SAVE_OUTCOME = Update(PaymentItem, ["outcome"])
_SAVE_SETTLED = Update(Payment, ["settled_at"])


def payment_settle(*, payment_id: int, skip_locked: bool = False) -> str:
    """Settle the payables of the successful payment ``payment_id`` once; see the module docstring.
    Returns what it did: ``settled``, ``already``, ``missing``, ``not_successful``, or ``busy`` (with
    ``skip_locked``: another worker holds the payment)."""
    with transaction.atomic():
        payment = (_PAYMENT_LOCKED_OR_SKIPPED if skip_locked else _PAYMENT_LOCKED).get(payment_id)
        if payment is None:
            if skip_locked and Payment.objects.filter(pk=payment_id).exists():
                return "busy"
            return "missing"
        if payment.settled_at is not None:
            return "already"
        if payment.payment_status not in SUCCESS_STATUSES:
            logger.error("Settlement asked for payment %s in %s", payment.reference, payment.status)
            return "not_successful"
        corrections: list[Posting] = []
        overpaid: list[str] = []
        for item in _ITEMS.all(payment.pk):
            PaymentItem.payment.field.set_cached_value(item, payment)  # as payment.items.all() would
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
            _SAVE_OUTCOME.save(item)
        payment.settled_at = clock.now()
        if overpaid:
            fields = ["settled_at"]
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
        else:
            _SAVE_SETTLED.save(payment)
        audit_record(
            actor=None,
            action="payment.settled",
            target=payment,
            after={"reference": payment.reference, "overpaid_items": len(overpaid)},
        )
        _notify_success(payment)
    return "settled"


def settlement_grace() -> timedelta:
    """How long a payment whose settlement failed waits before the job tries it again."""
    return timedelta(seconds=int(settings.PAYMENT_SETTLE_GRACE_SECONDS))


# Payments whose settlement failed in this process → when to try again. Only spares the logs and the
# database a retry every second; losing it (a restart) means one early retry, nothing else.
_retry_after: dict[int, datetime] = {}
_retry_lock = threading.Lock()


def payments_settle_pending(*, limit: int = 50, now: datetime | None = None) -> int:
    """The periodic job (``payments.settle``): settle the successes still waiting for it, oldest first,
    each in its own transaction; returns how many it settled."""
    now = now or clock.now()
    with _retry_lock:
        for payment_id, when in list(_retry_after.items()):
            if when <= now:
                del _retry_after[payment_id]
        waiting = set(_retry_after)
    due = (
        Payment.objects.filter(status=PaymentStatus.SUCCESS, settled_at__isnull=True)
        .exclude(pk__in=waiting)
        .order_by("completed_at")
        .values_list("pk", flat=True)
    )
    settled = 0
    for payment_id in list(due[:limit]):
        try:
            done = payment_settle(payment_id=payment_id, skip_locked=True)
        except Exception:
            logger.exception("Settling payment %s failed: trying again in %s", payment_id, settlement_grace())
            with _retry_lock:
                _retry_after[payment_id] = now + settlement_grace()
            continue
        settled += done == "settled"
    return settled


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
