"""VietinBank's server-to-server API in the sandbox: ``api/registration``, ``api/registration/cancel``,
``api/debit``, ``api/bill`` (and the engine's ``api/query``, ``api/refund``).

Every request is a signed JSON object (merchant secret, fresh timestamp); every answer is signed and
names ``merchant_id`` and the request's key (``registration_id`` or ``order_id``), with a ``code``:
``00`` accepted, ``01`` not found / already used, ``03`` bad request, ``04`` invalid amount, ``14``
registration not approved, ``97`` invalid signature or unknown merchant (unsigned: we cannot sign for a
merchant we do not know), ``98`` stale request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from civicpay.payments.providers import signed_protocol as sp
from civicpay.sandbox.vietinbank import bank, services

API_MESSAGES: Final[Mapping[str, str]] = {
    "00": "Thành công",
    "01": "Không tìm thấy hoặc đã được sử dụng",
    "03": "Dữ liệu không đúng định dạng",
    "04": "Số tiền không hợp lệ",
    "14": "Đăng ký trích nợ không tồn tại hoặc chưa được duyệt",
    "97": "Sai chữ ký",
    "98": "Yêu cầu đã hết hạn",
}

Handler = Callable[[str, dict[str, str]], dict[str, str]]


def _answer(code: str, key: Mapping[str, str], secret: str | None, message: str = "", **fields: str) -> dict[str, str]:
    answer = {"code": code, "message": message or API_MESSAGES[code], **key, **fields}
    return sp.signed(answer, secret) if secret else answer


def serve(*, body: object, key_field: str, handler: Handler) -> dict[str, str]:
    """Authenticate a request (merchant → signature → freshness → key field), run ``handler``, sign the answer."""
    if not isinstance(body, dict):
        return _answer("03", {}, None)
    request = {str(k): "" if v is None else str(v) for k, v in body.items()}
    key = {"merchant_id": request.get("merchant_id", ""), key_field: request.get(key_field, "")}
    secret = bank.GATEWAY.merchant_secret(request.get("merchant_id"))
    if secret is None or not sp.verify(request, secret):
        return _answer("97", key, None)
    try:
        sp.check_fresh(request)
    except sp.StaleMessage:
        return _answer("98", key, secret)
    if not request.get(key_field):
        return _answer("03", key, secret)
    try:
        fields = handler(request["merchant_id"], request)
    except services.BankRefusal as refusal:
        return _answer(refusal.code, key, secret, message=refusal.message)
    return _answer("00", key, secret, **fields)


def handle_registration(merchant_id: str, request: dict[str, str]) -> dict[str, str]:
    registration = services.registration_receive(merchant_id=merchant_id, params=request)
    return {"bank_reference": registration.bank_reference, "status": registration.status}


def handle_registration_cancel(merchant_id: str, request: dict[str, str]) -> dict[str, str]:
    registration = services.registration_cancel(merchant_id=merchant_id, registration_id=request["registration_id"])
    return {"status": registration.status}


def handle_debit(merchant_id: str, request: dict[str, str]) -> dict[str, str]:
    txn = services.debit_receive(merchant_id=merchant_id, params=request)
    return {"status": "pending", "amount": str(txn.amount)}


def handle_bill(merchant_id: str, request: dict[str, str]) -> dict[str, str]:
    txn = services.bill_receive(merchant_id=merchant_id, params=request)
    return {"payment_code": txn.order_id, "amount": str(txn.amount), "expires_at": request.get("expires_at", "")}
