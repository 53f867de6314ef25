"""MoMo's JSON API as the sandbox serves it: ``/v2/gateway/api/create``, ``/query`` and ``/refund``.

Each handler takes the decoded JSON body and returns ``(HTTP status, answer)``. Requests are checked
like MoMo does: merchant (``13``) → signature (``20``, with a ``subErrors`` entry naming the field) →
format (``20``) → amount (``21`` not a positive integer, ``22`` outside 1.000–50.000.000 VND) →
duplicates (``40`` requestId, ``41`` orderId). Refusals are HTTP 400 with a JSON ``resultCode``, as
MoMo answers them; a query about an unknown order is a normal answer (HTTP 200, ``42``).
Successful answers are signed (``momo_protocol``'s field orders), so the adapter can check them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.urls import reverse

from civicpay.core import clock
from civicpay.payments.providers import momo_protocol as momo
from civicpay.sandbox.models import MomoRefund, MomoTransaction
from civicpay.sandbox.momo.services import (
    REFUND_TRANS_ID_BASE,
    MerchantKeys,
    deeplink,
    merchant_keys,
    momo_transaction_expire_if_due,
    momo_transaction_open,
)

Answer = tuple[int, dict[str, Any]]

ORDER_ID: Final = re.compile(r"^[0-9a-zA-Z]([-_.]*[0-9a-zA-Z]+)*$")  # wallet/onetime's regex
_CREATE_REQUIRED: Final = ("requestId", "orderId", "orderInfo", "ipnUrl", "requestType", "amount")
_SUCCESS_MESSAGE: Final = "Thành công."


class ApiError(Exception):
    def __init__(self, code: int, field: str = "", detail: str = "") -> None:
        super().__init__(f"{code} {field} {detail}".strip())
        self.code, self.field, self.detail = code, field, detail


def _ms() -> int:
    return int(clock.now().timestamp() * 1000)


def _refusal(body: Mapping[str, Any], error: ApiError) -> Answer:
    answer: dict[str, Any] = {
        "partnerCode": body.get("partnerCode", ""),
        "requestId": body.get("requestId", ""),
        "orderId": body.get("orderId", ""),
        "responseTime": _ms(),
        "message": momo.message_for(error.code),
        "resultCode": error.code,
    }
    if error.field:
        answer["subErrors"] = [{"field": error.field, "message": error.detail or momo.message_for(error.code)}]
    return 400, answer


def _keys_and_signature(body: object, fields: tuple[str, ...]) -> MerchantKeys:
    if not isinstance(body, dict):
        raise ApiError(momo.BAD_FORMAT, "", "request body must be a JSON object")
    keys = merchant_keys(body.get("partnerCode"))
    if keys is None:
        raise ApiError(momo.MERCHANT_AUTH_FAILED, "partnerCode")
    if not momo.verify(fields, body, access_key=keys.access_key, secret=keys.secret_key):
        raise ApiError(
            momo.BAD_FORMAT, "signature", "Chữ ký không hợp lệ. Vui lòng kiểm tra dữ liệu gốc trước khi mã hóa."
        )
    return keys


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise ApiError(momo.BAD_AMOUNT if name == "amount" else momo.BAD_FORMAT, name)
    text = str(value)
    if not text.isascii() or not text.isdigit() or int(text) <= 0:
        raise ApiError(momo.BAD_AMOUNT if name == "amount" else momo.BAD_FORMAT, name)
    return int(text)


def _absolute_url(value: object) -> bool:
    parts = urlsplit(str(value))
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# --- create ---------------------------------------------------------------------------------------


def _check_create(body: Mapping[str, Any]) -> int:
    missing = [name for name in _CREATE_REQUIRED if body.get(name) in (None, "")]
    if missing:
        raise ApiError(momo.BAD_FORMAT, missing[0], "thiếu trường bắt buộc")
    if body["requestType"] != momo.REQUEST_TYPE:
        raise ApiError(momo.BAD_FORMAT, "requestType", "môi trường mô phỏng chỉ hỗ trợ captureWallet")
    if not ORDER_ID.fullmatch(str(body["orderId"])) or len(str(body["orderId"])) > 200:
        raise ApiError(momo.BAD_FORMAT, "orderId")
    if len(str(body["requestId"])) > 50 or len(str(body["orderInfo"])) > 255:
        raise ApiError(momo.BAD_FORMAT, "requestId" if len(str(body["requestId"])) > 50 else "orderInfo")
    if not _absolute_url(body["ipnUrl"]):
        raise ApiError(momo.BAD_FORMAT, "ipnUrl")
    if body.get("redirectUrl") and not _absolute_url(body["redirectUrl"]):
        raise ApiError(momo.BAD_FORMAT, "redirectUrl")
    if body.get("lang", "vi") not in momo.LANGS:
        raise ApiError(momo.BAD_FORMAT, "lang")
    amount = _positive_int(body["amount"], "amount")
    if not momo.MIN_AMOUNT <= amount <= momo.MAX_AMOUNT:
        raise ApiError(22, "amount", "số tiền phải từ 1.000 đến 50.000.000 VND")
    return amount


def momo_api_create(body: object, *, origin: str) -> Answer:
    """Open a captureWallet payment and answer its ``payUrl``, ``deeplink`` and ``qrCodeUrl``."""
    try:
        keys = _keys_and_signature(body, momo.CREATE_FIELDS)
        assert isinstance(body, dict)
        amount = _check_create(body)
        taken = MomoTransaction.objects.filter(partner_code=keys.partner_code)
        if taken.filter(request_id=str(body["requestId"])).exists():
            raise ApiError(momo.DUPLICATE_REQUEST_ID, "requestId")
        if taken.filter(order_id=str(body["orderId"])).exists():
            raise ApiError(momo.DUPLICATE_ORDER_ID, "orderId")
        try:
            with transaction.atomic():
                txn = momo_transaction_open(keys=keys, body=body, amount=amount)
        except IntegrityError:  # the same ids twice at once: the first one wins
            raise ApiError(momo.DUPLICATE_ORDER_ID, "orderId") from None
    except ApiError as error:
        return _refusal(body if isinstance(body, dict) else {}, error)
    answer: dict[str, Any] = {
        "partnerCode": txn.partner_code,
        "requestId": txn.request_id,
        "orderId": txn.order_id,
        "amount": txn.amount,
        "responseTime": _ms(),
        "message": _SUCCESS_MESSAGE,
        "resultCode": momo.SUCCESS,
        "payUrl": f"{origin.rstrip('/')}{reverse('sandbox:momo:pay')}?t={txn.token}",
        "deeplink": deeplink(txn),
        "qrCodeUrl": deeplink(txn, scan=True),
    }
    return 200, momo.signed(momo.CREATE_RESPONSE_FIELDS, answer, access_key=keys.access_key, secret=keys.secret_key)


# --- query ----------------------------------------------------------------------------------------


def _refund_trans(txn: MomoTransaction) -> list[dict[str, Any]]:
    return [
        {
            "orderId": refund.order_id,
            "amount": refund.amount,
            "resultCode": momo.SUCCESS,
            "transId": refund.trans_id,
            "createdTime": int(refund.created_at.timestamp() * 1000),
        }
        for refund in txn.refunds.all()
    ]


def momo_api_query(body: object) -> Answer:
    """The payment's status: its ``resultCode`` (1000 while the payer has not answered)."""
    try:
        keys = _keys_and_signature(body, momo.QUERY_FIELDS)
        assert isinstance(body, dict)
        for name in ("requestId", "orderId"):
            if not body.get(name):
                raise ApiError(momo.BAD_FORMAT, name, "thiếu trường bắt buộc")
    except ApiError as error:
        return _refusal(body if isinstance(body, dict) else {}, error)
    txn = MomoTransaction.objects.filter(partner_code=keys.partner_code, order_id=str(body["orderId"])).first()
    if txn is not None:
        txn = momo_transaction_expire_if_due(txn=txn)
    code = momo.ORDER_NOT_FOUND if txn is None else (txn.result_code if txn.is_finished else momo.INITIATED)
    answer: dict[str, Any] = {
        "partnerCode": keys.partner_code,
        "requestId": body["requestId"],
        "orderId": body["orderId"],
        "extraData": txn.extra_data if txn else "",
        "amount": txn.amount if txn else 0,
        "transId": (txn.trans_id or 0) if txn else 0,
        "payType": "qr" if txn is not None and txn.is_finished else "",
        "resultCode": code,
        "refundTrans": _refund_trans(txn) if txn else [],
        "message": momo.message_for(code),
        "responseTime": _ms(),
        "lastUpdated": int(txn.updated_at.timestamp() * 1000) if txn else _ms(),
    }
    return 200, momo.signed(momo.QUERY_RESPONSE_FIELDS, answer, access_key=keys.access_key, secret=keys.secret_key)


# --- refund ---------------------------------------------------------------------------------------


def _do_refund(keys: MerchantKeys, body: Mapping[str, Any]) -> MomoRefund:
    for name in ("requestId", "orderId"):
        if not body.get(name):
            raise ApiError(momo.BAD_FORMAT, name, "thiếu trường bắt buộc")
    if not ORDER_ID.fullmatch(str(body["orderId"])):
        raise ApiError(momo.BAD_FORMAT, "orderId")
    amount = _positive_int(body.get("amount"), "amount")
    trans_id = _positive_int(body.get("transId"), "transId")
    if amount < momo.MIN_AMOUNT:
        raise ApiError(momo.BAD_AMOUNT, "amount", "hoàn tối thiểu 1.000 VND")
    with transaction.atomic():
        txn = (
            MomoTransaction.objects.select_for_update()
            .filter(partner_code=keys.partner_code, trans_id=trans_id)
            .first()
        )
        if txn is None:
            raise ApiError(momo.ORDER_NOT_FOUND, "transId")
        if not txn.is_success:
            raise ApiError(momo.REFUND_FAILED, "transId", "giao dịch gốc không thành công")
        order_id = str(body["orderId"])
        if (
            MomoRefund.objects.filter(partner_code=keys.partner_code, order_id=order_id).exists()
            or MomoTransaction.objects.filter(partner_code=keys.partner_code, order_id=order_id).exists()
        ):
            raise ApiError(momo.DUPLICATE_ORDER_ID, "orderId")
        if amount > txn.amount - txn.refunded:
            raise ApiError(momo.REFUND_REFUSED, "amount")
        refund = MomoRefund.objects.create(
            transaction=txn,
            partner_code=keys.partner_code,
            order_id=order_id,
            request_id=str(body["requestId"])[:50],
            amount=amount,
            description=str(body.get("description") or "")[:255],
        )
        refund.trans_id = REFUND_TRANS_ID_BASE + refund.pk
        refund.save(update_fields=["trans_id"])
        txn.refunded += amount
        txn.save(update_fields=["refunded", "updated_at"])
    return refund


def momo_api_refund(body: object) -> Answer:
    """Refund part or all of a successful payment, found by its ``transId``."""
    try:
        keys = _keys_and_signature(body, momo.REFUND_FIELDS)
        assert isinstance(body, dict)
        refund = _do_refund(keys, body)
    except ApiError as error:
        status, refusal = _refusal(body if isinstance(body, dict) else {}, error)
        # Business refusals (not found, not refundable) are answers, not malformed requests.
        business = (momo.ORDER_NOT_FOUND, momo.REFUND_FAILED, momo.REFUND_REFUSED)
        return (200 if error.code in business else status), refusal
    answer: dict[str, Any] = {
        "partnerCode": keys.partner_code,
        "orderId": refund.order_id,
        "requestId": refund.request_id,
        "amount": refund.amount,
        "transId": refund.trans_id,
        "resultCode": momo.SUCCESS,
        "message": _SUCCESS_MESSAGE,
        "responseTime": _ms(),
    }
    return 200, momo.signed(momo.REFUND_RESPONSE_FIELDS, answer, access_key=keys.access_key, secret=keys.secret_key)
