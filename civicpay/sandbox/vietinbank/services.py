"""What the simulated VietinBank does: take registrations, debits and bills from the merchant, let a teller
decide or collect, and queue the signed notifications the worker sends (never from a browser request).

Payments reuse the signed-protocol engine (``civicpay.sandbox.signed``): a debit or a branch bill is a
``SignedTransaction`` like a card payment, and its outcome is notified by the engine's task.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from civicpay.core import clock
from civicpay.sandbox.models import SignedStep, SignedTransaction
from civicpay.sandbox.signed import services as engine
from civicpay.sandbox.vietinbank import bank
from civicpay.sandbox.vietinbank.models import (
    BankRegistration,
    NoticeStatus,
    RegistrationNotice,
    RegistrationStatus,
)
from civicpay.sandbox.vietinbank.tasks import enqueue_debit, enqueue_notice

REQUIRED_REGISTRATION_FIELDS: Final = (
    "registration_id",
    "organisation_name",
    "tax_code",
    "account_number",
    "account_holder",
    "notify_url",
)


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class BankRefusal(Exception):
    """The bank refuses a merchant's request with ``code`` (answered in the signed reply)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# --- registrations --------------------------------------------------------------------------------


def registration_receive(*, merchant_id: str, params: Mapping[str, str]) -> BankRegistration:
    """``api/registration``: store a new registration for the teller (the same one twice is accepted once)."""
    missing = [name for name in REQUIRED_REGISTRATION_FIELDS if not params.get(name)]
    if missing:
        raise BankRefusal("03", f"thiếu {', '.join(missing)}")
    account = params["account_number"]
    if not (account.isascii() and account.isdigit() and 6 <= len(account) <= 19):
        raise BankRefusal("03", "account_number phải gồm 6 đến 19 chữ số")
    if not _http_url(params["notify_url"]):
        raise BankRefusal("03", "notify_url phải là địa chỉ http(s) đầy đủ")
    existing = BankRegistration.objects.filter(
        merchant_id=merchant_id, registration_id=params["registration_id"]
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return BankRegistration.objects.create(
                merchant_id=merchant_id,
                registration_id=params["registration_id"][:40],
                bank_reference=f"VTBDK{secrets.token_hex(5).upper()}",
                organisation_name=params["organisation_name"][:255],
                tax_code=params["tax_code"][:20],
                address=params.get("address", "")[:255],
                representative_name=params.get("representative_name", "")[:150],
                account_number=account,
                account_holder=params["account_holder"][:150],
                notify_url=params["notify_url"][:1000],
            )
    except IntegrityError:  # sent twice at once
        return BankRegistration.objects.get(merchant_id=merchant_id, registration_id=params["registration_id"])


def registration_cancel(*, merchant_id: str, registration_id: str) -> BankRegistration:
    """``api/registration/cancel``: the organisation withdrew it; a pending one leaves the teller's list."""
    with transaction.atomic():
        registration = (
            BankRegistration.objects.select_for_update()
            .filter(merchant_id=merchant_id, registration_id=registration_id)
            .first()
        )
        if registration is None:
            raise BankRefusal("01", "không tìm thấy đăng ký")
        if registration.status in (RegistrationStatus.PENDING, RegistrationStatus.APPROVED):
            registration.status = RegistrationStatus.CANCELLED
            registration.decided_at = clock.now()
            registration.save(update_fields=["status", "decided_at"])
        return registration


def registration_decide(*, registration: BankRegistration, approve: bool, reason: str = "") -> BankRegistration:
    """The teller's "Duyệt" / "Từ chối": record it once and queue the signed notification to the merchant."""
    with transaction.atomic():
        locked = BankRegistration.objects.select_for_update().get(pk=registration.pk)
        if locked.status != RegistrationStatus.PENDING:
            return locked
        locked.status = RegistrationStatus.APPROVED if approve else RegistrationStatus.REJECTED
        locked.reason = "" if approve else reason.strip()[:500]
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "reason", "decided_at"])
        notice = RegistrationNotice.objects.create(registration=locked)
        enqueue_notice(notice.pk)
        return locked


def registration_notice_resend(*, registration: BankRegistration) -> RegistrationNotice:
    """Send the decision once more (the teller page's button, for investigations)."""
    with transaction.atomic():
        if registration.status not in (RegistrationStatus.APPROVED, RegistrationStatus.REJECTED):
            raise ValueError("no decision to notify")
        notice = RegistrationNotice.objects.create(registration=registration)
        enqueue_notice(notice.pk)
        return notice


def notice_fields(registration: BankRegistration) -> dict[str, str]:
    """The registration notification object (unsigned; signed afresh on every attempt)."""
    return {
        "merchant_id": registration.merchant_id,
        "registration_id": registration.registration_id,
        "bank_reference": registration.bank_reference,
        "status": registration.status,
        "reason": registration.reason,
        "decided_at": registration.decided_at.isoformat(timespec="seconds") if registration.decided_at else "",
    }


# --- debits ---------------------------------------------------------------------------------------


def _new_transaction(*, merchant_id: str, params: Mapping[str, str], method: str, step: str) -> SignedTransaction:
    amount = params.get("amount", "")
    if not (amount.isascii() and amount.isdigit() and int(amount) > 0):
        raise BankRefusal("04", "amount phải là số nguyên dương (VND)")
    if params.get("currency", "VND") != "VND":
        raise BankRefusal("03", "currency phải là VND")
    if not params.get("order_id") or len(params["order_id"]) > 64:
        raise BankRefusal("03", "order_id thiếu hoặc dài quá 64 ký tự")
    if not _http_url(params.get("notify_url", "")):
        raise BankRefusal("03", "notify_url phải là địa chỉ http(s) đầy đủ")
    try:
        with transaction.atomic():
            return SignedTransaction.objects.create(
                gateway=bank.GATEWAY.code,
                token=secrets.token_urlsafe(32),
                merchant_id=merchant_id,
                order_id=params["order_id"],
                amount=int(amount),
                order_info=params.get("order_info", "")[:255],
                return_url="",
                notify_url=params["notify_url"],
                request_params=dict(params),
                step=step,
                method=method,
                method_chosen_by_merchant=True,
                bank_code="VIETINBANK",
            )
    except IntegrityError:
        raise BankRefusal("01", "order_id đã được sử dụng") from None


def debit_receive(*, merchant_id: str, params: Mapping[str, str]) -> SignedTransaction:
    """``api/debit``: accept a debit of an approved registration's account; processed by the worker."""
    registration = BankRegistration.objects.filter(
        merchant_id=merchant_id, registration_id=params.get("registration_id", "")
    ).first()
    if registration is None or registration.status != RegistrationStatus.APPROVED:
        raise BankRefusal("14", "đăng ký trích nợ không tồn tại hoặc chưa được duyệt")
    if params.get("account_number") != registration.account_number:
        raise BankRefusal("03", "số tài khoản không khớp với đăng ký")
    with transaction.atomic():
        txn = _new_transaction(
            merchant_id=merchant_id, params=params, method=bank.METHOD_DEBIT, step=SignedStep.CONFIRM
        )
        txn.payer_account = registration.account_number[-4:].rjust(len(registration.account_number), "*")
        txn.save(update_fields=["payer_account"])
        enqueue_debit(txn.pk)
    return txn


def debit_process(*, txn_id: int) -> SignedTransaction:
    """The bank runs the debit: the outcome depends on the account (``bank.debit_result_for``)."""
    txn = SignedTransaction.objects.get(pk=txn_id)
    if txn.is_finished:
        return txn
    result = bank.debit_result_for(str(txn.request_params.get("account_number", "")))
    return engine.signed_transaction_finish(
        txn=txn, status=result.status, result_code=result.result_code, message=result.message
    )


# --- branch payment codes ---------------------------------------------------------------------------


def bill_receive(*, merchant_id: str, params: Mapping[str, str]) -> SignedTransaction:
    """``api/bill``: a payment code the teller can collect until ``expires_at``."""
    try:
        deadline = datetime.fromisoformat(params.get("expires_at", ""))
    except ValueError:
        raise BankRefusal("03", "expires_at phải theo ISO 8601") from None
    if deadline.tzinfo is None or deadline <= clock.now():
        raise BankRefusal("03", "expires_at phải có múi giờ và ở tương lai")
    return _new_transaction(merchant_id=merchant_id, params=params, method=bank.METHOD_BRANCH, step=SignedStep.CONFIRM)


def bill_deadline(txn: SignedTransaction) -> datetime | None:
    try:
        return datetime.fromisoformat(str(txn.request_params.get("expires_at", "")))
    except ValueError:
        return None


def bill_find(*, code: str) -> SignedTransaction | None:
    """The branch bill with payment code ``code`` (spaces and case forgiven)."""
    normalized = "".join(code.split()).upper()
    if not normalized:
        return None
    return SignedTransaction.objects.filter(
        gateway=bank.GATEWAY.code, method=bank.METHOD_BRANCH, order_id=normalized
    ).first()


def bill_collect(*, txn: SignedTransaction) -> SignedTransaction:
    """The teller took the cash ("Thu tiền tại quầy"): success, unless the code has expired (``11``)."""
    deadline = bill_deadline(txn)
    if deadline is not None and deadline <= clock.now():
        return engine.signed_transaction_finish(
            txn=txn, status=engine.FAILED, result_code="11", message=bank.RESULT_MESSAGES["11"]
        )
    return engine.signed_transaction_finish(
        txn=txn, status=engine.SUCCESS, result_code="00", message=bank.RESULT_MESSAGES["00"]
    )


def pending_notices() -> int:
    return RegistrationNotice.objects.filter(status=NoticeStatus.PENDING).count()
