"""MoMo v2 (``captureWallet``) wire protocol: request bodies, signatures, result messages.

Pure Python over strings and mappings — no Django, no HTTP — so that the MoMo adapter, the MoMo
sandbox (which may import nothing else from ``civicpay.payments``) and the tests share one definition
of the signing rules.

The rule MoMo uses everywhere: the signed string is ``key=value`` pairs **in a fixed, documented
order** (MoMo writes it as "all key names sorted a–z"), values raw (no URL encoding, ``None`` as an
empty string, numbers as their decimal text), joined by ``&``, with ``accessKey`` taken from the
merchant's credentials (it is never sent in v2 bodies); the signature is the lowercase hex
HMAC-SHA256 of that string under the merchant's ``secretKey``.

Sources (checked when writing this module; docs/protocols/momo.md has the details):

- MoMo's official sample ``momo-wallet/payment`` ``python/MoMo.py`` (commit 1f3e64d) and
  ``php/PayMoMo/init_payment.php`` (commit 4f26395): the create request body and its signed order;
- developers.momo.vn v3 pages *One-Time Payments* (wallet/onetime: fields, amount 1.000–50.000.000 VND),
  *Payment Notification* (result-handling/notification: IPN by POST JSON, reply HTTP 204 within 15 s),
  *Check Transaction Status* (payment-api/query: ``accessKey&orderId&partnerCode&requestId``) and
  *Reverse & Refund* (payment-api/refund: ``accessKey&amount&description&orderId&partnerCode&requestId
  &transId``);
- the IPN/redirect signed order (13 fields) as listed in ARCHITECTURE.md and used by the published
  ``verifySignature`` helpers of MoMo client libraries (e.g. the ``momo-payment-gateway`` npm package).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

CREATE_PATH: Final = "/v2/gateway/api/create"
QUERY_PATH: Final = "/v2/gateway/api/query"
REFUND_PATH: Final = "/v2/gateway/api/refund"
REQUEST_TYPE: Final = "captureWallet"
ORDER_TYPE: Final = "momo_wallet"
LANGS: Final = frozenset({"vi", "en"})
SIGNATURE_FIELD: Final = "signature"

# captureWallet amount limits (wallet/onetime: "Min: 1.000 VND, Max: 50.000.000 VND").
MIN_AMOUNT: Final = 1_000
MAX_AMOUNT: Final = 50_000_000

# --- signed field orders --------------------------------------------------------------------------

CREATE_FIELDS: Final = (
    "accessKey",
    "amount",
    "extraData",
    "ipnUrl",
    "orderId",
    "orderInfo",
    "partnerCode",
    "redirectUrl",
    "requestId",
    "requestType",
)
# The create answer: MoMo's a–z rule over the answer's scalar fields except the links it adds
# (deeplink, qrCodeUrl). Some integrations verify it without ``message``; see verify_create_response.
CREATE_RESPONSE_FIELDS: Final = (
    "accessKey",
    "amount",
    "message",
    "orderId",
    "partnerCode",
    "payUrl",
    "requestId",
    "responseTime",
    "resultCode",
)
CREATE_RESPONSE_FIELDS_WITHOUT_MESSAGE: Final = tuple(f for f in CREATE_RESPONSE_FIELDS if f != "message")
# IPN (POST JSON) and the browser's redirect (GET query): the same fields, the same signature.
RESULT_FIELDS: Final = (
    "accessKey",
    "amount",
    "extraData",
    "message",
    "orderId",
    "orderInfo",
    "orderType",
    "partnerCode",
    "payType",
    "requestId",
    "responseTime",
    "resultCode",
    "transId",
)
QUERY_FIELDS: Final = ("accessKey", "orderId", "partnerCode", "requestId")
# MoMo's query page lists no signature on the answer; when one is present (the sandbox signs) it
# follows the a–z rule over the answer's scalar fields.
QUERY_RESPONSE_FIELDS: Final = (
    "accessKey",
    "amount",
    "extraData",
    "message",
    "orderId",
    "partnerCode",
    "payType",
    "requestId",
    "responseTime",
    "resultCode",
    "transId",
)
REFUND_FIELDS: Final = ("accessKey", "amount", "description", "orderId", "partnerCode", "requestId", "transId")
REFUND_RESPONSE_FIELDS: Final = (
    "accessKey",
    "amount",
    "message",
    "orderId",
    "partnerCode",
    "requestId",
    "responseTime",
    "resultCode",
    "transId",
)

# --- result codes ---------------------------------------------------------------------------------

SUCCESS: Final = 0
AUTHORISED: Final = 9000
INITIATED: Final = 1000
PROCESSING: Final = 7000
PROCESSING_BY_PROVIDER: Final = 7002
INSUFFICIENT_FUNDS: Final = 1001
DECLINED_BY_ISSUER: Final = 1002
CANCELLED: Final = 1003
OVER_LIMIT: Final = 1004
EXPIRED: Final = 1005
USER_DECLINED: Final = 1006
ACCOUNT_INACTIVE: Final = 1007
CANCELLED_BY_MERCHANT: Final = 1017
REFUND_FAILED: Final = 1080
REFUND_REFUSED: Final = 1081
BAD_FORMAT: Final = 20
BAD_AMOUNT: Final = 21
DUPLICATE_REQUEST_ID: Final = 40
DUPLICATE_ORDER_ID: Final = 41
ORDER_NOT_FOUND: Final = 42
MERCHANT_AUTH_FAILED: Final = 13
UNKNOWN_ERROR: Final = 99

RESULT_MESSAGES_VI: Final[Mapping[int, str]] = {
    0: "Giao dịch thành công.",
    9000: "Giao dịch đã được người thanh toán xác nhận (cấp quyền) thành công.",
    1000: "Giao dịch đã được khởi tạo, đang chờ người dùng xác nhận thanh toán.",
    7000: "Giao dịch đang được xử lý.",
    7002: "Giao dịch đang được tổ chức cung cấp phương thức thanh toán xử lý.",
    1001: "Tài khoản ví MoMo không đủ số dư để thanh toán.",
    1002: "Giao dịch bị từ chối bởi tổ chức phát hành phương thức thanh toán.",
    1003: "Giao dịch đã bị hủy.",
    1004: "Số tiền thanh toán vượt quá hạn mức thanh toán của người dùng.",
    1005: "Mã QR hoặc đường dẫn thanh toán đã hết hạn.",
    1006: "Người dùng đã từ chối xác nhận thanh toán.",
    1007: "Tài khoản ví MoMo không tồn tại hoặc đang bị tạm khóa.",
    1017: "Giao dịch bị hủy bởi đơn vị bán hàng.",
    1080: "Hoàn tiền không thành công.",
    1081: "Yêu cầu hoàn tiền bị từ chối: giao dịch đã được hoàn hoặc số tiền hoàn vượt quá số tiền đã thanh toán.",
    10: "Hệ thống MoMo đang bảo trì.",
    11: "Truy cập bị từ chối.",
    12: "Phiên bản API không được hỗ trợ cho yêu cầu này.",
    13: "Xác thực đơn vị bán hàng không thành công (kiểm tra partnerCode và khóa truy cập).",
    20: "Yêu cầu sai định dạng.",
    21: "Số tiền giao dịch không hợp lệ.",
    22: "Số tiền giao dịch nằm ngoài hạn mức cho phép.",
    40: "Mã yêu cầu (requestId) bị trùng.",
    41: "Mã đơn hàng (orderId) bị trùng.",
    42: "Mã đơn hàng (orderId) không hợp lệ hoặc không tìm thấy.",
    99: "Lỗi không xác định.",
}
GENERIC_MESSAGE_VI: Final = "Giao dịch không thành công."


def message_for(code: int | str | None) -> str:
    """Plain-Vietnamese text for a ``resultCode`` (a generic sentence for codes we do not list)."""
    try:
        return RESULT_MESSAGES_VI.get(int(code), GENERIC_MESSAGE_VI)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return GENERIC_MESSAGE_VI


class InvalidSignature(Exception):
    """A message's ``signature`` is missing or wrong: it was not signed with our MoMo secret."""


class MalformedMessage(Exception):
    """A correctly signed message lacks a field or carries a value we cannot read."""


# --- signing --------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A value as MoMo writes it into the signed string: raw text, ``None`` as empty, bools as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def raw_signature(fields: Sequence[str], params: Mapping[str, object], *, access_key: str) -> str:
    """The signed string: ``key=value`` in ``fields`` order; ``accessKey`` comes from the credentials."""
    values = {**params, "accessKey": access_key}
    return "&".join(f"{name}={_text(values.get(name))}" for name in fields)


def hmac_sha256(raw: str, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), raw.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(fields: Sequence[str], params: Mapping[str, object], *, access_key: str, secret: str) -> str:
    return hmac_sha256(raw_signature(fields, params, access_key=access_key), secret)


def verify(fields: Sequence[str], params: Mapping[str, object], *, access_key: str, secret: str) -> bool:
    """Constant-time check of ``params["signature"]``; false when it is missing."""
    given = _text(params.get(SIGNATURE_FIELD)).strip().lower()
    if not given:
        return False
    return hmac.compare_digest(sign(fields, params, access_key=access_key, secret=secret), given)


def signed(fields: Sequence[str], params: Mapping[str, object], *, access_key: str, secret: str) -> dict[str, object]:
    """A copy of ``params`` with ``signature`` set (used by the sandbox and the tests)."""
    return {**params, SIGNATURE_FIELD: sign(fields, params, access_key=access_key, secret=secret)}


# --- messages -------------------------------------------------------------------------------------


def check_amount_in_limits(amount: int) -> None:
    """``ValueError`` for an amount captureWallet does not take."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise ValueError(f"MoMo captureWallet takes {MIN_AMOUNT}–{MAX_AMOUNT} VND, not {amount!r}")


def create_request(
    *,
    partner_code: str,
    access_key: str,
    secret: str,
    request_id: str,
    amount: int,
    order_id: str,
    order_info: str,
    redirect_url: str,
    ipn_url: str,
    extra_data: str = "",
    lang: str = "vi",
) -> dict[str, object]:
    """The JSON body of ``POST /v2/gateway/api/create`` with ``requestType=captureWallet``, signed."""
    check_amount_in_limits(amount)
    if lang not in LANGS:
        raise ValueError(f"lang must be vi or en, not {lang!r}")
    body: dict[str, object] = {
        "partnerCode": partner_code,
        "requestId": request_id,
        "amount": amount,
        "orderId": order_id,
        "orderInfo": order_info,
        "redirectUrl": redirect_url,
        "ipnUrl": ipn_url,
        "requestType": REQUEST_TYPE,
        "extraData": extra_data,
        "lang": lang,
    }
    return signed(CREATE_FIELDS, body, access_key=access_key, secret=secret)


def verify_create_response(body: Mapping[str, object], *, access_key: str, secret: str) -> bool:
    """True when the create answer is signed with our secret.

    Accepts the a–z field order with or without ``message``: MoMo's page does not spell the answer's
    string out and published integrations use both; either proves the answer came from a holder of
    our secret, which is what matters before sending the payer to ``payUrl``.
    """
    return any(
        verify(fields, body, access_key=access_key, secret=secret)
        for fields in (CREATE_RESPONSE_FIELDS, CREATE_RESPONSE_FIELDS_WITHOUT_MESSAGE)
    )


@dataclass(frozen=True, slots=True)
class CreateResponse:
    result_code: int
    message: str
    pay_url: str
    deeplink: str
    qr_code_url: str
    order_id: str
    request_id: str
    amount: int | None
    raw: Mapping[str, object] = field(default_factory=dict, repr=False)

    @property
    def is_success(self) -> bool:
        return self.result_code == SUCCESS


def _int(value: object, name: str) -> int:
    text = _text(value).strip()
    if not text or not text.lstrip("-").isdigit() or not text.isascii():
        raise MalformedMessage(f"{name} must be an integer, not {value!r}")
    return int(text)


def parse_create_response(body: Mapping[str, object]) -> CreateResponse:
    """Read a create answer (signature checked separately). Raises ``MalformedMessage``."""
    code = _int(body.get("resultCode"), "resultCode")
    amount = body.get("amount")
    return CreateResponse(
        result_code=code,
        message=_text(body.get("message")),
        pay_url=_text(body.get("payUrl")),
        deeplink=_text(body.get("deeplink")),
        qr_code_url=_text(body.get("qrCodeUrl")),
        order_id=_text(body.get("orderId")),
        request_id=_text(body.get("requestId")),
        amount=_int(amount, "amount") if amount not in (None, "") else None,
        raw=dict(body),
    )


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """An IPN or a redirect, verified: what MoMo says happened to one order."""

    partner_code: str
    order_id: str
    request_id: str
    amount: int
    result_code: int
    message: str
    trans_id: str
    pay_type: str
    order_info: str
    extra_data: str
    response_time_ms: int | None
    raw: Mapping[str, object] = field(default_factory=dict, repr=False)

    @property
    def is_success(self) -> bool:
        return self.result_code in (SUCCESS, AUTHORISED)


_REQUIRED_RESULT_FIELDS: Final = ("partnerCode", "orderId", "requestId", "amount", "resultCode")


def parse_result(params: Mapping[str, object], *, access_key: str, secret: str) -> PaymentResult:
    """Verify and read an IPN body or a redirect query. ``InvalidSignature`` first, then
    ``MalformedMessage`` (a missing field, an amount or code that is not an integer)."""
    if not verify(RESULT_FIELDS, params, access_key=access_key, secret=secret):
        raise InvalidSignature("MoMo result signature missing or invalid")
    missing = [name for name in _REQUIRED_RESULT_FIELDS if _text(params.get(name)) == ""]
    if missing:
        raise MalformedMessage(f"missing {', '.join(missing)}")
    response_time = _text(params.get("responseTime"))
    return PaymentResult(
        partner_code=_text(params["partnerCode"]),
        order_id=_text(params["orderId"]),
        request_id=_text(params["requestId"]),
        amount=_int(params["amount"], "amount"),
        result_code=_int(params["resultCode"], "resultCode"),
        message=_text(params.get("message")),
        trans_id=_text(params.get("transId")),
        pay_type=_text(params.get("payType")),
        order_info=_text(params.get("orderInfo")),
        extra_data=_text(params.get("extraData")),
        response_time_ms=_int(response_time, "responseTime") if response_time else None,
        raw=dict(params),
    )


def result_params(
    *,
    partner_code: str,
    access_key: str,
    secret: str,
    order_id: str,
    request_id: str,
    amount: int,
    order_info: str,
    trans_id: int,
    result_code: int,
    message: str,
    pay_type: str,
    response_time_ms: int,
    extra_data: str = "",
) -> dict[str, object]:
    """A signed IPN body (JSON types as MoMo sends them); the redirect carries the same fields."""
    body: dict[str, object] = {
        "partnerCode": partner_code,
        "orderId": order_id,
        "requestId": request_id,
        "amount": amount,
        "orderInfo": order_info,
        "orderType": ORDER_TYPE,
        "transId": trans_id,
        "resultCode": result_code,
        "message": message,
        "payType": pay_type,
        "responseTime": response_time_ms,
        "extraData": extra_data,
    }
    return signed(RESULT_FIELDS, body, access_key=access_key, secret=secret)


def query_request(
    *, partner_code: str, access_key: str, secret: str, request_id: str, order_id: str, lang: str = "vi"
) -> dict[str, object]:
    """The JSON body of ``POST /v2/gateway/api/query``, signed."""
    body: dict[str, object] = {"partnerCode": partner_code, "requestId": request_id, "orderId": order_id, "lang": lang}
    return signed(QUERY_FIELDS, body, access_key=access_key, secret=secret)


def refund_request(
    *,
    partner_code: str,
    access_key: str,
    secret: str,
    request_id: str,
    order_id: str,
    amount: int,
    trans_id: int,
    description: str = "",
    lang: str = "vi",
) -> dict[str, object]:
    """The JSON body of ``POST /v2/gateway/api/refund``; ``order_id`` is a **new** id for the refund."""
    if isinstance(amount, bool) or amount < MIN_AMOUNT:
        raise ValueError(f"MoMo refunds at least {MIN_AMOUNT} VND")
    body: dict[str, object] = {
        "partnerCode": partner_code,
        "orderId": order_id,
        "requestId": request_id,
        "amount": amount,
        "transId": trans_id,
        "lang": lang,
        "description": description,
    }
    return signed(REFUND_FIELDS, body, access_key=access_key, secret=secret)


def verify_optional(fields: Sequence[str], body: Mapping[str, object], *, access_key: str, secret: str) -> bool | None:
    """``None`` for an answer that carries no signature (MoMo's query/refund pages list none),
    otherwise whether it verifies."""
    if not _text(body.get(SIGNATURE_FIELD)):
        return None
    return verify(fields, body, access_key=access_key, secret=secret)
