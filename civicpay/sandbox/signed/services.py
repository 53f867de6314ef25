"""The signed-protocol sandbox engine: open, walk and finish a transaction, for any gateway.

The protocol comes from ``signed_protocol`` (the only ``civicpay.payments`` module a sandbox may use);
the payer's pages live in each gateway's package (``civicpay/sandbox/viettelpay`` …) and call these
functions. Every state change locks the transaction row, so a double-clicked button finishes a
payment once; the notification is written here and sent by the worker (``tasks.py``), never from
the payer's request.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from civicpay.core import clock
from civicpay.payments.providers import signed_protocol as sp
from civicpay.sandbox.models import SignedNotification, SignedStep, SignedTransaction
from civicpay.sandbox.signed.gateways import Gateway
from civicpay.sandbox.signed.tasks import enqueue_notification

VIETNAM: Final = ZoneInfo("Asia/Ho_Chi_Minh")
REQUIRED_PAY_FIELDS: Final = ("merchant_id", "order_id", "amount", "currency", "return_url", "notify_url")
LOCALES: Final = frozenset({"vi", "en"})

# The gateway's error page codes (the payer sees them when the merchant's redirect is not acceptable).
ERROR_MESSAGES: Final[Mapping[str, str]] = {
    "01": "Mã đơn hàng đã được thanh toán hoặc đã kết thúc",
    "02": "Không tìm thấy đơn vị chấp nhận thanh toán (merchant_id)",
    "03": "Dữ liệu gửi sang không đúng định dạng",
    "97": "Sai chữ ký",
    "98": "Yêu cầu đã hết hạn, vui lòng quay lại trang của đơn vị và thanh toán lại",
}

SUCCESS: Final = "success"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"
PENDING: Final = "pending"


class PayRequestRejected(Exception):
    """The merchant's redirect is not acceptable; the payer sees the gateway's error page with ``code``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail

    @property
    def message(self) -> str:
        return ERROR_MESSAGES[self.code]


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check_pay_fields(params: Mapping[str, str], methods: Collection[str]) -> int:
    missing = [name for name in REQUIRED_PAY_FIELDS if not params.get(name)]
    if missing:
        raise PayRequestRejected("03", f"thiếu {', '.join(missing)}")
    amount = params["amount"]
    if not amount.isascii() or not amount.isdigit() or int(amount) <= 0:
        raise PayRequestRejected("03", "amount phải là số nguyên dương (VND)")
    if params["currency"] != "VND":
        raise PayRequestRejected("03", "currency phải là VND")
    if len(params["order_id"]) > 64:
        raise PayRequestRejected("03", "order_id dài quá 64 ký tự")
    for name in ("return_url", "notify_url"):
        if not _http_url(params[name]):
            raise PayRequestRejected("03", f"{name} phải là địa chỉ http(s) đầy đủ")
    if params.get("locale") and params["locale"] not in LOCALES:
        raise PayRequestRejected("03", "locale phải là vi hoặc en")
    if params.get("method") and params["method"] not in methods:
        raise PayRequestRejected("03", f"method={params['method']} không được hỗ trợ")
    return int(amount)


def signed_transaction_open(
    *, gateway: Gateway, params: Mapping[str, str], methods: Collection[str] = ()
) -> SignedTransaction:
    """Accept a merchant's ``<gateway>/pay`` redirect: merchant → signature → freshness → fields.

    Reopening the same order while it is still open resumes it (the payer pressed Back); the same
    order after it ended is refused with ``01``. A new order needs a fresh redirect (±300 s).
    """
    params = {key: params[key] for key in params}
    secret = gateway.merchant_secret(params.get("merchant_id"))
    if secret is None:
        raise PayRequestRejected("02", f"merchant_id={params.get('merchant_id', '')}")
    if not sp.verify(params, secret):
        raise PayRequestRejected("97")
    amount = _check_pay_fields(params, methods)
    key = {"gateway": gateway.code, "merchant_id": params["merchant_id"], "order_id": params["order_id"]}
    existing = SignedTransaction.objects.filter(**key).first()
    if existing is not None:
        if existing.is_finished or existing.amount != amount:
            raise PayRequestRejected("01", f"order_id={params['order_id']}")
        return existing
    try:
        sp.check_fresh(params)
    except sp.StaleMessage as exc:
        raise PayRequestRejected("98", str(exc)) from None
    method = params.get("method", "")
    try:
        with transaction.atomic():
            return SignedTransaction.objects.create(
                **key,
                token=secrets.token_urlsafe(32),
                amount=amount,
                order_info=params.get("order_info", "")[:255],
                locale=params.get("locale", "vi"),
                return_url=params["return_url"],
                notify_url=params["notify_url"],
                request_params=params,
                step=gateway.first_step,
                method=method,
                method_chosen_by_merchant=bool(method),
                bank_code=params.get("bank_code", "")[:20],
            )
    except IntegrityError:  # the same redirect twice at once: the first one wins
        raise PayRequestRejected("01", f"order_id={params['order_id']}") from None


def _locked(txn: SignedTransaction) -> SignedTransaction:
    return SignedTransaction.objects.select_for_update().get(pk=txn.pk)


def signed_transaction_advance(
    *, txn: SignedTransaction, from_steps: Collection[str], step: str, **fields: Any
) -> SignedTransaction:
    """Move an open transaction to ``step`` (setting ``fields``) if it is at one of ``from_steps``."""
    with transaction.atomic():
        txn = _locked(txn)
        if txn.step in from_steps:
            txn.step = step
            for name, value in fields.items():
                setattr(txn, name, value)
            txn.save(update_fields=["step", *fields, "updated_at"])
        return txn


@dataclass(frozen=True, slots=True)
class SecretCheck:
    """The result of checking a PIN or an OTP: ``finished`` when too many tries ended the payment."""

    txn: SignedTransaction
    accepted: bool
    attempts_left: int


def signed_transaction_check_secret(
    *,
    txn: SignedTransaction,
    step: str,
    given: str,
    expected: str,
    max_failures: int,
    lockout_code: str,
    on_success: tuple[str, str, str] | None = None,
) -> SecretCheck:
    """Compare a PIN/OTP in constant time; the ``max_failures``-th wrong one fails the payment.

    ``on_success`` is ``(status, result_code, message)`` to finish with, or ``None`` to only accept.
    """
    with transaction.atomic():
        txn = _locked(txn)
        if txn.step != step:
            return SecretCheck(txn=txn, accepted=False, attempts_left=0)
        if secrets.compare_digest(given.encode(), expected.encode()):
            if on_success is not None:
                status, code, message = on_success
                txn = signed_transaction_finish(txn=txn, status=status, result_code=code, message=message)
            return SecretCheck(txn=txn, accepted=True, attempts_left=max_failures - txn.failures)
        txn.failures += 1
        txn.save(update_fields=["failures", "updated_at"])
        left = max_failures - txn.failures
        if left <= 0:
            txn = signed_transaction_finish(txn=txn, status=FAILED, result_code=lockout_code)
        return SecretCheck(txn=txn, accepted=False, attempts_left=max(left, 0))


def signed_transaction_finish(
    *, txn: SignedTransaction, status: str, result_code: str, message: str = ""
) -> SignedTransaction:
    """End the payment once and queue its notification for the worker (written in this transaction)."""
    with transaction.atomic():
        txn = _locked(txn)
        if txn.is_finished:
            return txn
        now = clock.now()
        txn.step, txn.status, txn.result_code, txn.message = SignedStep.DONE, status, result_code, message[:255]
        if status == SUCCESS:
            txn.paid_at = now
            txn.transaction_id = f"{now.astimezone(VIETNAM):%y%m%d}{txn.pk:08d}"
        txn.save()
        notification = SignedNotification.objects.create(transaction=txn, url=txn.notify_url)
        enqueue_notification(notification.pk)
        return txn


def signed_transaction_cancel(*, txn: SignedTransaction) -> SignedTransaction:
    """ "Hủy": the payment ends as ``cancelled`` with result code ``24``."""
    return signed_transaction_finish(txn=txn, status=CANCELLED, result_code="24", message="Khách hàng hủy giao dịch")


def signed_notification_resend(*, txn: SignedTransaction) -> SignedNotification:
    """Send a finished transaction's notification once more (the transactions page, investigations)."""
    with transaction.atomic():
        txn = _locked(txn)
        if not txn.is_finished:
            raise ValueError("the transaction has no outcome yet")
        notification = SignedNotification.objects.create(transaction=txn, url=txn.notify_url)
        enqueue_notification(notification.pk)
        return notification
