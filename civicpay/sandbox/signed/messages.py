"""What the signed-protocol sandbox says about a transaction: the notification object and the return.

One function builds the fields for the notification, the browser's return and the query answer, so
the three always agree (docs/protocols/signed-gateway.md). Each is signed when it is sent, with a
fresh timestamp and nonce: a retried notification is a new message, never a replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from zoneinfo import ZoneInfo

from civicpay.payments.providers import signed_protocol as sp
from civicpay.sandbox.models import SignedTransaction
from civicpay.sandbox.signed.gateways import gateway_get

VIETNAM: Final = ZoneInfo("Asia/Ho_Chi_Minh")

RESULT_MESSAGES: Final[Mapping[str, str]] = {
    "00": "Giao dịch thành công",
    "07": "Giao dịch đang chờ xử lý",
    "11": "Đã hết thời gian chờ thanh toán",
    "13": "Nhập sai mã OTP quá số lần quy định",
    "24": "Khách hàng hủy giao dịch",
    "51": "Tài khoản không đủ số dư để thực hiện giao dịch",
    "79": "Nhập sai mật khẩu (mã PIN) quá số lần quy định",
    "99": "Lỗi không xác định",
}


def notification_fields(txn: SignedTransaction) -> dict[str, str]:
    """The notification object (unsigned): ``status`` is ``pending`` while the payer has not finished."""
    status = txn.status or "pending"
    code = txn.result_code or "07"
    return {
        "merchant_id": txn.merchant_id,
        "order_id": txn.order_id,
        "amount": str(txn.amount),
        "status": status,
        "result_code": code,
        "message": txn.message or RESULT_MESSAGES.get(code, RESULT_MESSAGES["99"]),
        "transaction_id": txn.transaction_id,
        "method": txn.method,
        "bank_code": txn.bank_code,
        "card_masked": txn.payer_account if txn.method in ("atm", "card") else "",
        "paid_at": txn.paid_at.astimezone(VIETNAM).isoformat(timespec="seconds") if txn.paid_at else "",
    }


def secret_for(txn: SignedTransaction) -> str:
    secret = gateway_get(txn.gateway).merchant_secret(txn.merchant_id)
    if secret is None:  # the merchant was removed from settings since the payment opened
        raise LookupError(f"merchant {txn.merchant_id} is no longer known to {txn.gateway}")
    return secret


def signed_notification(txn: SignedTransaction) -> dict[str, str]:
    return sp.signed(notification_fields(txn), secret_for(txn))


def return_url_for(txn: SignedTransaction) -> str:
    """``return_url`` with the signed notification fields: where the payer's browser goes back to."""
    return sp.build_redirect(txn.return_url, notification_fields(txn), secret_for(txn))
