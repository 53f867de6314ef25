"""The VNPay 2.1.0 adapter: the provider interface on top of the pure codec in ``vnpay_protocol``.

Configuration comes from settings (``VNPAY_*``, see docs/payments.md). Pointing at the real VNPay
sandbox or production is a configuration change only: the same URLs, fields and hashes are used
against the built-in sandbox.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from civicpay.core import clock
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.payments.providers.base import (
    Ack,
    FinalProviderError,
    InvalidSignature,
    MalformedMessage,
    MethodChoice,
    Outcome,
    PaymentProvider,
    RefundResult,
    RetryableProviderError,
    StartResult,
)
from civicpay.payments.states import PaymentStatus

if TYPE_CHECKING:
    from civicpay.payments.models import Payment

CODE = "vnpay"
SANDBOX_PAYMENT_PATH = "/sandbox/vnpay/paymentv2/vpcpay.html"
SANDBOX_API_PATH = "/sandbox/vnpay/merchant_webapi/api/transaction"
ORDER_INFO_MAX = 255

_ACK_CODES: Mapping[Ack, vnp.IpnReply] = {
    Ack.OK: vnp.IpnReply.CONFIRM_SUCCESS,
    Ack.ALREADY_CONFIRMED: vnp.IpnReply.ALREADY_CONFIRMED,
    Ack.NOT_FOUND: vnp.IpnReply.ORDER_NOT_FOUND,
    Ack.INVALID_AMOUNT: vnp.IpnReply.INVALID_AMOUNT,
    Ack.INVALID_SIGNATURE: vnp.IpnReply.INVALID_SIGNATURE,
    Ack.ERROR: vnp.IpnReply.UNKNOWN_ERROR,
}

# querydr vnp_TransactionStatus → our view of the payment (None: no final outcome yet, do nothing).
_QUERY_TRANSACTION_STATUS: Mapping[str, PaymentStatus | None] = {
    "00": PaymentStatus.SUCCESS,
    "01": None,  # not completed yet
    "02": PaymentStatus.FAILED,  # error
    "07": PaymentStatus.SUBMITTED,  # money taken, held as suspected fraud: wait for VNPay
}
QUERY_NOT_FOUND = "91"


@dataclass(frozen=True, slots=True)
class VnpayConfig:
    tmn_code: str
    hash_secret: str
    payment_url: str
    api_url: str
    timeout: float
    server_ip: str


def vnpay_config(agency_code: str = "") -> VnpayConfig:
    """The merchant configuration. One merchant for every agency today (``agency_code`` is accepted
    so per-agency merchants can be added without touching callers; docs/payments.md). Empty URLs
    mean the built-in sandbox at ``BASE_URL``, resolved now so tests that move BASE_URL follow."""
    base = settings.BASE_URL.rstrip("/")
    sandbox = settings.SANDBOX_ENABLED
    payment_url = settings.VNPAY_PAYMENT_URL or (f"{base}{SANDBOX_PAYMENT_PATH}" if sandbox else "")
    api_url = settings.VNPAY_API_URL or (f"{base}{SANDBOX_API_PATH}" if sandbox else "")
    if not (settings.VNPAY_TMN_CODE and settings.VNPAY_HASH_SECRET and payment_url and api_url):
        raise FinalProviderError("VNPay is not configured (VNPAY_TMN_CODE, VNPAY_HASH_SECRET, VNPAY_*_URL)")
    return VnpayConfig(
        tmn_code=settings.VNPAY_TMN_CODE,
        hash_secret=settings.VNPAY_HASH_SECRET,
        payment_url=payment_url,
        api_url=api_url,
        timeout=float(settings.VNPAY_HTTP_TIMEOUT_SECONDS),
        server_ip=settings.VNPAY_SERVER_IP,
    )


def _status_from_codes(response_code: str, transaction_status: str) -> PaymentStatus | None:
    """VNPay's rule: success only when both codes are 00 (``VnpayCallback.is_success``)."""
    if response_code == vnp.SUCCESS_CODE:
        return _QUERY_TRANSACTION_STATUS.get(transaction_status, PaymentStatus.FAILED)
    if response_code == "24":
        return PaymentStatus.CANCELLED
    if response_code == "11":
        return PaymentStatus.EXPIRED
    if response_code == "07":
        return PaymentStatus.SUBMITTED
    return PaymentStatus.FAILED


def _outcome(callback: vnp.VnpayCallback) -> Outcome:
    return Outcome(
        provider=CODE,
        reference=callback.txn_ref,
        amount=callback.amount_vnd,
        status=_status_from_codes(callback.response_code, callback.transaction_status),
        code=callback.response_code,
        message=vnp.message_for(callback.response_code),
        transaction_no=callback.transaction_no,
        bank_code=callback.bank_code,
        card_type=callback.card_type,
        paid_at=callback.pay_date,
        raw=callback.raw,
    )


class VnpayProvider(PaymentProvider):
    code = CODE
    name = "VNPay"
    methods = (
        MethodChoice("", str(_("Chọn phương thức tại VNPay"))),
        MethodChoice("VNBANK", str(_("Thẻ ATM / tài khoản ngân hàng nội địa"))),
        MethodChoice("INTCARD", str(_("Thẻ thanh toán quốc tế"))),
        MethodChoice("VNPAYQR", str(_("Ứng dụng hỗ trợ VNPAY-QR"))),
    )
    # VNPay accepts 5 000 VND up to (not including) 1 billion VND per transaction.
    min_amount = 5_000
    max_amount = 999_999_999

    def start(self, payment: Payment, *, return_url: str, notify_url: str, client_ip: str, locale: str) -> StartResult:
        """The signed pay URL. ``notify_url`` is not sent: VNPay registers the IPN URL per merchant
        (the sandbox derives it from the request's origin, see the issue-4 contract)."""
        if payment.started_at is None:
            raise FinalProviderError("the payment must be started before building its URL")
        config = vnpay_config(payment.agency_code)
        order_info = f"Thanh toan {payment.reference} {payment.description}"[:ORDER_INFO_MAX]
        try:
            url = vnp.build_payment_url(
                base_url=config.payment_url,
                tmn_code=config.tmn_code,
                secret=config.hash_secret,
                amount_vnd=payment.amount,
                txn_ref=payment.reference,
                order_info=order_info,
                locale="en" if locale.startswith("en") else "vn",
                return_url=return_url,
                ip_addr=client_ip or "127.0.0.1",
                create_date=payment.started_at,
                expire_date=payment.expires_at,
                bank_code=payment.method or None,
            )
        except ValueError as exc:
            raise FinalProviderError(str(exc)) from exc
        return StartResult(redirect_url=url)

    def notification_params(self, request: HttpRequest) -> dict[str, str]:
        return {key: request.GET[key] for key in request.GET}

    def _parse(self, query: Mapping[str, str]) -> Outcome:
        config = vnpay_config()
        try:
            return _outcome(vnp.parse_callback(query, config.hash_secret))
        except vnp.InvalidSignature as exc:
            raise InvalidSignature(str(exc)) from exc
        except vnp.MalformedCallback as exc:
            raise MalformedMessage(str(exc)) from exc

    def parse_return(self, query: Mapping[str, str]) -> Outcome:
        return self._parse(query)

    def parse_notification(self, request: HttpRequest) -> Outcome:
        return self._parse(self.notification_params(request))

    def acknowledge(self, ack: Ack) -> HttpResponse:
        return JsonResponse(vnp.ipn_response(_ACK_CODES[ack]))

    def reply_code(self, ack: Ack) -> str:
        return _ACK_CODES[ack].value

    def return_reference(self, query: Mapping[str, str]) -> str:
        return str(query.get("vnp_TxnRef", ""))

    def _post(self, config: VnpayConfig, body: dict[str, str]) -> dict[str, Any]:
        try:
            response = httpx.post(config.api_url, json=body, timeout=config.timeout)
        except httpx.HTTPError as exc:  # timeouts, refused connections, protocol errors
            raise RetryableProviderError(f"VNPay API unreachable: {exc!r}") from exc
        if response.status_code >= 500:
            raise RetryableProviderError(f"VNPay API answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise FinalProviderError(f"VNPay API refused the request: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise RetryableProviderError("VNPay API answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise RetryableProviderError("VNPay API answered a JSON value that is not an object")
        if not vnp.verify_api_response(answer, config.hash_secret):
            # Unsigned error replies exist (e.g. a bad checksum on our side): never act on them.
            raise RetryableProviderError(
                f"VNPay API answer is not signed (code {answer.get('vnp_ResponseCode')!r}: {answer.get('vnp_Message')!r})"
            )
        if str(answer.get("vnp_TmnCode")) != config.tmn_code or str(answer.get("vnp_TxnRef")) != body["vnp_TxnRef"]:
            raise FinalProviderError("VNPay API answered about another merchant or transaction")
        return answer

    def query(self, payment: Payment) -> Outcome:
        """``querydr``: what VNPay knows about the payment (used by the sweeper)."""
        config = vnpay_config(payment.agency_code)
        body = vnp.querydr_request(
            request_id=secrets.token_hex(16),
            tmn_code=config.tmn_code,
            secret=config.hash_secret,
            txn_ref=payment.reference,
            transaction_date=payment.started_at or payment.created_at,
            create_date=clock.now(),
            ip_addr=config.server_ip,
            order_info=f"Truy van giao dich {payment.reference}",
        )
        answer = self._post(config, body)
        code = str(answer.get("vnp_ResponseCode", ""))
        if code == QUERY_NOT_FOUND:
            return Outcome(
                provider=CODE,
                reference=payment.reference,
                amount=payment.amount,
                status=None,
                code=code,
                not_found=True,
                raw=answer,
            )
        if code != vnp.SUCCESS_CODE:
            raise RetryableProviderError(f"VNPay querydr answered {code}: {answer.get('vnp_Message')!r}")
        vnp_amount = str(answer.get("vnp_Amount", ""))
        if not vnp_amount.isdigit() or int(vnp_amount) % 100:
            raise FinalProviderError(f"VNPay querydr answered an unreadable amount {vnp_amount!r}")
        pay_date = None
        if answer.get("vnp_PayDate"):
            try:
                pay_date = vnp.parse_date(str(answer["vnp_PayDate"]))
            except ValueError as exc:
                raise FinalProviderError(str(exc)) from exc
        transaction_status = str(answer.get("vnp_TransactionStatus", ""))
        return Outcome(
            provider=CODE,
            reference=payment.reference,
            amount=int(vnp_amount) // 100,
            status=_QUERY_TRANSACTION_STATUS.get(transaction_status),
            code=transaction_status,
            message=vnp.message_for(transaction_status),
            transaction_no=str(answer.get("vnp_TransactionNo", "")),
            bank_code=str(answer.get("vnp_BankCode", "")),
            paid_at=pay_date,
            raw=answer,
        )

    def refund(self, payment: Payment, *, amount: int, reason: str, by: str) -> RefundResult:
        """Ask VNPay to refund ``amount`` of a successful payment (full when it is the whole amount)."""
        config = vnpay_config(payment.agency_code)
        if not payment.provider_transaction_no:
            raise FinalProviderError("a refund needs VNPay's transaction number of the success")
        body = vnp.refund_request(
            request_id=secrets.token_hex(16),
            tmn_code=config.tmn_code,
            secret=config.hash_secret,
            transaction_type=vnp.REFUND_FULL if amount == payment.amount else vnp.REFUND_PARTIAL,
            txn_ref=payment.reference,
            amount_vnd=amount,
            transaction_no=payment.provider_transaction_no,
            transaction_date=payment.started_at or payment.created_at,
            create_by=by,
            create_date=clock.now(),
            ip_addr=config.server_ip,
            order_info=reason,
        )
        answer = self._post(config, body)
        code = str(answer.get("vnp_ResponseCode", ""))
        return RefundResult(
            accepted=code == vnp.SUCCESS_CODE,
            code=code,
            message=str(answer.get("vnp_Message", "")),
            transaction_no=str(answer.get("vnp_TransactionNo", "")),
            raw=answer,
        )
