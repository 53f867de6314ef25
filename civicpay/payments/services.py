"""Writing payments. Each service is one transaction that locks the payment it changes
(``select_for_update``), checks the move against ``states.TRANSITIONS``, writes an audit row, and
writes its side effects (ledger entry, payable settlement, outbox messages) in the same transaction.

The entry points the web layer needs:

- :func:`payment_create` → a ``created`` payment for some payables (from ``billing.payables``);
- :func:`payment_start` → ``started`` and the provider redirect (``StartResult``);
- :func:`payment_record_outcome` → apply what a provider said (IPN, query), idempotently;
- :func:`payment_expire_overdue`, :func:`payment_sweep_stuck` / :func:`payments_sweep` → periodic.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.db.statements import Select, Update
from civicpay.core.money import format_vnd
from civicpay.payments.errors import PaymentError, ProviderNotAvailable
from civicpay.payments.ledger import (
    Posting,
    clearing_account,
    ledger_post,
    suspense_account,
)
from civicpay.payments.models import (
    PENDING_STATUSES,
    SUCCESS_STATUSES,
    CallbackKind,
    Payment,
    PaymentAllocation,
    PaymentItem,
)
from civicpay.payments.providers.base import (
    FinalProviderError,
    Outcome,
    PaymentProvider,
    ProviderError,
    StartResult,
    provider_get,
)
from civicpay.payments.registry import payable_handler
from civicpay.payments.selectors import provider_codes_for_agency
from civicpay.payments.states import PaymentStatus, can_transition, check_transition, is_late_success
from civicpay.payments.types import PayableSpec

if TYPE_CHECKING:
    from civicpay.accounts.models import User

logger = logging.getLogger(__name__)

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: people read these aloud


class ApplyResult(StrEnum):
    """What :func:`payment_record_outcome` did with an outcome."""

    APPLIED = "applied"  # the payment moved (success, failure, submitted)
    PENDING = "pending"  # no final outcome yet; nothing changed
    DUPLICATE = "duplicate"  # the same outcome was already recorded; nothing changed
    IGNORED = "ignored"  # contradicts an earlier final outcome (e.g. failure after success); nothing changed
    LATE_SUCCESS = "late_success"  # success for a failed/expired/cancelled payment: stored and flagged
    AMOUNT_MISMATCH = "amount_mismatch"  # the provider's amount is not ours; nothing changed


def payment_timeout() -> timedelta:
    return timedelta(minutes=int(settings.PAYMENT_TIMEOUT_MINUTES))


def payment_reference_new() -> str:
    """``PAY`` + Vietnamese date yymmdd + 10 random characters, e.g. ``PAY261122K7QX2M9HVA``.

    Unique by constraint; random so that references reveal neither volume nor each other. Used as
    ``vnp_TxnRef`` (VNPay asks for uniqueness per day).
    """
    suffix = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))
    return f"PAY{clock.local_today():%y%m%d}{suffix}"


def _snapshot(payment: Payment) -> dict[str, object]:
    return {"status": payment.status, "amount": payment.amount, "reference": payment.reference}


def _safe_return_path(return_url: str) -> str:
    """Only a path on this site: the gateway's return must never become an open redirect."""
    if not return_url.startswith("/") or return_url.startswith("//") or "\\" in return_url:
        raise PaymentError(_("Địa chỉ trang kết quả không hợp lệ"))
    return return_url


def payment_create(
    *,
    items: Sequence[PayableSpec],
    provider: str,
    method: str = "",
    payer_user: User | None,
    payer_name: str,
    payer_email: str = "",
    payer_phone: str = "",
    return_url: str,
    client_ip: str | None = None,
    locale: str = "vi",
) -> Payment:
    """A new ``created`` payment for ``items`` (all of one agency) through ``provider``.

    A payable may have several attempts; at most one can settle it. Should two succeed, the later
    one is an overpayment (see :func:`payment_record_outcome`), never lost.
    """
    if not items:
        raise PaymentError(_("Chưa có khoản nào để thanh toán"))
    keys = [(item.kind, item.payable_id) for item in items]
    if len(set(keys)) != len(keys):
        raise PaymentError(_("Một khoản thu chỉ được thanh toán một lần trong một giao dịch"))
    agencies = {item.agency_code for item in items}
    if len(agencies) != 1:
        raise PaymentError(_("Chỉ thanh toán cùng lúc các khoản thu của một cơ quan"))
    agency_code = agencies.pop()
    for kind in {item.kind for item in items}:
        payable_handler(kind)  # LookupError: a payable nobody can settle is a programming error
    if provider not in provider_codes_for_agency(agency_code=agency_code):
        raise ProviderNotAvailable(_("Cơ quan chưa hỗ trợ thanh toán qua đơn vị này"))
    adapter = provider_get(provider)
    if method not in {choice.code for choice in adapter.methods}:
        raise PaymentError(_("Phương thức thanh toán không hợp lệ"))
    amount = sum(item.amount for item in items)
    if amount < adapter.min_amount or (adapter.max_amount is not None and amount > adapter.max_amount):
        raise PaymentError(
            _("%(provider)s nhận giao dịch từ %(min)s đến %(max)s")
            % {
                "provider": adapter.name,
                "min": format_vnd(adapter.min_amount),
                "max": format_vnd(adapter.max_amount or amount),
            }
        )
    if not payer_name.strip():
        raise PaymentError(_("Thiếu tên người nộp"))
    return_path = _safe_return_path(return_url)
    description = "; ".join(item.reference for item in items)[:255]
    now = clock.now()
    with transaction.atomic():
        payment = Payment.objects.create(
            reference=payment_reference_new(),
            provider=provider,
            method=method,
            amount=amount,
            agency_code=agency_code,
            description=description,
            payer_user=payer_user,
            payer_name=payer_name.strip(),
            payer_email=payer_email.strip(),
            payer_phone=payer_phone.strip(),
            client_ip=client_ip or None,
            locale=locale,
            return_url=return_path,
            created_at=now,
            expires_at=now + payment_timeout(),
        )
        for position, spec in enumerate(items):
            item = PaymentItem.objects.create(
                payment=payment,
                payable_kind=spec.kind,
                payable_id=spec.payable_id,
                reference=spec.reference[:100],
                description=spec.description[:500],
                amount=spec.amount,
                position=position,
            )
            PaymentAllocation.objects.bulk_create(
                PaymentAllocation(item=item, account_code=line.account_code, label=line.label[:255], amount=line.amount)
                for line in spec.revenue_lines
            )
        audit_record(
            actor=payer_user,
            action="payment.created",
            target=payment,
            after={
                **_snapshot(payment),
                "provider": provider,
                "method": method,
                "items": [{"kind": i.kind, "id": i.payable_id, "amount": i.amount} for i in items],
            },
            ip_address=client_ip or None,
        )
    return payment


def provider_return_url(provider: str, *, site_url: str | None = None) -> str:
    """The absolute URL the provider sends the browser back to (``payments:<provider>_return``)."""
    return f"{(site_url or settings.BASE_URL).rstrip('/')}{reverse(f'payments:{provider}_return')}"


def provider_notify_url(provider: str, *, site_url: str | None = None) -> str:
    return f"{(site_url or settings.BASE_URL).rstrip('/')}{reverse(f'payments:{provider}_ipn')}"


def payment_start(*, payment: Payment, client_ip: str = "", site_url: str | None = None) -> StartResult:
    """``created → started`` and where to send the payer (for VNPay: the signed pay URL).

    ``site_url`` is this site's origin as the payer reached it (default ``BASE_URL``). The provider
    is called after the transaction commits; a final refusal closes the payment as ``error``.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.CREATED:
            raise PaymentError(_("Giao dịch này đã được bắt đầu, vui lòng tạo giao dịch mới"))
        now = clock.now()
        if locked.expires_at <= now:
            raise PaymentError(_("Giao dịch đã hết hạn, vui lòng tạo giao dịch mới"))
        check_transition(locked.payment_status, PaymentStatus.STARTED)
        locked.status = PaymentStatus.STARTED
        locked.started_at = now
        if client_ip:
            locked.client_ip = client_ip
        locked.save(update_fields=["status", "started_at", "client_ip"])
        audit_record(
            actor=locked.payer_user,
            action="payment.started",
            target=locked,
            before={"status": PaymentStatus.CREATED},
            after=_snapshot(locked),
            ip_address=client_ip or None,
        )
    adapter = provider_get(locked.provider)
    try:
        result = adapter.start(
            locked,
            return_url=provider_return_url(locked.provider, site_url=site_url),
            notify_url=provider_notify_url(locked.provider, site_url=site_url),
            client_ip=client_ip or locked.client_ip or "127.0.0.1",
            locale=locked.locale,
        )
    except FinalProviderError as exc:
        # The provider refused (amount limit, declined request): its own Vietnamese reason helps the payer.
        _close_with_error(locked, code="start", message=str(exc))
        raise PaymentError(str(exc) or _("Đơn vị thanh toán từ chối giao dịch")) from exc
    except ProviderError as exc:
        _close_with_error(locked, code="start", message=str(exc))
        raise PaymentError(_("Không kết nối được với đơn vị thanh toán, vui lòng thử lại sau")) from exc
    payment.status, payment.started_at = locked.status, locked.started_at
    return result


def _close_with_error(payment: Payment, *, code: str, message: str) -> None:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not can_transition(locked.payment_status, PaymentStatus.ERROR):
            return
        before = _snapshot(locked)
        locked.status = PaymentStatus.ERROR
        locked.failure_code = code
        locked.failure_message = _("Lỗi kết nối với đơn vị thanh toán")
        locked.completed_at = clock.now()
        locked.save(update_fields=["status", "failure_code", "failure_message", "completed_at"])
        audit_record(
            actor=None, action="payment.error", target=locked, before=before, after=_snapshot(locked), note=message
        )


# --- outcomes -------------------------------------------------------------------------------------


def payment_record_outcome(
    *, payment: Payment, outcome: Outcome, source: str, already_locked: bool = False
) -> ApplyResult:
    """Apply what the provider says about ``payment``, once.

    Runs under ``select_for_update`` on the payment, so concurrent copies of one notification are
    applied one after the other and every copy after the first finds nothing to do. ``source`` is
    ``ipn``, ``query`` or ``admin`` (recorded in the audit row). ``already_locked``: the caller read
    ``payment`` with ``select_for_update`` in the transaction that is still open (the IPN path), so it
    is current and is not read again. Inside a caller's transaction no savepoint is made: an error here
    rolls back the caller's transaction (or its savepoint) as a whole.
    """
    if already_locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("already_locked needs the transaction that took the lock")
    with transaction.atomic(savepoint=False):
        locked = payment if already_locked else Payment.objects.select_for_update().get(pk=payment.pk)
        if outcome.reference != locked.reference or outcome.provider != locked.provider:
            raise ValueError(f"outcome for {outcome.provider}:{outcome.reference} applied to {locked.reference}")
        if outcome.amount != locked.amount:
            return ApplyResult.AMOUNT_MISMATCH
        current, target = locked.payment_status, outcome.status
        if target is None:
            return ApplyResult.PENDING
        if target == PaymentStatus.SUCCESS:
            if current in SUCCESS_STATUSES:
                return ApplyResult.DUPLICATE
            if is_late_success(current, target):
                return _flag_late_success(locked, outcome, source=source)
            if current == PaymentStatus.CREATED:  # the provider has it, so it was started
                _move(locked, PaymentStatus.STARTED, source=source, started_at=clock.now())
            _settle(locked, outcome, source=source)
            return ApplyResult.APPLIED
        if target == PaymentStatus.SUBMITTED:
            if current == PaymentStatus.SUBMITTED:
                return ApplyResult.DUPLICATE
            if current != PaymentStatus.STARTED:
                return ApplyResult.IGNORED
            _move(locked, PaymentStatus.SUBMITTED, source=source, submitted_at=clock.now())
            return ApplyResult.APPLIED
        # A failure of some kind.
        if current == target:
            return ApplyResult.DUPLICATE
        if not can_transition(current, target):
            return ApplyResult.IGNORED  # e.g. a failure after a success: the success stands
        _fail(locked, target, outcome, source=source)
        return ApplyResult.APPLIED


def _move(payment: Payment, target: PaymentStatus, *, source: str, **fields: datetime) -> None:
    before = _snapshot(payment)
    check_transition(payment.payment_status, target)
    payment.status = target
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.save(update_fields=["status", *fields])
    audit_record(
        actor=None, action=f"payment.{target}", target=payment, before=before, after=_snapshot(payment), note=source
    )


def _fail(payment: Payment, target: PaymentStatus, outcome: Outcome, *, source: str) -> None:
    before = _snapshot(payment)
    check_transition(payment.payment_status, target)
    payment.status = target
    payment.completed_at = clock.now()
    payment.provider_response_code = outcome.code
    payment.failure_code = outcome.code
    payment.failure_message = (outcome.message or _("Giao dịch không thành công"))[:500]
    payment.provider_transaction_no = outcome.transaction_no or payment.provider_transaction_no
    payment.bank_code = outcome.bank_code or payment.bank_code
    payment.save(
        update_fields=[
            "status",
            "completed_at",
            "provider_response_code",
            "failure_code",
            "failure_message",
            "provider_transaction_no",
            "bank_code",
        ]
    )
    audit_record(
        actor=None,
        action=f"payment.{target}",
        target=payment,
        before=before,
        after={**_snapshot(payment), "code": outcome.code},
        note=source,
    )


def _record_provider_fields(payment: Payment, outcome: Outcome) -> list[str]:
    payment.provider_transaction_no = outcome.transaction_no
    payment.provider_response_code = outcome.code
    payment.bank_code = outcome.bank_code or payment.bank_code
    payment.card_type = outcome.card_type
    payment.card_masked = outcome.card_masked
    payment.paid_at = outcome.paid_at or clock.now()
    return ["provider_transaction_no", "provider_response_code", "bank_code", "card_type", "card_masked", "paid_at"]


def flag_for_reconciliation(payment: Payment, reason: str) -> list[str]:
    """Mark ``payment`` for finance's reconciliation with ``reason``; returns the fields to save."""
    payment.needs_reconciliation = True
    payment.reconciliation_reason = "; ".join(filter(None, [payment.reconciliation_reason, reason]))[:500]
    payment.flagged_at = payment.flagged_at or clock.now()
    return ["needs_reconciliation", "reconciliation_reason", "flagged_at"]


def _flag_late_success(payment: Payment, outcome: Outcome, *, source: str) -> ApplyResult:
    """The provider took the money for a payment we had closed: keep the status, keep the money in
    suspense, flag it. Finance settles the payable with it or refunds the payer (reconciliation)."""
    key = f"{payment.reference}:late_success"
    if payment.needs_reconciliation and payment.ledger_entries.filter(key=key).exists():
        return ApplyResult.DUPLICATE
    before = {**_snapshot(payment), "needs_reconciliation": payment.needs_reconciliation}
    fields = _record_provider_fields(payment, outcome)
    fields += flag_for_reconciliation(
        payment,
        _("Cổng báo thành công sau khi giao dịch đã %(status)s (mã GD %(no)s): đối soát để ghi nhận hoặc hoàn tiền")
        % {"status": payment.get_status_display().lower(), "no": outcome.transaction_no or "—"},
    )
    payment.save(update_fields=fields)
    ledger_post(
        key=key,
        kind="late_success",
        description=f"Late success {payment.reference} ({payment.status})",
        postings=[
            Posting(clearing_account(payment.provider), debit=payment.amount),
            Posting(suspense_account(payment.agency_code), credit=payment.amount),
        ],
        payment=payment,
    )
    audit_record(
        actor=None,
        action="payment.late_success_flagged",
        target=payment,
        before=before,
        after={**_snapshot(payment), "needs_reconciliation": True, "transaction_no": outcome.transaction_no},
        note=source,
    )
    return ApplyResult.LATE_SUCCESS


_SAVE_SUCCESS = Update(
    Payment,
    [
        "status",
        "completed_at",
        "provider_transaction_no",
        "provider_response_code",
        "bank_code",
        "card_type",
        "card_masked",
        "paid_at",
    ],
)
_ITEM_IDS = Select(PaymentItem, where=("payment",), fields=("id",), order_by=("position", "id"))
_ALLOCATIONS = Select(PaymentAllocation, where=("item",), fields=("item", "account_code", "amount"), order_by=("id",))


def payment_allocations(payment: Payment) -> list[tuple[str, int]]:
    """``(account code, amount)`` of ``payment``'s allocations, fixed when it was created, in the order
    of its items (as ``PaymentAllocation``'s ordering)."""
    items = [item_id for (item_id,) in _ITEM_IDS.rows(payment.pk)]
    if not items:
        return []
    position = {item_id: index for index, item_id in enumerate(items)}
    rows = sorted(_ALLOCATIONS.rows(tuple(items)), key=lambda row: position[row[0]])  # stable: ids stay in order
    return [(code, amount) for _item, code, amount in rows]


def _settle(payment: Payment, outcome: Outcome, *, source: str) -> None:
    """``→ success``: what proves the money arrived, in the caller's transaction — the payment's new
    state, the ledger entry (provider clearing ↔ revenue per fee kind, from the allocations fixed when
    the payment was created), the audit row. The payables (fee notice, dossier, receipt) and the payer's
    SMS and e-mail are settled by the worker in its own transaction: a ``success`` with ``settled_at``
    empty is due (``settlement.payments_settle_pending``, decisions 0011 and 0013)."""
    before = _snapshot(payment)
    check_transition(payment.payment_status, PaymentStatus.SUCCESS)
    payment.status = PaymentStatus.SUCCESS
    payment.completed_at = clock.now()
    _record_provider_fields(payment, outcome)
    _SAVE_SUCCESS.save(payment)
    ledger_post(
        key=f"{payment.reference}:success",
        kind="payment_success",
        description=f"Payment {payment.reference} via {payment.provider} {outcome.transaction_no}",
        postings=[
            Posting(clearing_account(payment.provider), debit=payment.amount),
            *(Posting(code, credit=amount) for code, amount in payment_allocations(payment)),
        ],
        payment=payment,
    )
    audit_record(
        actor=None,
        action="payment.success",
        target=payment,
        before=before,
        after={**_snapshot(payment), "transaction_no": payment.provider_transaction_no},
        note=source,
    )


# --- periodic work --------------------------------------------------------------------------------


def payment_expire_overdue(*, now: datetime | None = None) -> int:
    """Expire payments nobody finished: ``created`` ones past ``expires_at``, and ``started`` /
    ``submitted`` ones past ``expires_at`` + ``PAYMENT_EXPIRY_GRACE_MINUTES`` (the sweeper has
    queried the provider about those first). A success arriving later is flagged, not lost."""
    now = now or clock.now()
    grace = timedelta(minutes=int(settings.PAYMENT_EXPIRY_GRACE_MINUTES))
    candidates = Payment.objects.filter(status=PaymentStatus.CREATED, expires_at__lt=now) | Payment.objects.filter(
        status__in=[PaymentStatus.STARTED, PaymentStatus.SUBMITTED], expires_at__lt=now - grace
    )
    expired = 0
    for pk in candidates.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=pk)
            if locked.payment_status not in PENDING_STATUSES:
                continue  # finished meanwhile
            before = _snapshot(locked)
            locked.status = PaymentStatus.EXPIRED
            locked.completed_at = now
            locked.failure_code = "expired"
            locked.failure_message = _("Đã hết hạn chờ thanh toán.")
            locked.save(update_fields=["status", "completed_at", "failure_code", "failure_message"])
            audit_record(actor=None, action="payment.expired", target=locked, before=before, after=_snapshot(locked))
            expired += 1
    return expired


@dataclass
class SweepReport:
    queried: int = 0
    applied: int = 0
    errors: int = 0


def payment_sweep_stuck(*, now: datetime | None = None, limit: int = 100) -> SweepReport:
    """Ask the provider about payments stuck in ``started``/``submitted`` for longer than
    ``PAYMENT_SWEEP_AFTER_MINUTES`` (each at most once per that interval) and apply the answers.

    The HTTP call happens outside any transaction; each answer is stored as a ``query`` callback
    before it is applied, exactly like an IPN.
    """
    from civicpay.payments.callbacks import callback_finish, callback_store

    now = now or clock.now()
    threshold = now - timedelta(minutes=int(settings.PAYMENT_SWEEP_AFTER_MINUTES))
    stuck = (
        Payment.objects.filter(status__in=[PaymentStatus.STARTED, PaymentStatus.SUBMITTED], started_at__lt=threshold)
        .exclude(last_queried_at__gte=threshold)
        .order_by("started_at")
    )
    report = SweepReport()
    for payment in list(stuck[:limit]):
        Payment.objects.filter(pk=payment.pk).update(last_queried_at=now)
        try:
            adapter: PaymentProvider = provider_get(payment.provider)
            outcome = adapter.query(payment)
        except (ProviderError, LookupError) as exc:
            level = logging.ERROR if isinstance(exc, FinalProviderError) else logging.WARNING
            logger.log(level, "Status query for payment %s failed: %r", payment.reference, exc)
            report.errors += 1
            continue
        report.queried += 1
        callback, _is_new = callback_store(
            provider=payment.provider, kind=CallbackKind.QUERY, raw=dict(outcome.raw), remote_addr=None
        )
        result = payment_record_outcome(payment=payment, outcome=outcome, source="query")
        callback_finish(callback, result=result, payment=payment, signature_valid=True, reply_code="")
        if result in (ApplyResult.APPLIED, ApplyResult.LATE_SUCCESS):
            report.applied += 1
    return report


def payments_sweep() -> tuple[SweepReport, int]:
    """The periodic job (``payments.sweep``): query stuck payments, then expire overdue ones."""
    report = payment_sweep_stuck()
    return report, payment_expire_overdue()
