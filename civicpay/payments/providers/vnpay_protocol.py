"""VNPay 2.1.0 wire protocol: pay URL, return/IPN checking, IPN replies, querydr and refund bodies.

Pure functions over strings and mappings — no HTTP, no models — so that the adapter, the sandbox and
the tests all share one implementation of the hashing rules, and those rules can be pinned against
published vectors. Sources (checked when writing this module):

- VNPay's public integration guide, https://sandbox.vnpayment.vn/apis/docs/thanh-toan-pay/pay.html, whose
  PHP demo signs ``urlencode``d pairs (its example URL shows ``+`` for spaces and ``%3A``/``%2F``); the
  ``~``/``*`` rules are PHP ``urlencode``'s documented behaviour — the demo source itself was not re-read;
- the querydr/refund API page, https://sandbox.vnpayment.vn/apis/docs/truy-van-hoan-tien/querydr&refund.html;
- lehuygiang28/vnpay (MIT, TypeScript), ``src/services/query.service.ts`` for the ``|``-joined field
  orders of querydr and refund requests and responses, ``src/constants/ipn-result-for-vnpay.constant.ts``
  for the IPN replies, and ``test/__helpers__/test-fixtures.ts`` for the return-URL test vector.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final
from urllib.parse import quote_plus

from civicpay.core.clock import VIETNAM
from civicpay.core.money import check_amount

VERSION: Final = "2.1.0"
CURRENCY: Final = "VND"
LOCALES: Final = frozenset({"vn", "en"})
DATE_FORMAT: Final = "%Y%m%d%H%M%S"
HASH_FIELD: Final = "vnp_SecureHash"
HASH_TYPE_FIELD: Final = "vnp_SecureHashType"
SUCCESS_CODE: Final = "00"
REFUND_FULL: Final = "02"
REFUND_PARTIAL: Final = "03"

_AMOUNT_FACTOR = 100  # VNPay carries amounts as VND × 100 ("khử phần thập phân")
_DIGITS = re.compile(r"\d+")


class InvalidSignature(Exception):
    """The message's ``vnp_SecureHash`` is missing or does not match: it did not come from VNPay."""


class MalformedCallback(Exception):
    """The message is correctly signed but lacks a field or carries a value we cannot read."""


# --- encoding and hashing -------------------------------------------------------------------------


def php_urlencode(s: str) -> str:
    """Encode exactly like PHP's ``urlencode``, which VNPay's server uses to rebuild the signed string.

    ``quote_plus`` already encodes ``*`` and turns spaces into ``+``; PHP also encodes ``~`` (RFC 1738
    rules), and one differing byte would make every signature with a ``~`` in it fail.
    """
    return quote_plus(s, safe="", encoding="utf-8").replace("~", "%7E")


def hash_data(params: Mapping[str, str]) -> str:
    """The string VNPay signs: ``vnp_*`` fields except the hash itself, non-empty, sorted by key,
    each ``urlencode(key)=urlencode(value)``, joined by ``&``. Also the pay URL's query string."""
    fields = sorted(
        (key, value)
        for key, value in params.items()
        if key.startswith("vnp_") and key not in (HASH_FIELD, HASH_TYPE_FIELD) and value != ""
    )
    return "&".join(f"{php_urlencode(key)}={php_urlencode(value)}" for key, value in fields)


def _hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def _same_hex(expected: str, given: object) -> bool:
    """Constant-time comparison of two hex digests; VNPay may send upper- or lower-case hex."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.lower().encode(), given.strip().lower().encode())


def sign(params: Mapping[str, str], secret: str) -> str:
    """HMAC-SHA512 (lower-case hex) of :func:`hash_data` with the merchant's hash secret."""
    return _hmac_sha512(secret, hash_data(params))


def verify(params: Mapping[str, str], secret: str) -> bool:
    """Whether ``params`` (a return query or an IPN) carries a valid ``vnp_SecureHash``."""
    return _same_hex(sign(params, secret), params.get(HASH_FIELD))


# --- dates and text -------------------------------------------------------------------------------


def format_date(dt: datetime) -> str:
    """``yyyyMMddHHmmss`` as a Vietnamese wall clock (GMT+7), which is what VNPay reads.

    Naive datetimes are refused: guessing their zone is how a payment expires seven hours early.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("VNPay dates must be timezone-aware")
    return dt.astimezone(VIETNAM).strftime(DATE_FORMAT)


def parse_date(value: str) -> datetime:
    """Read a VNPay ``yyyyMMddHHmmss`` (GMT+7) into an aware datetime; ``ValueError`` if unreadable."""
    if len(value) != 14 or not _DIGITS.fullmatch(value):
        raise ValueError(f"not a VNPay date: {value!r}")
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=VIETNAM)


def strip_diacritics(text: str) -> str:
    """Vietnamese without tone and vowel marks ("Đăng ký hồ sơ" → "Dang ky ho so").

    VNPay asks for ``vnp_OrderInfo`` without diacritics. ``đ``/``Đ`` are separate letters, not a
    ``d`` plus a combining mark, so Unicode decomposition alone would leave them in place.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _vnp_amount(amount_vnd: int) -> str:
    return str(check_amount(amount_vnd) * _AMOUNT_FACTOR)


# --- pay URL --------------------------------------------------------------------------------------


def build_payment_url(
    *,
    base_url: str,
    tmn_code: str,
    secret: str,
    amount_vnd: int,
    txn_ref: str,
    order_info: str,
    order_type: str = "other",
    locale: str = "vn",
    return_url: str,
    ip_addr: str,
    create_date: datetime,
    expire_date: datetime,
    bank_code: str | None = None,
) -> str:
    """The signed URL that sends the payer to VNPay (``base_url`` ends in ``/paymentv2/vpcpay.html``).

    ``txn_ref`` must be unique per merchant per day; ``bank_code`` skips VNPay's method chooser
    (e.g. ``NCB``, ``VNPAYQR``, ``VNBANK``, ``INTCARD``).
    """
    if locale not in LOCALES:
        raise ValueError(f"vnp_Locale must be one of {sorted(LOCALES)}, not {locale!r}")
    created, expires = format_date(create_date), format_date(expire_date)  # refuses naive datetimes first
    if expire_date <= create_date:
        raise ValueError("vnp_ExpireDate must be after vnp_CreateDate")
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": tmn_code,
        "vnp_Amount": _vnp_amount(amount_vnd),
        "vnp_CurrCode": CURRENCY,
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": strip_diacritics(order_info),
        "vnp_OrderType": order_type,
        "vnp_Locale": locale,
        "vnp_ReturnUrl": return_url,
        "vnp_IpAddr": ip_addr,
        "vnp_CreateDate": created,
        "vnp_ExpireDate": expires,
    }
    # hash_data drops empty values, so an empty required field would silently vanish from the request.
    empty = [name for name, value in params.items() if not value]
    if empty:
        raise ValueError(f"required VNPay fields are empty: {', '.join(empty)}")
    if bank_code:
        params["vnp_BankCode"] = bank_code
    return f"{base_url}?{hash_data(params)}&{HASH_FIELD}={sign(params, secret)}"


# --- return URL and IPN ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VnpayCallback:
    """A verified return query or IPN. Absent optional fields are ``""`` (``pay_date``: ``None``)."""

    txn_ref: str
    amount_vnd: int
    response_code: str
    transaction_status: str
    transaction_no: str
    bank_code: str
    bank_tran_no: str
    card_type: str
    pay_date: datetime | None
    order_info: str
    raw: dict[str, str] = field(repr=False)

    @property
    def is_success(self) -> bool:
        """VNPay's rule: paid only when both the response code and the transaction status are ``00``."""
        return self.response_code == SUCCESS_CODE and self.transaction_status == SUCCESS_CODE


_REQUIRED_CALLBACK_FIELDS = ("vnp_TxnRef", "vnp_Amount", "vnp_ResponseCode", "vnp_TransactionStatus")


def parse_callback(query: Mapping[str, str], secret: str) -> VnpayCallback:
    """Check the signature first, then read the fields; the signature is checked on the raw query.

    Raises :class:`InvalidSignature` (IPN reply ``97``) before looking at anything else, and
    :class:`MalformedCallback` (reply ``99``) for a signed message we cannot read.
    """
    raw = {key: query[key] for key in query}  # not dict(query): a Django QueryDict would give lists
    if not verify(raw, secret):
        raise InvalidSignature("vnp_SecureHash is missing or does not match")
    missing = [name for name in _REQUIRED_CALLBACK_FIELDS if not raw.get(name)]
    if missing:
        raise MalformedCallback(f"missing {', '.join(missing)}")

    vnp_amount = raw["vnp_Amount"]
    if not _DIGITS.fullmatch(vnp_amount):
        raise MalformedCallback(f"vnp_Amount is not a whole number: {vnp_amount!r}")
    amount_vnd, fraction = divmod(int(vnp_amount), _AMOUNT_FACTOR)
    if fraction:
        raise MalformedCallback(f"vnp_Amount {vnp_amount} is not a whole number of VND × 100")

    pay_date: datetime | None = None
    if raw.get("vnp_PayDate"):
        try:
            pay_date = parse_date(raw["vnp_PayDate"])
        except ValueError as exc:
            raise MalformedCallback(str(exc)) from exc

    return VnpayCallback(
        txn_ref=raw["vnp_TxnRef"],
        amount_vnd=amount_vnd,
        response_code=raw["vnp_ResponseCode"],
        transaction_status=raw["vnp_TransactionStatus"],
        transaction_no=raw.get("vnp_TransactionNo", ""),
        bank_code=raw.get("vnp_BankCode", ""),
        bank_tran_no=raw.get("vnp_BankTranNo", ""),
        card_type=raw.get("vnp_CardType", ""),
        pay_date=pay_date,
        order_info=raw.get("vnp_OrderInfo", ""),
        raw=raw,
    )


class IpnReply(StrEnum):
    """``RspCode`` values VNPay expects back from the IPN URL, decided in this order:
    signature (97) → order exists (01) → amount matches (04) → not already confirmed (02) → 00.
    Any other failure on our side is 99."""

    CONFIRM_SUCCESS = "00"
    ORDER_NOT_FOUND = "01"
    ALREADY_CONFIRMED = "02"
    INVALID_AMOUNT = "04"
    INVALID_SIGNATURE = "97"
    UNKNOWN_ERROR = "99"


_IPN_MESSAGES: Final[Mapping[IpnReply, str]] = {
    IpnReply.CONFIRM_SUCCESS: "Confirm Success",
    IpnReply.ORDER_NOT_FOUND: "Order not found",
    IpnReply.ALREADY_CONFIRMED: "Order already confirmed",
    IpnReply.INVALID_AMOUNT: "invalid amount",
    IpnReply.INVALID_SIGNATURE: "Invalid signature",
    IpnReply.UNKNOWN_ERROR: "Unknown error",
}


def ipn_response(code: IpnReply | str) -> dict[str, str]:
    """The JSON body to answer an IPN with, e.g. ``{"RspCode": "00", "Message": "Confirm Success"}``."""
    reply = IpnReply(code)
    return {"RspCode": reply.value, "Message": _IPN_MESSAGES[reply]}


# --- messages for the payer -----------------------------------------------------------------------

RESPONSE_MESSAGES_VI: Final[dict[str, str]] = {
    "00": "Giao dịch thành công.",
    "07": "Đã trừ tiền nhưng giao dịch đang được kiểm tra vì nghi ngờ bất thường. Cơ quan thu sẽ xác nhận lại với bạn.",
    "09": "Thẻ hoặc tài khoản của bạn chưa đăng ký dịch vụ Internet Banking tại ngân hàng.",
    "10": "Bạn đã xác thực thông tin thẻ hoặc tài khoản không đúng quá 3 lần.",
    "11": "Đã hết hạn chờ thanh toán.",
    "12": "Thẻ hoặc tài khoản của bạn đang bị khóa.",
    "13": "Nhập sai mã OTP.",
    "24": "Bạn đã hủy giao dịch.",
    "51": "Tài khoản không đủ số dư để thực hiện giao dịch.",
    "65": "Tài khoản đã vượt quá hạn mức giao dịch trong ngày.",
    "75": "Ngân hàng thanh toán đang bảo trì.",
    "79": "Nhập sai mật khẩu thanh toán quá số lần quy định.",
    "99": "Giao dịch không thành công do lỗi không xác định.",
}
"""Plain-Vietnamese reasons for ``vnp_ResponseCode``, shown on the result page (issue 4, step 3)."""

GENERIC_FAILURE_VI: Final = "Giao dịch không thành công. Bạn có thể thanh toán lại hoặc chọn phương thức khác."


def message_for(code: str) -> str:
    """The payer-facing reason for a response code; a generic one for codes VNPay may add later."""
    return RESPONSE_MESSAGES_VI.get(code, GENERIC_FAILURE_VI)


# --- querydr and refund (merchant_webapi/api/transaction) -----------------------------------------

# Field orders of the ``|``-joined strings, as in lehuygiang28/vnpay src/services/query.service.ts
# and VNPay's querydr&refund API page. Requests sign the values we send; responses are checked below.
_QUERYDR_RESPONSE_FIELDS: Final = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
_REFUND_RESPONSE_FIELDS: Final = _QUERYDR_RESPONSE_FIELDS[:13]  # the same, without the two promotion fields
_RESPONSE_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "querydr": _QUERYDR_RESPONSE_FIELDS,
    "refund": _REFUND_RESPONSE_FIELDS,
}


def _pipe_hash(secret: str, values: list[str]) -> str:
    return _hmac_sha512(secret, "|".join(values))


def querydr_request(
    *,
    request_id: str,
    tmn_code: str,
    secret: str,
    txn_ref: str,
    transaction_date: datetime,
    create_date: datetime,
    ip_addr: str,
    order_info: str,
) -> dict[str, str]:
    """JSON body asking VNPay for a payment's outcome (used by the sweeper for stuck payments).

    ``transaction_date`` is the ``vnp_CreateDate`` of the original payment; ``create_date`` is now;
    ``request_id`` must be unique per day.
    """
    body = {
        "vnp_RequestId": request_id,
        "vnp_Version": VERSION,
        "vnp_Command": "querydr",
        "vnp_TmnCode": tmn_code,
        "vnp_TxnRef": txn_ref,
        "vnp_TransactionDate": format_date(transaction_date),
        "vnp_CreateDate": format_date(create_date),
        "vnp_IpAddr": ip_addr,
        "vnp_OrderInfo": strip_diacritics(order_info),
    }
    # RequestId|Version|Command|TmnCode|TxnRef|TransactionDate|CreateDate|IpAddr|OrderInfo: the dict's order.
    body[HASH_FIELD] = _pipe_hash(secret, list(body.values()))
    return body


def refund_request(
    *,
    request_id: str,
    tmn_code: str,
    secret: str,
    transaction_type: str,
    txn_ref: str,
    amount_vnd: int,
    transaction_no: str,
    transaction_date: datetime,
    create_by: str,
    create_date: datetime,
    ip_addr: str,
    order_info: str,
) -> dict[str, str]:
    """JSON body asking VNPay to refund ``amount_vnd`` of a successful payment.

    ``transaction_type`` is ``"02"`` (full) or ``"03"`` (partial); ``transaction_no`` is VNPay's
    ``vnp_TransactionNo`` from the success; ``create_by`` names the officer who asked for the refund.
    """
    if transaction_type not in (REFUND_FULL, REFUND_PARTIAL):
        raise ValueError(f"vnp_TransactionType must be {REFUND_FULL} or {REFUND_PARTIAL}, not {transaction_type!r}")
    body = {
        "vnp_RequestId": request_id,
        "vnp_Version": VERSION,
        "vnp_Command": "refund",
        "vnp_TmnCode": tmn_code,
        "vnp_TransactionType": transaction_type,
        "vnp_TxnRef": txn_ref,
        "vnp_Amount": _vnp_amount(amount_vnd),
        "vnp_TransactionNo": transaction_no,
        "vnp_TransactionDate": format_date(transaction_date),
        "vnp_CreateBy": create_by,
        "vnp_CreateDate": format_date(create_date),
        "vnp_IpAddr": ip_addr,
        "vnp_OrderInfo": strip_diacritics(order_info),
    }
    # RequestId|Version|Command|TmnCode|TransactionType|TxnRef|Amount|TransactionNo|TransactionDate|
    # CreateBy|CreateDate|IpAddr|OrderInfo: the dict's order.
    body[HASH_FIELD] = _pipe_hash(secret, list(body.values()))
    return body


def _as_text(value: object) -> str:
    """A JSON value as VNPay wrote it into the signed string (numbers as digits, absent as empty)."""
    return "" if value is None else str(value)


def response_hash_data(body: Mapping[str, object]) -> str | None:
    """The ``|``-joined string VNPay signs in a querydr/refund response; ``None`` for another command."""
    fields = _RESPONSE_FIELDS.get(_as_text(body.get("vnp_Command")))
    if fields is None:
        return None
    return "|".join(_as_text(body.get(name)) for name in fields)


def verify_api_response(body: Mapping[str, object], secret: str) -> bool:
    """Whether a querydr/refund response is signed by VNPay. Unsigned answers (some error replies are)
    count as unverified: callers must not change a payment on them. Callers still check that
    ``vnp_TmnCode``/``vnp_TxnRef`` are the ones they asked about."""
    data = response_hash_data(body)
    if data is None:
        return False
    return _same_hex(_hmac_sha512(secret, data), body.get(HASH_FIELD))
