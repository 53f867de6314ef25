"""Writing payment requests. Each service is one transaction with an audit row; the owner (a dossier,
later a store order) hears about paid / cancelled / expired through its registered handler in the
same transaction (see ``civicpay.billing.registry`` for the lock order)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from civicpay.billing.errors import AlreadyPaid, BillingError, IllegalTransition
from civicpay.billing.models import (
    REQUEST_TRANSITIONS,
    PaymentRequest,
    PaymentRequestLine,
    PaymentRequestStatus,
)
from civicpay.billing.registry import handler_for
from civicpay.billing.types import LineInput
from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.db.statements import Select, Update
from civicpay.core.sequences import next_value

if TYPE_CHECKING:
    from civicpay.accounts.models import Organisation, User
    from civicpay.directory.models import Agency

DEFAULT_DUE_DAYS = 15


def _check(request: PaymentRequest, to_status: str) -> None:
    if request.status == PaymentRequestStatus.PAID and to_status == PaymentRequestStatus.PAID:
        raise AlreadyPaid(_("Thông báo thu phí %(number)s đã được thanh toán.") % {"number": request.number})
    if to_status not in REQUEST_TRANSITIONS[request.status]:
        raise IllegalTransition(
            _("Thông báo thu phí %(number)s đang ở trạng thái “%(status)s”.")
            % {"number": request.number, "status": request.get_status_display()}
        )


def _snapshot(request: PaymentRequest) -> dict[str, object]:
    return {"status": request.status, "total": request.total, "number": request.number}


# Compiled once (core/db/statements.py): a payment's settlement runs these for every fee notice it pays.
_LOCKED = Select(PaymentRequest, where=("pk",), related=("agency", "payer_user"), for_update=True)
_SAVE_PAID = Update(PaymentRequest, ["status", "paid_at", "payment_reference"])


def _lock(request: PaymentRequest) -> PaymentRequest:
    """Lock the owner, then the request (the one lock order, see registry). The request comes with its
    agency and payer (the receipt and the owner's notices need them); only its own row is locked."""
    handler_for(request.owner_kind).lock_owner(request)
    locked = _LOCKED.get(request.pk)
    if locked is None:
        raise PaymentRequest.DoesNotExist(f"Payment request {request.pk} does not exist")
    return locked


def payment_request_number() -> str:
    """``TB`` + local date yymmdd + the day's sequence (``TB2611220001``). Call inside the transaction."""
    today = clock.local_today()
    return f"TB{today:%y%m%d}{next_value(scope=f'payment_request:{today:%Y%m%d}'):04d}"


def payment_request_issue(
    *,
    owner_kind: str,
    owner_id: int,
    owner_reference: str,
    agency: Agency,
    payer_user: User | None,
    payer_organisation: Organisation | None,
    payer_name: str,
    payer_email: str,
    payer_phone: str,
    description: str,
    lines: Sequence[LineInput],
    due_date: date | None,
    issued_by: User,
    replaces: PaymentRequest | None = None,
    replace_reason: str = "",
) -> PaymentRequest:
    """Issue a payment request. With ``replaces``, the old (unpaid) request is cancelled in the same
    transaction and the owner is *not* told it was cancelled: it has a new current request."""
    if not lines:
        raise BillingError(_("Thêm ít nhất một khoản thu"))
    total = sum(line.amount for line in lines)
    if total <= 0:
        raise BillingError(_("Tổng số tiền phải lớn hơn 0 đồng"))
    today = clock.local_today()
    if due_date is None:
        due_date = today + timedelta(days=DEFAULT_DUE_DAYS)
    elif due_date < today:
        raise BillingError(_("Hạn thanh toán không được trước hôm nay"))
    now = clock.now()
    with transaction.atomic():
        if replaces is not None:
            old = PaymentRequest.objects.select_for_update().get(pk=replaces.pk)
            if (old.owner_kind, old.owner_id) != (owner_kind, owner_id):
                raise BillingError(_("Thông báo thay thế phải cùng hồ sơ"))
            _check(old, PaymentRequestStatus.CANCELLED)
            old.status = PaymentRequestStatus.CANCELLED
            old.cancelled_at = now
            old.cancelled_by = issued_by
            old.cancel_reason = replace_reason or _("Thay thế bằng thông báo mới")
            old.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
            audit_record(
                actor=issued_by,
                action="payment_request.cancelled",
                target=old,
                before={"status": PaymentRequestStatus.ISSUED},
                after=_snapshot(old),
                note=old.cancel_reason,
            )
        request = PaymentRequest.objects.create(
            number=payment_request_number(),
            owner_kind=owner_kind,
            owner_id=owner_id,
            owner_reference=owner_reference,
            agency=agency,
            payer_user=payer_user,
            payer_organisation=payer_organisation,
            payer_name=payer_name,
            payer_email=payer_email,
            payer_phone=payer_phone,
            description=description,
            total=total,
            due_date=due_date,
            issued_by=issued_by,
            issued_at=now,
            replaces=replaces,
        )
        PaymentRequestLine.objects.bulk_create(
            PaymentRequestLine(
                request=request,
                kind=line.kind,
                description=line.description.strip(),
                amount=line.amount,
                schedule_amount=line.schedule_amount,
                change_reason=line.change_reason.strip(),
                position=position,
            )
            for position, line in enumerate(lines)
        )
        audit_record(
            actor=issued_by,
            action="payment_request.issued",
            target=request,
            after={
                **_snapshot(request),
                "due_date": due_date.isoformat(),
                "lines": [
                    {
                        "kind": line.kind,
                        "description": line.description,
                        "amount": line.amount,
                        "schedule_amount": line.schedule_amount,
                        "change_reason": line.change_reason,
                    }
                    for line in lines
                ],
            },
        )
    return request


def payment_request_cancel(*, request: PaymentRequest, by: User, reason: str) -> PaymentRequest:
    """Cancel an unpaid request and tell its owner. A paid one cannot be cancelled (refund instead)."""
    if not reason.strip():
        raise BillingError(_("Nhập lý do hủy"))
    with transaction.atomic():
        locked = _lock(request)
        _check(locked, PaymentRequestStatus.CANCELLED)
        locked.status = PaymentRequestStatus.CANCELLED
        locked.cancelled_at = clock.now()
        locked.cancelled_by = by
        locked.cancel_reason = reason.strip()
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        audit_record(
            actor=by,
            action="payment_request.cancelled",
            target=locked,
            before={"status": PaymentRequestStatus.ISSUED},
            after=_snapshot(locked),
            note=locked.cancel_reason,
        )
        handler_for(locked.owner_kind).on_cancelled(locked)
    return locked


def payment_request_mark_paid(
    *, request: PaymentRequest, paid_at: datetime, payment_reference: str, savepoint: bool = True
) -> PaymentRequest:
    """Settle a request (called by payments once a provider confirms). Raises ``AlreadyPaid`` for a
    second payment (an overpayment the caller records) and ``IllegalTransition`` for a cancelled or
    expired request (money for it must be refunded or re-applied, never silently accepted).

    ``savepoint=False``: the caller runs this in a savepoint of its own that it rolls back when this
    raises (payments' settlement does, around each payable), so a second one inside it is not needed."""
    with transaction.atomic(savepoint=savepoint):
        locked = _lock(request)
        _check(locked, PaymentRequestStatus.PAID)
        locked.status = PaymentRequestStatus.PAID
        locked.paid_at = paid_at
        locked.payment_reference = payment_reference
        _SAVE_PAID.save(locked)
        audit_record(
            actor=None,
            action="payment_request.paid",
            target=locked,
            before={"status": PaymentRequestStatus.ISSUED},
            after={**_snapshot(locked), "payment_reference": payment_reference, "paid_at": paid_at.isoformat()},
        )
        handler_for(locked.owner_kind).on_paid(locked)
    return locked


def payment_request_expire_overdue(*, today: date) -> int:
    """Expire every issued request whose due date is before ``today``; returns how many. Each one is
    its own transaction, so one failing owner does not hold back the others."""
    expired = 0
    candidates = PaymentRequest.objects.filter(status=PaymentRequestStatus.ISSUED, due_date__lt=today)
    for request in candidates.only("pk", "owner_kind", "owner_id").iterator():
        with transaction.atomic():
            locked = _lock(request)
            if locked.status != PaymentRequestStatus.ISSUED or locked.due_date >= today:
                continue  # paid or cancelled meanwhile
            locked.status = PaymentRequestStatus.EXPIRED
            locked.save(update_fields=["status"])
            audit_record(
                actor=None,
                action="payment_request.expired",
                target=locked,
                before={"status": PaymentRequestStatus.ISSUED},
                after=_snapshot(locked),
            )
            handler_for(locked.owner_kind).on_expired(locked)
            expired += 1
    return expired
