"""``<gateway>/api/query`` and ``<gateway>/api/refund`` of the signed-protocol sandbox.

Requests are signed JSON objects (merchant secret, fresh timestamp); answers are signed JSON objects
that always name ``merchant_id`` and ``order_id`` and carry a ``code``: ``00`` done, ``01`` order not
found, ``03`` bad request, ``04`` invalid amount, ``05`` not refundable, ``97`` invalid signature or
unknown merchant (unsigned: we cannot sign for a merchant we do not know), ``98`` stale request.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Final

from django.db import transaction

from civicpay.payments.providers import signed_protocol as sp
from civicpay.sandbox.models import SignedRefund, SignedTransaction
from civicpay.sandbox.signed.gateways import Gateway
from civicpay.sandbox.signed.messages import notification_fields
from civicpay.sandbox.signed.services import SUCCESS

API_MESSAGES: Final[Mapping[str, str]] = {
    "00": "Thành công",
    "01": "Không tìm thấy giao dịch",
    "03": "Dữ liệu không đúng định dạng",
    "04": "Số tiền không hợp lệ",
    "05": "Giao dịch không thể hoàn tiền",
    "97": "Sai chữ ký",
    "98": "Yêu cầu đã hết hạn",
}


def _text_fields(body: object) -> dict[str, str] | None:
    if not isinstance(body, dict):
        return None
    return {str(key): "" if value is None else str(value) for key, value in body.items()}


def _answer(code: str, request: Mapping[str, str], secret: str | None, **fields: str) -> dict[str, str]:
    answer = {
        "code": code,
        "message": API_MESSAGES[code],
        "merchant_id": request.get("merchant_id", ""),
        "order_id": request.get("order_id", ""),
        **fields,
    }
    return sp.signed(answer, secret) if secret else answer


def _authenticate(gateway: Gateway, body: object) -> tuple[dict[str, str], str | None, str | None]:
    """``(request, secret, error code)``: the error is ``None`` when the request may be served."""
    request = _text_fields(body)
    if request is None:
        return {}, None, "03"
    secret = gateway.merchant_secret(request.get("merchant_id"))
    if secret is None or not sp.verify(request, secret):
        return request, None, "97"
    try:
        sp.check_fresh(request)
    except sp.StaleMessage:
        return request, secret, "98"
    if not request.get("order_id"):
        return request, secret, "03"
    return request, secret, None


def api_query(*, gateway: Gateway, body: object) -> dict[str, str]:
    """The notification object of the order (``status`` ``pending`` while the payer is still paying)."""
    request, secret, error = _authenticate(gateway, body)
    if error is not None:
        return _answer(error, request, secret)
    txn = SignedTransaction.objects.filter(
        gateway=gateway.code, merchant_id=request["merchant_id"], order_id=request["order_id"]
    ).first()
    if txn is None:
        return _answer("01", request, secret)
    assert secret is not None
    return sp.signed({"code": "00", **notification_fields(txn)}, secret)


def api_refund(*, gateway: Gateway, body: object) -> dict[str, str]:
    """Refund part or all of a successful payment; the refunds of one order never exceed its amount."""
    request, secret, error = _authenticate(gateway, body)
    if error is not None:
        return _answer(error, request, secret)
    amount = request.get("amount", "")
    if not amount.isascii() or not amount.isdigit() or int(amount) <= 0:
        return _answer("04", request, secret)
    with transaction.atomic():
        txn = (
            SignedTransaction.objects.select_for_update()
            .filter(gateway=gateway.code, merchant_id=request["merchant_id"], order_id=request["order_id"])
            .first()
        )
        if txn is None or (request.get("transaction_id") and request["transaction_id"] != txn.transaction_id):
            return _answer("01", request, secret)
        if txn.status != SUCCESS:
            return _answer("05", request, secret)
        if int(amount) > txn.amount - txn.refunded:
            return _answer("04", request, secret)
        refund = SignedRefund.objects.create(
            transaction=txn,
            refund_id=f"RF{secrets.token_hex(6).upper()}",
            amount=int(amount),
            reason=request.get("reason", "")[:255],
        )
        txn.refunded += int(amount)
        txn.save(update_fields=["refunded", "updated_at"])
    return _answer("00", request, secret, refund_id=refund.refund_id, amount=amount, transaction_id=txn.transaction_id)
