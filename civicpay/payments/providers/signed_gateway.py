"""A reusable adapter for gateways that speak the signed gateway protocol (docs/protocols/signed-gateway.md).

ViettelPay, VietinBank and the national payment platform publish no integration spec we can build
against, so they share one documented protocol; each is a thin subclass of
:class:`SignedGatewayProvider` that only sets its code, name, methods and settings prefix::

    class ViettelPayProvider(SignedGatewayProvider):
        code = "viettelpay"
        name = "ViettelPay"
        settings_prefix = "VIETTELPAY"
        methods = (...)

Configuration comes from settings ``<PREFIX>_MERCHANT_ID``, ``<PREFIX>_SECRET``,
``<PREFIX>_GATEWAY_URL`` (empty: the built-in sandbox at ``BASE_URL`` + ``/sandbox/<code>``) and
``<PREFIX>_HTTP_TIMEOUT_SECONDS``. Replay protection (fresh timestamp, nonce seen once) is applied
where notifications are handled, ``civicpay.payments.signed_callbacks``; this module only checks
signatures and reads messages, so it stays free of database writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers.base import (
    Ack,
    FinalProviderError,
    InvalidSignature,
    MalformedMessage,
    Outcome,
    PaymentProvider,
    RefundResult,
    RetryableProviderError,
    StartResult,
)
from civicpay.payments.states import PaymentStatus

if TYPE_CHECKING:
    from civicpay.payments.models import Payment

CURRENCY: Final = "VND"
ORDER_INFO_MAX: Final = 255

# Merchant reply codes of a notification (HTTP 200, JSON {"code", "message"}).
REPLY_OK: Final = "00"
REPLY_NOT_FOUND: Final = "01"
REPLY_ALREADY_CONFIRMED: Final = "02"
REPLY_INVALID_AMOUNT: Final = "04"
REPLY_INVALID_SIGNATURE: Final = "97"
REPLY_STALE_OR_REPLAYED: Final = "98"
REPLY_ERROR: Final = "99"

REPLY_MESSAGES: Final[Mapping[str, str]] = {
    REPLY_OK: "Confirm Success",
    REPLY_NOT_FOUND: "Order not found",
    REPLY_ALREADY_CONFIRMED: "Order already confirmed",
    REPLY_INVALID_AMOUNT: "Invalid amount",
    REPLY_INVALID_SIGNATURE: "Invalid signature",
    REPLY_STALE_OR_REPLAYED: "Stale or replayed message",
    REPLY_ERROR: "Unknown error",
}

_ACK_CODES: Final[Mapping[Ack, str]] = {
    Ack.OK: REPLY_OK,
    Ack.ALREADY_CONFIRMED: REPLY_ALREADY_CONFIRMED,
    Ack.NOT_FOUND: REPLY_NOT_FOUND,
    Ack.INVALID_AMOUNT: REPLY_INVALID_AMOUNT,
    Ack.INVALID_SIGNATURE: REPLY_INVALID_SIGNATURE,
    Ack.ERROR: REPLY_ERROR,
}

# The notification's "status" → our view of the payment (None: no final outcome yet).
STATUS_MAP: Final[Mapping[str, PaymentStatus | None]] = {
    "success": PaymentStatus.SUCCESS,
    "failed": PaymentStatus.FAILED,
    "cancelled": PaymentStatus.CANCELLED,
    "pending": None,
}

# Gateway result codes (``result_code``) and the Vietnamese message the payer reads for each.
RESULT_MESSAGES: Final[Mapping[str, str]] = {
    "00": "Giao dịch thành công",
    "07": "Giao dịch đang chờ xử lý",
    "11": "Đã hết thời gian chờ thanh toán",
    "13": "Nhập sai mã OTP quá số lần quy định",
    "24": "Khách hàng hủy giao dịch",
    "51": "Tài khoản không đủ số dư để thực hiện giao dịch",
    "65": "Tài khoản đã vượt quá hạn mức giao dịch trong ngày",
    "75": "Ngân hàng thanh toán đang bảo trì",
    "79": "Nhập sai mật khẩu (mã PIN) quá số lần quy định",
    "99": "Lỗi không xác định",
}

# Query/refund API answer codes (``code`` of the signed JSON answer).
API_OK: Final = "00"
API_NOT_FOUND: Final = "01"


@dataclass(frozen=True, slots=True)
class SignedGatewayConfig:
    merchant_id: str
    secret: str
    gateway_url: str
    timeout: float

    @property
    def pay_url(self) -> str:
        return f"{self.gateway_url}/pay"

    @property
    def query_url(self) -> str:
        return f"{self.gateway_url}/api/query"

    @property
    def refund_url(self) -> str:
        return f"{self.gateway_url}/api/refund"


def result_message(code: str, fallback: str = "") -> str:
    """The Vietnamese message for a gateway ``result_code`` (the gateway's own text if we have none)."""
    return RESULT_MESSAGES.get(code, fallback or RESULT_MESSAGES["99"])


def _parse_amount(value: object) -> int:
    text = str(value or "")
    if not text.isascii() or not text.isdigit():
        raise MalformedMessage(f"amount is not a whole number of VND: {value!r}")
    return int(text)


def _parse_paid_at(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise MalformedMessage(f"paid_at is not ISO 8601: {value!r}") from exc
    if parsed.tzinfo is None:
        raise MalformedMessage(f"paid_at has no UTC offset: {value!r}")
    return parsed


class SignedGatewayProvider(PaymentProvider):
    """The provider interface for the signed gateway protocol; subclasses set the class attributes.

    ``settings_prefix`` names the settings (``VIETTELPAY`` → ``VIETTELPAY_MERCHANT_ID`` …);
    ``sandbox_path`` is where the built-in sandbox serves this gateway (``/sandbox/<code>`` by
    default) and is used only when ``<PREFIX>_GATEWAY_URL`` is empty and the sandbox is enabled.
    ``payer_notice`` is a sentence the payment page may show under the provider's name.
    """

    settings_prefix: ClassVar[str]
    sandbox_path: ClassVar[str] = ""
    min_amount = 1_000
    max_amount = 999_999_999

    # --- configuration -------------------------------------------------------------------------

    def config(self) -> SignedGatewayConfig:
        """The merchant configuration from settings, resolved per call so a moved BASE_URL follows."""
        prefix = self.settings_prefix
        merchant_id = str(getattr(settings, f"{prefix}_MERCHANT_ID", ""))
        secret = str(getattr(settings, f"{prefix}_SECRET", ""))
        gateway_url = str(getattr(settings, f"{prefix}_GATEWAY_URL", ""))
        if not gateway_url and settings.SANDBOX_ENABLED:
            gateway_url = settings.BASE_URL.rstrip("/") + (self.sandbox_path or f"/sandbox/{self.code}")
        if not (merchant_id and secret and gateway_url):
            raise FinalProviderError(
                f"{self.name} is not configured ({prefix}_MERCHANT_ID, {prefix}_SECRET, {prefix}_GATEWAY_URL)"
            )
        timeout = float(getattr(settings, f"{prefix}_HTTP_TIMEOUT_SECONDS", 10.0))
        return SignedGatewayConfig(
            merchant_id=merchant_id, secret=secret, gateway_url=gateway_url.rstrip("/"), timeout=timeout
        )

    # --- start ---------------------------------------------------------------------------------

    def pay_params(self, payment: Payment, *, return_url: str, notify_url: str, locale: str) -> dict[str, str]:
        """The fields of the payment redirect (before timestamp, nonce and signature are added).

        ``method`` is the option the payer chose on our page (one of ``methods``); banks and cards are
        chosen on the gateway's pages, so ``bank_code`` is left out (subclasses may add it).
        """
        config = self.config()
        order_info = f"Thanh toan {payment.reference} {payment.description}"[:ORDER_INFO_MAX]
        return {
            "merchant_id": config.merchant_id,
            "order_id": payment.reference,
            "amount": str(payment.amount),
            "currency": CURRENCY,
            "order_info": order_info,
            "method": payment.method,
            "return_url": return_url,
            "notify_url": notify_url,
            "locale": "en" if locale.startswith("en") else "vi",
        }

    def start(self, payment: Payment, *, return_url: str, notify_url: str, client_ip: str, locale: str) -> StartResult:
        """The signed redirect to ``<gateway>/pay``; nothing is sent to the gateway before the payer."""
        if not self.min_amount <= payment.amount <= (self.max_amount or payment.amount):
            raise FinalProviderError(f"amount {payment.amount} outside {self.name}'s limits")
        config = self.config()
        params = self.pay_params(payment, return_url=return_url, notify_url=notify_url, locale=locale)
        return StartResult(redirect_url=sp.build_redirect(config.pay_url, params, config.secret))

    # --- messages from the gateway -------------------------------------------------------------

    def notification_params(self, request: HttpRequest) -> dict[str, str]:
        """A notification is a POSTed JSON object; a return is a GET query. Both as text fields.

        A body that is not a JSON object is kept under ``_body`` so it is still stored (and then
        rejected as unsigned).
        """
        if request.method == "POST":
            try:
                data: object = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                data = None
            if not isinstance(data, dict):
                return {"_body": request.body[:2000].decode("utf-8", "replace")}
            return {str(key): "" if value is None else str(value) for key, value in data.items()}
        return {key: request.GET[key] for key in request.GET}

    def verify_signed(self, params: Mapping[str, str]) -> None:
        """Raise ``InvalidSignature`` unless the message is signed with our secret, for our merchant."""
        config = self.config()
        if not sp.verify(params, config.secret):
            raise InvalidSignature(f"{self.code}: signature missing or does not match")
        if params.get("merchant_id") != config.merchant_id:
            raise InvalidSignature(f"{self.code}: message for merchant {params.get('merchant_id')!r}")

    def outcome_from(self, params: Mapping[str, object]) -> Outcome:
        """Read a verified notification/return/query answer; ``MalformedMessage`` when unreadable."""
        order_id = str(params.get("order_id") or "")
        if not order_id:
            raise MalformedMessage("order_id missing")
        status_text = str(params.get("status") or "")
        if status_text not in STATUS_MAP:
            raise MalformedMessage(f"unknown status {status_text!r}")
        result_code = str(params.get("result_code") or "")
        return Outcome(
            provider=self.code,
            reference=order_id,
            amount=_parse_amount(params.get("amount")),
            status=STATUS_MAP[status_text],
            code=result_code,
            message=result_message(result_code, str(params.get("message") or "")),
            transaction_no=str(params.get("transaction_id") or "")[:64],
            bank_code=str(params.get("bank_code") or "")[:20],
            card_type=str(params.get("method") or "")[:20],
            card_masked=str(params.get("card_masked") or "")[:32],
            paid_at=_parse_paid_at(params.get("paid_at")),
            raw=dict(params),
        )

    def parse_return(self, query: Mapping[str, str]) -> Outcome:
        """Signature checked, freshness not: a payer may come back late, and a return is never applied."""
        self.verify_signed(query)
        return self.outcome_from(query)

    def parse_notification(self, request: HttpRequest) -> Outcome:
        params = self.notification_params(request)
        self.verify_signed(params)
        return self.outcome_from(params)

    def acknowledge(self, ack: Ack) -> HttpResponse:
        return self.reply(_ACK_CODES[ack])

    def reply(self, code: str) -> JsonResponse:
        """The merchant's answer to a notification: HTTP 200, ``{"code", "message"}``."""
        return JsonResponse({"code": code, "message": REPLY_MESSAGES.get(code, REPLY_MESSAGES[REPLY_ERROR])})

    def reply_code(self, ack: Ack) -> str:
        return _ACK_CODES[ack]

    def return_reference(self, query: Mapping[str, str]) -> str:
        return str(query.get("order_id", ""))

    # --- calls to the gateway ------------------------------------------------------------------

    def _post(self, url: str, body: Mapping[str, object], *, order_id: str) -> dict[str, str]:
        """POST a signed JSON request; return the verified, fresh answer for the same merchant and order."""
        config = self.config()
        try:
            response = httpx.post(url, json=sp.signed(body, config.secret), timeout=config.timeout)
        except httpx.HTTPError as exc:
            raise RetryableProviderError(f"{self.name} API unreachable: {exc!r}") from exc
        if response.status_code >= 500:
            raise RetryableProviderError(f"{self.name} API answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise FinalProviderError(f"{self.name} API refused the request: HTTP {response.status_code}")
        try:
            data: Any = response.json()
        except ValueError as exc:
            raise RetryableProviderError(f"{self.name} API answered something that is not JSON") from exc
        if not isinstance(data, dict):
            raise RetryableProviderError(f"{self.name} API answered a JSON value that is not an object")
        answer = {str(key): "" if value is None else str(value) for key, value in data.items()}
        if not sp.verify(answer, config.secret):
            raise RetryableProviderError(
                f"{self.name} API answer is not signed (code {answer.get('code')!r}: {answer.get('message')!r})"
            )
        try:
            sp.check_fresh(answer)
        except sp.StaleMessage as exc:
            raise RetryableProviderError(f"{self.name} API answer is stale: {exc}") from exc
        if answer.get("merchant_id") != config.merchant_id or answer.get("order_id") != order_id:
            raise FinalProviderError(f"{self.name} API answered about another merchant or order")
        return answer

    def query(self, payment: Payment) -> Outcome:
        """``POST <gateway>/api/query``: the notification object for the order (used by the sweeper)."""
        config = self.config()
        answer = self._post(
            config.query_url,
            {"merchant_id": config.merchant_id, "order_id": payment.reference},
            order_id=payment.reference,
        )
        code = answer.get("code", "")
        if code == API_NOT_FOUND:
            return Outcome(
                provider=self.code,
                reference=payment.reference,
                amount=payment.amount,
                status=None,
                code=code,
                not_found=True,
                raw=answer,
            )
        if code != API_OK:
            raise RetryableProviderError(f"{self.name} query answered {code}: {answer.get('message')!r}")
        try:
            return self.outcome_from(answer)
        except MalformedMessage as exc:
            raise FinalProviderError(str(exc)) from exc

    def refund(self, payment: Payment, *, amount: int, reason: str, by: str) -> RefundResult:
        """``POST <gateway>/api/refund`` for ``amount`` of a successful payment."""
        config = self.config()
        if not payment.provider_transaction_no:
            raise FinalProviderError(f"a refund needs {self.name}'s transaction id of the success")
        answer = self._post(
            config.refund_url,
            {
                "merchant_id": config.merchant_id,
                "order_id": payment.reference,
                "transaction_id": payment.provider_transaction_no,
                "amount": amount,
                "reason": reason[:255] or f"Hoan tien {payment.reference} ({by})",
            },
            order_id=payment.reference,
        )
        code = answer.get("code", "")
        return RefundResult(
            accepted=code == API_OK,
            code=code,
            message=answer.get("message", ""),
            transaction_no=answer.get("refund_id", ""),
            raw=answer,
        )
