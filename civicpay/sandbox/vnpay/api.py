"""VNPay's ``merchant_webapi/api/transaction``: ``querydr`` (what happened to a payment) and ``refund``.

Requests are checked like VNPay does: merchant (``02``) → checksum over the ``|``-joined request fields
(``97``) → format (``03``) → transaction (``91``); refunds then refuse a payment that did not succeed
(``95``), a repeated RequestId or nothing left to refund (``94``) and an amount above what remains (``03``).
Answers carry VNPay's response fields, hashed in the order ``vnpay_protocol.verify_api_response`` checks;
only an unknown merchant's answer is unsigned (there is no secret to sign it with).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Final

from django.db import IntegrityError, transaction

from civicpay.core import clock
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.sandbox.models import VnpayRefund, VnpayTransaction
from civicpay.sandbox.vnpay.services import REFUND_NO_BASE, merchant_secret

QUERYDR_FIELDS: Final = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_FIELDS: Final = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
_REQUEST_FIELDS: Final = {"querydr": QUERYDR_FIELDS, "refund": REFUND_FIELDS}
_OPTIONAL: Final = frozenset({"vnp_TransactionNo"})  # VNPay finds the payment by TxnRef + TransactionDate

MESSAGES: Final = {
    "00": "Yeu cau thanh cong",
    "02": "Ma dinh danh ket noi khong hop le (kiem tra lai TmnCode)",
    "03": "Du lieu gui sang khong dung dinh dang",
    "91": "Khong tim thay giao dich yeu cau",
    "94": "Yeu cau trung lap hoac giao dich da duoc hoan tien truoc do",
    "95": "Giao dich nay khong thanh cong ben VNPAY. VNPAY tu choi xu ly yeu cau",
    "97": "Checksum khong hop le",
    "99": "Cac loi khac",
}
_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class ApiError(Exception):
    def __init__(self, code: str, txn: VnpayTransaction | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.txn = txn


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _hmac(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def _request_checksum_ok(body: Mapping[str, object], command: str, secret: str) -> bool:
    data = "|".join(_text(body.get(name)) for name in _REQUEST_FIELDS[command])
    given = _text(body.get(vnp.HASH_FIELD)).strip().lower()
    return bool(given) and hmac.compare_digest(_hmac(secret, data), given)


def _answer(command: str, code: str, fields: Mapping[str, str], secret: str | None) -> dict[str, str]:
    """A response with every field of the signed order present (empty when it does not apply)."""
    body: dict[str, str] = {
        "vnp_ResponseId": secrets.token_hex(16),
        "vnp_Command": command,
        "vnp_ResponseCode": code,
        "vnp_Message": MESSAGES[code],
        "vnp_TmnCode": "",
        "vnp_TxnRef": "",
        "vnp_Amount": "",
        "vnp_BankCode": "",
        "vnp_PayDate": "",
        "vnp_TransactionNo": "",
        "vnp_TransactionType": "",
        "vnp_TransactionStatus": "",
        "vnp_OrderInfo": "",
    }
    if command == "querydr":
        body |= {"vnp_PromotionCode": "", "vnp_PromotionAmount": ""}
    body |= fields
    data = vnp.response_hash_data(body)
    if secret is not None and data is not None:
        body[vnp.HASH_FIELD] = _hmac(secret, data)
    return body


def _transaction_type(txn: VnpayTransaction) -> str:
    if txn.refunded_vnd <= 0:
        return "01"  # a payment
    return vnp.REFUND_FULL if txn.refunded_vnd >= txn.amount_vnd else vnp.REFUND_PARTIAL


def _transaction_status(txn: VnpayTransaction) -> str:
    """querydr's vnp_TransactionStatus: 00 paid, 01 not finished yet, 02 failed (or abandoned past expiry)."""
    if txn.is_finished:
        return vnp.SUCCESS_CODE if txn.is_success else "02"
    return "02" if txn.expire_at <= clock.now() else "01"


def _transaction_fields(txn: VnpayTransaction) -> dict[str, str]:
    return {
        "vnp_TmnCode": txn.tmn_code,
        "vnp_TxnRef": txn.txn_ref,
        "vnp_Amount": str(txn.amount_vnd * 100),
        "vnp_BankCode": txn.bank_code,
        "vnp_PayDate": vnp.format_date(txn.pay_date) if txn.pay_date else "",
        "vnp_TransactionNo": txn.transaction_no,
        "vnp_TransactionType": _transaction_type(txn),
        "vnp_TransactionStatus": _transaction_status(txn),
        "vnp_OrderInfo": txn.order_info,
    }


def _check_format(body: Mapping[str, object], command: str) -> None:
    fields = _REQUEST_FIELDS[command]
    if any(not _text(body.get(name)) for name in fields if name not in _OPTIONAL):
        raise ApiError("03")
    if body["vnp_Version"] != vnp.VERSION or not _REQUEST_ID.fullmatch(_text(body["vnp_RequestId"])):
        raise ApiError("03")
    for name in ("vnp_TransactionDate", "vnp_CreateDate"):
        try:
            vnp.parse_date(_text(body[name]))
        except ValueError:
            raise ApiError("03") from None


def _find(body: Mapping[str, object]) -> VnpayTransaction:
    txn = VnpayTransaction.objects.filter(
        tmn_code=_text(body["vnp_TmnCode"]),
        txn_ref=_text(body["vnp_TxnRef"]),
        vnp_create_date=_text(body["vnp_TransactionDate"]),
    ).first()
    if txn is None:
        raise ApiError("91")
    return txn


def _refund(body: Mapping[str, object], txn: VnpayTransaction) -> tuple[VnpayTransaction, dict[str, str]]:
    kind, amount = _text(body["vnp_TransactionType"]), _text(body["vnp_Amount"])
    if kind not in (vnp.REFUND_FULL, vnp.REFUND_PARTIAL):
        raise ApiError("03", txn)
    if not amount.isascii() or not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
        raise ApiError("03", txn)
    amount_vnd = int(amount) // 100
    transaction_no = _text(body.get("vnp_TransactionNo"))
    with transaction.atomic():
        txn = VnpayTransaction.objects.select_for_update().get(pk=txn.pk)
        if transaction_no and transaction_no != txn.transaction_no:
            raise ApiError("91", txn)
        if not txn.is_success:
            raise ApiError("95", txn)
        if VnpayRefund.objects.filter(tmn_code=txn.tmn_code, request_id=_text(body["vnp_RequestId"])).exists():
            raise ApiError("94", txn)
        remaining = txn.amount_vnd - txn.refunded_vnd
        if remaining <= 0:
            raise ApiError("94", txn)
        if amount_vnd > remaining or (kind == vnp.REFUND_FULL and amount_vnd != remaining):
            raise ApiError("03", txn)
        try:
            with transaction.atomic():
                refund = VnpayRefund.objects.create(
                    transaction=txn,
                    tmn_code=txn.tmn_code,
                    request_id=_text(body["vnp_RequestId"]),
                    transaction_type=kind,
                    amount_vnd=amount_vnd,
                    create_by=_text(body["vnp_CreateBy"])[:250],
                    refund_transaction_no="",
                )
        except IntegrityError:
            raise ApiError("94", txn) from None
        refund.refund_transaction_no = str(REFUND_NO_BASE + refund.pk)
        refund.save(update_fields=["refund_transaction_no"])
        txn.refunded_vnd += amount_vnd
        txn.save(update_fields=["refunded_vnd", "updated_at"])
    return txn, {
        **_transaction_fields(txn),
        "vnp_Amount": str(amount_vnd * 100),
        "vnp_PayDate": vnp.format_date(refund.created_at),
        "vnp_TransactionNo": refund.refund_transaction_no,
        "vnp_TransactionType": kind,
        "vnp_TransactionStatus": vnp.SUCCESS_CODE,
    }


def vnpay_api_handle(body: object) -> dict[str, str]:
    """Answer one decoded JSON request to ``merchant_webapi/api/transaction``."""
    if not isinstance(body, dict):
        return _answer("", "03", {}, None)
    command = _text(body.get("vnp_Command"))
    secret = merchant_secret(body.get("vnp_TmnCode"))
    if secret is None:
        return _answer(command, "02", {}, None)
    if command not in _REQUEST_FIELDS:
        return _answer(command, "03", {"vnp_TmnCode": _text(body.get("vnp_TmnCode"))}, secret)
    echo = {"vnp_TmnCode": _text(body.get("vnp_TmnCode")), "vnp_TxnRef": _text(body.get("vnp_TxnRef"))}
    try:
        if not _request_checksum_ok(body, command, secret):
            raise ApiError("97")
        _check_format(body, command)
        txn = _find(body)
        if command == "querydr":
            return _answer(command, "00", _transaction_fields(txn), secret)
        _txn, fields = _refund(body, txn)
        return _answer(command, "00", fields, secret)
    except ApiError as error:
        fields = _transaction_fields(error.txn) if error.txn is not None else echo
        return _answer(command, error.code, fields, secret)
