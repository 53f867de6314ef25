"""Incoming bank transfers (VietQR): store every notification, match it exactly, or queue it for finance.

The receiving bank POSTs a signed notification (signed gateway protocol: HMAC-SHA256, timestamp,
nonce) for each transfer into an agency's account. We

1. **store** it (``ProviderCallback``, append-only, before anything else — ``callbacks.callback_store``);
2. **verify** the signature (97), the timestamp (98) and that the nonce is new (98, ``replay.nonce_consume``);
3. **record** the transfer once per ``bank_transaction_id`` (a second delivery changes nothing: 02) and
   decide, in one transaction with the effect:

   - the memo names a started VietQR payment (``CP`` + its code) **and** the amount is exactly its
     amount → the payment succeeds through :func:`services.payment_record_outcome` (ledger clearing →
     revenue, SMS and e-mail, the notice and dossier paid);
   - otherwise → a :class:`TransferReview` in the agency's finance queue with the reason ("Sai số
     tiền", "Không tìm thấy mã thanh toán", "Thanh toán trùng", "Giao dịch thanh toán đã kết thúc")
     and the money booked debit ``clearing:vietqr`` / credit the agency's ``suspense:`` account.

Finance then applies a review item to a payable of its agency (:func:`transfer_review_apply`: the
payable is paid and the money moves out of suspense) or marks it for refund
(:func:`transfer_review_refund`: suspense → ``refund_due:``). Money is never dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.money import format_vnd
from civicpay.payments.callbacks import callback_finish, callback_store
from civicpay.payments.errors import PaymentError
from civicpay.payments.ledger import Posting, clearing_account, ledger_post, refund_due_account, suspense_account
from civicpay.payments.models import (
    PENDING_STATUSES,
    CallbackKind,
    CallbackOutcome,
    IncomingTransfer,
    ItemOutcome,
    Payment,
    PaymentItem,
    ProviderCallback,
    ReviewReason,
    ReviewStatus,
    TransferReview,
    TransferStatus,
)
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers import vietqr_transfer as vqr
from civicpay.payments.providers.base import InvalidSignature, MalformedMessage, Outcome
from civicpay.payments.replay import nonce_consume
from civicpay.payments.services import ApplyResult, payment_create, payment_record_outcome
from civicpay.payments.states import PaymentStatus
from civicpay.payments.types import PayableSpec

if TYPE_CHECKING:
    from civicpay.accounts.models import User

logger = logging.getLogger(__name__)

PROVIDER = vqr.CODE


class TransferReviewError(PaymentError):
    """A finance action on a review item that cannot be done as asked (message in Vietnamese)."""


# --- receiving notifications ---------------------------------------------------------------------


def _remote_addr(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def transfer_notification_receive(*, request: HttpRequest) -> HttpResponse:
    """Handle one bank notification end to end and answer ``{"code", "message"}`` (HTTP 200).

    Never answers ``00`` for a transfer that was not recorded: any failure answers ``99`` and the
    bank's retry (a new nonce, the same ``bank_transaction_id``) brings it again.
    """
    adapter = vqr.VietqrTransferProvider()
    raw = adapter.notification_params(request)
    try:
        callback, _is_new = callback_store(
            provider=PROVIDER, kind=CallbackKind.IPN, raw=raw, remote_addr=_remote_addr(request)
        )
    except Exception:
        logger.exception("Could not store a VietQR bank notification")
        return vqr.reply(vqr.REPLY_ERROR)
    try:
        code = _apply(raw, callback)
    except Exception as exc:
        logger.exception("Could not apply VietQR bank notification %s", callback.pk)
        callback_finish(
            callback, outcome=CallbackOutcome.ERROR, reply_code=vqr.REPLY_ERROR, note=f"{type(exc).__name__}: {exc}"
        )
        code = vqr.REPLY_ERROR
    return vqr.reply(code)


def _apply(raw: dict[str, str], callback: ProviderCallback) -> str:
    def reject(code: str, note: str, *, signature_valid: bool = True) -> str:
        callback_finish(
            callback, outcome=CallbackOutcome.REJECTED, signature_valid=signature_valid, reply_code=code, note=note
        )
        return code

    try:
        transfer = vqr.parse_transfer(raw)
    except InvalidSignature:
        return reject(vqr.REPLY_BAD_SIGNATURE, "invalid signature", signature_valid=False)
    except sp.StaleMessage as exc:
        return reject(vqr.REPLY_STALE, f"stale: {exc}")
    except MalformedMessage as exc:
        return reject(vqr.REPLY_ERROR, f"malformed: {exc}")
    if not nonce_consume(provider=PROVIDER, nonce=transfer.nonce):
        return reject(vqr.REPLY_STALE, "replayed nonce")
    agencies, is_default = vqr.vietqr_agencies_for_account(transfer.account)
    if not agencies and not is_default:
        return reject(vqr.REPLY_NOT_FOUND, f"account {transfer.account} is not a receiving account")
    incoming, created = transfer_record(transfer=transfer, callback=callback)
    if not created:
        callback_finish(
            callback,
            outcome=CallbackOutcome.DUPLICATE,
            signature_valid=True,
            payment=incoming.payment,
            reply_code=vqr.REPLY_ALREADY,
            note=f"transfer {incoming.bank_transaction_id} already recorded",
        )
        return vqr.REPLY_ALREADY
    matched = incoming.status == TransferStatus.MATCHED
    callback_finish(
        callback,
        outcome=CallbackOutcome.APPLIED if matched else CallbackOutcome.FLAGGED,
        signature_valid=True,
        payment=incoming.payment,
        reply_code=vqr.REPLY_OK,
        note="matched" if matched else f"review: {incoming.review.reason}",
    )
    return vqr.REPLY_OK


def _payment_named_by(memo: str) -> Payment | None:
    references = vqr.references_in_memo(memo)
    if not references:
        return None
    found = {p.reference: p for p in Payment.objects.filter(provider=PROVIDER, reference__in=references)}
    return next((found[ref] for ref in references if ref in found), None)


def _settled_elsewhere(payment: Payment) -> bool:
    """Whether a payable of ``payment`` was already paid by another payment (any provider)."""
    keys = Q()
    for kind, payable_id in payment.items.values_list("payable_kind", "payable_id"):
        keys |= Q(payable_kind=kind, payable_id=payable_id)
    if not keys:
        return False
    return _paid_items(keys).exclude(payment=payment).exists()


def _paid_items(keys: Q) -> QuerySet[PaymentItem]:
    """Items among ``keys`` that paid their payable: settled, or of a success whose settlement is due."""
    settling = Q(outcome=ItemOutcome.PENDING, payment__status=PaymentStatus.SUCCESS, payment__settled_at__isnull=True)
    return PaymentItem.objects.filter(keys).filter(Q(outcome=ItemOutcome.SETTLED) | settling)


def _unattributed_suspense(account: str) -> str:
    """Suspense for money on a shared account that names no payment, until an agency takes it."""
    return suspense_account(f"{PROVIDER}:{account}")


def transfer_record(*, transfer: vqr.BankTransfer, callback: ProviderCallback) -> tuple[IncomingTransfer, bool]:
    """Record a verified transfer once and apply it: ``(row, True)``, or ``(existing row, False)``.

    One transaction: claiming ``bank_transaction_id`` (unique), then the payment's success or the
    review item with its suspense entry. Lock order as in services: the payment row first.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                incoming = IncomingTransfer.objects.create(
                    bank_transaction_id=transfer.bank_transaction_id,
                    account=transfer.account,
                    amount=transfer.amount,
                    memo=transfer.memo,
                    transferred_at=transfer.transferred_at,
                    sender_name=transfer.sender_name,
                    sender_account=transfer.sender_account,
                    received_at=clock.now(),
                    status=TransferStatus.REVIEW,
                    callback=callback,
                )
        except IntegrityError:
            return IncomingTransfer.objects.get(bank_transaction_id=transfer.bank_transaction_id), False

        payment = _payment_named_by(transfer.memo)
        if payment is not None:
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            incoming.agency_code = payment.agency_code
            reason, detail = _mismatch(payment, transfer.amount)
            if reason is None:
                result = payment_record_outcome(
                    payment=payment,
                    outcome=Outcome(
                        provider=PROVIDER,
                        reference=payment.reference,
                        amount=transfer.amount,
                        status=PaymentStatus.SUCCESS,
                        code=vqr.REPLY_OK,
                        message=_("Đã nhận chuyển khoản"),
                        transaction_no=transfer.bank_transaction_id,
                        paid_at=transfer.transferred_at,
                        raw=callback.raw,
                    ),
                    source=f"ipn:{callback.pk}",
                )
                if result == ApplyResult.APPLIED:
                    incoming.status, incoming.payment = TransferStatus.MATCHED, payment
                    incoming.save(update_fields=["status", "payment", "agency_code"])
                    audit_record(
                        actor=None,
                        action="transfer.matched",
                        target=incoming,
                        after={"payment": payment.reference, "amount": transfer.amount},
                        note=f"bank {transfer.bank_transaction_id}",
                    )
                    return incoming, True
                reason, detail = ReviewReason.DUPLICATE, f"payment {payment.reference}: {result}"
        else:
            agencies, _is_default = vqr.vietqr_agencies_for_account(transfer.account)
            incoming.agency_code = agencies[0] if len(agencies) == 1 else ""
            reason = ReviewReason.NO_CODE
            detail = _("Nội dung chuyển khoản không chứa mã thanh toán CivicPay")
        _open_review(incoming, reason=reason, detail=detail, suggested=payment)
        return incoming, True


def _mismatch(payment: Payment, amount: int) -> tuple[ReviewReason | None, str]:
    """Why a transfer naming ``payment`` cannot pay it automatically (``None``: it can)."""
    if amount != payment.amount:
        return ReviewReason.WRONG_AMOUNT, _("Chuyển %(got)s, khoản thu %(ref)s là %(want)s") % {
            "got": format_vnd(amount),
            "want": format_vnd(payment.amount),
            "ref": payment.reference,
        }
    if payment.is_success or _settled_elsewhere(payment):
        return ReviewReason.DUPLICATE, _("Khoản thu của giao dịch %(ref)s đã được thanh toán") % {
            "ref": payment.reference
        }
    if payment.payment_status not in PENDING_STATUSES:
        return ReviewReason.CLOSED, _("Giao dịch %(ref)s đã kết thúc (%(status)s)") % {
            "ref": payment.reference,
            "status": payment.get_status_display().lower(),
        }
    return None, ""


def _open_review(incoming: IncomingTransfer, *, reason: ReviewReason, detail: str, suggested: Payment | None) -> None:
    suspense = (
        suspense_account(incoming.agency_code) if incoming.agency_code else _unattributed_suspense(incoming.account)
    )
    ledger_post(
        key=f"{PROVIDER}:{incoming.bank_transaction_id}:received",
        kind="transfer_suspense",
        description=f"VietQR transfer {incoming.bank_transaction_id} to review ({reason})",
        postings=[
            Posting(clearing_account(PROVIDER), debit=incoming.amount),
            Posting(suspense, credit=incoming.amount),
        ],
        payment=suggested,
    )
    incoming.save(update_fields=["status", "agency_code"])
    review = TransferReview.objects.create(
        transfer=incoming,
        agency_code=incoming.agency_code,
        reason=reason,
        detail=str(detail)[:500],
        suspense_account=suspense,
        suggested_payment=suggested,
        created_at=clock.now(),
    )
    audit_record(
        actor=None,
        action="transfer.review_opened",
        target=review,
        after={"reason": reason, "amount": incoming.amount, "bank": incoming.bank_transaction_id},
        note=str(detail)[:500],
    )


# --- finance: selectors ---------------------------------------------------------------------------


def _visible_to(agency_code: str) -> Q:
    """An agency's own items, and unattributed items on the account it collects on."""
    visible = Q(agency_code=agency_code)
    try:
        account = vqr.vietqr_account_for_agency(agency_code).account
    except Exception:  # not configured: nothing shared to show
        return visible
    return visible | Q(agency_code="", transfer__account=account)


def transfer_reviews_for_agency(
    *, agency_code: str, status: str | None = ReviewStatus.OPEN
) -> QuerySet[TransferReview]:
    """The finance queue of ``agency_code``, oldest first (``status=None``: every item)."""
    reviews = TransferReview.objects.filter(_visible_to(agency_code)).select_related("transfer", "suggested_payment")
    if status is not None:
        reviews = reviews.filter(status=status)
    return reviews.order_by("created_at", "id") if status == ReviewStatus.OPEN else reviews.order_by("-created_at")


def transfer_review_get_for_agency(*, agency_code: str, pk: int) -> TransferReview:
    """One item if ``agency_code`` may see it; else ``TransferReview.DoesNotExist`` (the page 404s)."""
    return TransferReview.objects.select_related("transfer", "suggested_payment", "applied_payment").get(
        _visible_to(agency_code), pk=pk
    )


# --- finance: actions -----------------------------------------------------------------------------


def _lock_open(review: TransferReview, agency_code: str) -> TransferReview:
    locked = TransferReview.objects.select_for_update().select_related("transfer").get(pk=review.pk)
    if locked.status != ReviewStatus.OPEN:
        raise TransferReviewError(_("Khoản chuyển khoản này đã được xử lý."))
    if locked.agency_code not in ("", agency_code):
        raise TransferReviewError(_("Khoản chuyển khoản này thuộc cơ quan khác."))
    return locked


def _snapshot(review: TransferReview) -> dict[str, object]:
    return {"status": review.status, "agency": review.agency_code, "amount": review.transfer.amount}


def transfer_review_apply(
    *,
    review: TransferReview,
    items: Sequence[PayableSpec],
    agency_code: str,
    by: User,
    payer_user: User | None = None,
    payer_name: str = "",
    payer_email: str = "",
    payer_phone: str = "",
    note: str = "",
) -> Payment:
    """ "Ghi nhận cho khoản thu": pay ``items`` (payables of ``agency_code``) with the transfer's money.

    A new VietQR payment is created and succeeds through ``payment_record_outcome`` (payables paid,
    ledger clearing → revenue, payer notified); a second entry moves the money out of suspense
    (debit suspense, credit clearing) and any excess to ``refund_due:``. One transaction.
    """
    if not items:
        raise TransferReviewError(_("Chọn khoản thu cần ghi nhận."))
    if {item.agency_code for item in items} != {agency_code}:
        raise TransferReviewError(_("Chỉ ghi nhận cho khoản thu của cơ quan mình."))
    total = sum(item.amount for item in items)
    with transaction.atomic():
        locked = _lock_open(review, agency_code)
        transfer = locked.transfer
        if total > transfer.amount:
            raise TransferReviewError(
                _("Số tiền chuyển khoản (%(got)s) không đủ cho khoản thu (%(want)s).")
                % {"got": format_vnd(transfer.amount), "want": format_vnd(total)}
            )
        keys = Q()
        for item in items:
            keys |= Q(payable_kind=item.kind, payable_id=item.payable_id)
        if _paid_items(keys).exists():
            raise TransferReviewError(_("Khoản thu này đã được thanh toán."))
        before = _snapshot(locked)
        payment = payment_create(
            items=items,
            provider=PROVIDER,
            method="",
            payer_user=payer_user,
            payer_name=payer_name or transfer.sender_name or _("Người chuyển khoản"),
            payer_email=payer_email,
            payer_phone=payer_phone,
            return_url="/",
        )
        result = payment_record_outcome(
            payment=payment,
            outcome=Outcome(
                provider=PROVIDER,
                reference=payment.reference,
                amount=payment.amount,
                status=PaymentStatus.SUCCESS,
                code="finance",
                message=_("Kế toán ghi nhận chuyển khoản"),
                transaction_no=transfer.bank_transaction_id,
                paid_at=transfer.transferred_at,
            ),
            source=f"finance:{locked.pk}",
        )
        if result != ApplyResult.APPLIED:
            raise TransferReviewError(_("Không ghi nhận được khoản thu, vui lòng thử lại."))
        excess = transfer.amount - total
        postings = [
            Posting(locked.suspense_account, debit=transfer.amount),
            Posting(clearing_account(PROVIDER), credit=total),
        ]
        if excess:
            postings.append(Posting(refund_due_account(agency_code), credit=excess))
        ledger_post(
            key=f"{PROVIDER}-review:{locked.pk}:applied",
            kind="transfer_applied",
            description=f"VietQR transfer {transfer.bank_transaction_id} applied to {payment.reference}",
            postings=postings,
            payment=payment,
        )
        now = clock.now()
        locked.status = ReviewStatus.APPLIED
        locked.agency_code = agency_code
        locked.applied_payment = payment
        locked.refund_amount = excess
        locked.resolution_note = note.strip()[:500]
        locked.resolved_by = by
        locked.resolved_at = now
        locked.save()
        IncomingTransfer.objects.filter(pk=transfer.pk).update(agency_code=agency_code)
        audit_record(
            actor=by,
            action="transfer_review.applied",
            target=locked,
            before=before,
            after={
                **_snapshot(locked),
                "payment": payment.reference,
                "payables": [f"{i.kind}:{i.payable_id}" for i in items],
                "refund_due": excess,
            },
            note=note.strip()[:500],
        )
    review.refresh_from_db()
    return payment


def transfer_review_refund(*, review: TransferReview, agency_code: str, by: User, reason: str) -> TransferReview:
    """ "Hoàn trả": the whole transfer is due back to the sender (suspense → ``refund_due:``).

    The outgoing transfer itself is made by the agency's accountant at the bank; this records the
    decision, the reason and the liability.
    """
    reason = reason.strip()
    if not reason:
        raise TransferReviewError(_("Nhập lý do hoàn trả."))
    with transaction.atomic():
        locked = _lock_open(review, agency_code)
        transfer = locked.transfer
        before = _snapshot(locked)
        ledger_post(
            key=f"{PROVIDER}-review:{locked.pk}:refund_due",
            kind="transfer_refund_due",
            description=f"VietQR transfer {transfer.bank_transaction_id} to refund: {reason}",
            postings=[
                Posting(locked.suspense_account, debit=transfer.amount),
                Posting(refund_due_account(agency_code), credit=transfer.amount),
            ],
        )
        locked.status = ReviewStatus.REFUND_DUE
        locked.agency_code = agency_code
        locked.refund_amount = transfer.amount
        locked.resolution_note = reason[:500]
        locked.resolved_by = by
        locked.resolved_at = clock.now()
        locked.save()
        IncomingTransfer.objects.filter(pk=transfer.pk).update(agency_code=agency_code)
        audit_record(
            actor=by,
            action="transfer_review.refund_due",
            target=locked,
            before=before,
            after={**_snapshot(locked), "refund_due": transfer.amount},
            note=reason[:500],
        )
    review.refresh_from_db()
    return review
