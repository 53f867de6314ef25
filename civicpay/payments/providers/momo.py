"""The MoMo v2 ``captureWallet`` adapter: the provider interface on top of ``momo_protocol``.

Configuration comes from settings (``MOMO_*``, docs/protocols/momo.md). ``MOMO_ENDPOINT`` is MoMo's
base URL; empty means the built-in sandbox at ``BASE_URL/sandbox/momo``, which serves MoMo's own
paths, so going live is a change of host and credentials only.

How MoMo differs from VNPay, and what we do about it:

- the payer's redirect is not a signed URL we build: we POST a signed create request and send the
  payer to the ``payUrl`` MoMo answers with (an outbound call inside ``payment_start``);
- the IPN is a POST with a JSON body, sent to the ``ipnUrl`` of each create request; MoMo expects
  **HTTP 204** (no body) within 15 seconds, and retries when it does not get a 2xx;
- the outcome is one integer ``resultCode`` (see :data:`_STATUS_BY_CODE`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from civicpay.payments.providers import momo_protocol as momo
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

CODE = "momo"
SANDBOX_PATH = "/sandbox/momo"
ORDER_INFO_MAX = 255
AMOUNT_OUT_OF_RANGE = _("Số tiền thanh toán qua MoMo phải từ 1.000 đến 50.000.000 đồng")

# resultCode → our status. 0 is a captured payment. 9000 is "authorised": the payer confirmed and
# MoMo holds the money for a capture, which only happens when the create request asked for
# autoCapture=false; we never do, so a 9000 means MoMo has the payer's confirmed money and we treat
# it as success (docs/protocols/momo.md). 1000 (created, waiting for the payer) is no outcome yet;
# 7000/7002 (processing) mean MoMo has the payment without a final result: ``submitted``.
_STATUS_BY_CODE: Mapping[int, PaymentStatus | None] = {
    momo.SUCCESS: PaymentStatus.SUCCESS,
    momo.AUTHORISED: PaymentStatus.SUCCESS,
    momo.INITIATED: None,
    momo.PROCESSING: PaymentStatus.SUBMITTED,
    momo.PROCESSING_BY_PROVIDER: PaymentStatus.SUBMITTED,
    momo.CANCELLED: PaymentStatus.CANCELLED,
    momo.USER_DECLINED: PaymentStatus.CANCELLED,
    momo.CANCELLED_BY_MERCHANT: PaymentStatus.CANCELLED,
    momo.EXPIRED: PaymentStatus.EXPIRED,
}
# Answers of the query API that are about the request, not the payment: ask again later.
_QUERY_REQUEST_ERRORS = frozenset({10, 11, 12, 13, 20, 21, 22, 40, 41, 43, 98, 99})

# MoMo reads only the HTTP status of our IPN reply: 204 = received, stop sending.
# - OK / already confirmed → 204: the outcome is stored (or was already), MoMo may stop.
# - invalid signature → 401: not from MoMo (or our secret is wrong). Stored as rejected; if it was
#   MoMo's, its retries come back after the secret is fixed.
# - order not found → 404, amount differs → 409: stored as rejected for finance; a retry cannot
#   change the answer, but costs nothing and keeps the problem visible in MoMo's partner portal.
# - error on our side → 503: nothing was applied, MoMo must retry (the sweeper also queries).
_ACK_STATUS: Mapping[Ack, int] = {
    Ack.OK: 204,
    Ack.ALREADY_CONFIRMED: 204,
    Ack.INVALID_SIGNATURE: 401,
    Ack.NOT_FOUND: 404,
    Ack.INVALID_AMOUNT: 409,
    Ack.ERROR: 503,
}


@dataclass(frozen=True, slots=True)
class MomoConfig:
    partner_code: str
    access_key: str
    secret_key: str
    endpoint: str
    timeout: float

    def url(self, path: str) -> str:
        return f"{self.endpoint}{path}"


def momo_config(agency_code: str = "") -> MomoConfig:
    """The merchant configuration (one merchant for every agency today; ``agency_code`` keeps the
    door open for per-agency merchants exactly as ``vnpay_config`` does)."""
    base = settings.BASE_URL.rstrip("/")
    endpoint = settings.MOMO_ENDPOINT or (f"{base}{SANDBOX_PATH}" if settings.SANDBOX_ENABLED else "")
    if not (settings.MOMO_PARTNER_CODE and settings.MOMO_ACCESS_KEY and settings.MOMO_SECRET_KEY and endpoint):
        raise FinalProviderError(
            "MoMo is not configured (MOMO_PARTNER_CODE, MOMO_ACCESS_KEY, MOMO_SECRET_KEY, MOMO_ENDPOINT)"
        )
    return MomoConfig(
        partner_code=settings.MOMO_PARTNER_CODE,
        access_key=settings.MOMO_ACCESS_KEY,
        secret_key=settings.MOMO_SECRET_KEY,
        endpoint=endpoint.rstrip("/"),
        timeout=float(settings.MOMO_HTTP_TIMEOUT_SECONDS),
    )


def status_for(result_code: int) -> PaymentStatus | None:
    return _STATUS_BY_CODE.get(result_code, PaymentStatus.FAILED)


def _text_params(data: Mapping[str, Any]) -> dict[str, str]:
    """JSON values as the text MoMo signs (numbers as digits, ``null`` as empty)."""
    return {str(key): "" if value is None else str(value) for key, value in data.items()}


class MomoProvider(PaymentProvider):
    code = CODE
    name = "MoMo"
    methods = (MethodChoice("", str(_("Ví điện tử MoMo (quét mã QR hoặc mở ứng dụng MoMo)"))),)
    min_amount = momo.MIN_AMOUNT
    max_amount = momo.MAX_AMOUNT

    # --- start ------------------------------------------------------------------------------------

    def start(self, payment: Payment, *, return_url: str, notify_url: str, client_ip: str, locale: str) -> StartResult:
        """Create the payment at MoMo and return its ``payUrl``. The amount is checked first: an
        amount MoMo would refuse never leaves our server."""
        if not momo.MIN_AMOUNT <= payment.amount <= momo.MAX_AMOUNT:
            raise FinalProviderError(str(AMOUNT_OUT_OF_RANGE))
        config = momo_config(payment.agency_code)
        body = momo.create_request(
            partner_code=config.partner_code,
            access_key=config.access_key,
            secret=config.secret_key,
            request_id=f"{payment.reference}-{secrets.token_hex(6)}",
            amount=payment.amount,
            order_id=payment.reference,
            order_info=f"Thanh toán {payment.reference} {payment.description}".strip()[:ORDER_INFO_MAX],
            redirect_url=return_url,
            ipn_url=notify_url,
            lang="en" if locale.startswith("en") else "vi",
        )
        answer = self._post(config, momo.CREATE_PATH, body)
        try:
            created = momo.parse_create_response(answer)
        except momo.MalformedMessage as exc:
            raise RetryableProviderError(f"MoMo create answer unreadable: {exc}") from exc
        if not created.is_success:
            raise FinalProviderError(momo.message_for(created.result_code))
        if not momo.verify_create_response(answer, access_key=config.access_key, secret=config.secret_key):
            raise RetryableProviderError("MoMo create answer is not signed with our secret")
        if created.order_id != payment.reference or created.amount not in (None, payment.amount):
            raise FinalProviderError("MoMo answered about another order or amount")
        if not created.pay_url.startswith(("https://", "http://")):
            raise RetryableProviderError("MoMo create answer has no payUrl")
        return StartResult(redirect_url=created.pay_url)

    # --- notifications and returns ----------------------------------------------------------------

    def notification_params(self, request: HttpRequest) -> dict[str, str]:
        """The IPN's JSON object as text values (anything that is not a JSON object reads as ``{}``
        and then fails the signature check); for the browser's GET redirect, its query string."""
        if request.method == "GET":
            return {key: request.GET[key] for key in request.GET}
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return _text_params(data) if isinstance(data, dict) else {}

    def _parse(self, params: Mapping[str, str]) -> Outcome:
        config = momo_config()
        try:
            result = momo.parse_result(params, access_key=config.access_key, secret=config.secret_key)
        except momo.InvalidSignature as exc:
            raise InvalidSignature(str(exc)) from exc
        except momo.MalformedMessage as exc:
            raise MalformedMessage(str(exc)) from exc
        if result.partner_code != config.partner_code:
            raise MalformedMessage(f"partnerCode {result.partner_code!r} is not ours")
        return Outcome(
            provider=CODE,
            reference=result.order_id,
            amount=result.amount,
            status=status_for(result.result_code),
            code=str(result.result_code),
            message=momo.message_for(result.result_code),
            transaction_no=result.trans_id,
            bank_code=result.pay_type,
            raw=result.raw,
        )

    def parse_notification(self, request: HttpRequest) -> Outcome:
        return self._parse(self.notification_params(request))

    def parse_return(self, query: Mapping[str, str]) -> Outcome:
        return self._parse({key: query[key] for key in query})

    def return_reference(self, query: Mapping[str, str]) -> str:
        return str(query.get("orderId", ""))

    def acknowledge(self, ack: Ack) -> HttpResponse:
        return HttpResponse(status=_ACK_STATUS[ack])

    def reply_code(self, ack: Ack) -> str:
        return str(_ACK_STATUS[ack])

    # --- API calls --------------------------------------------------------------------------------

    def _post(self, config: MomoConfig, path: str, body: Mapping[str, object]) -> dict[str, Any]:
        """POST JSON to MoMo; 5xx, timeouts and unreadable answers are retryable. MoMo answers
        refusals (bad format, duplicate ids …) with HTTP 400 and a JSON ``resultCode``: those are
        returned like any answer so the caller can read the code."""
        try:
            response = httpx.post(config.url(path), json=body, timeout=config.timeout)
        except httpx.HTTPError as exc:  # timeouts, refused connections, protocol errors
            raise RetryableProviderError(f"MoMo API unreachable: {exc!r}") from exc
        if response.status_code >= 500:
            raise RetryableProviderError(f"MoMo API answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            if response.status_code >= 400:
                raise FinalProviderError(f"MoMo API refused the request: HTTP {response.status_code}") from exc
            raise RetryableProviderError("MoMo API answered something that is not JSON") from exc
        if not isinstance(answer, dict) or "resultCode" not in answer:
            raise RetryableProviderError(f"MoMo API answered HTTP {response.status_code} without a resultCode")
        return answer

    def _check_signed(self, config: MomoConfig, fields: tuple[str, ...], answer: Mapping[str, object]) -> None:
        """A signed answer must verify; MoMo's pages list no signature on query/refund answers, so an
        unsigned one is read as is (it came over TLS from the endpoint we called)."""
        if momo.verify_optional(fields, answer, access_key=config.access_key, secret=config.secret_key) is False:
            raise RetryableProviderError("MoMo API answer carries a signature that does not verify")
        if str(answer.get("partnerCode", config.partner_code)) != config.partner_code:
            raise FinalProviderError("MoMo API answered about another merchant")

    def query(self, payment: Payment) -> Outcome:
        """``/v2/gateway/api/query``: what MoMo knows about the payment (used by the sweeper)."""
        config = momo_config(payment.agency_code)
        body = momo.query_request(
            partner_code=config.partner_code,
            access_key=config.access_key,
            secret=config.secret_key,
            request_id=f"{payment.reference}-Q{secrets.token_hex(6)}",
            order_id=payment.reference,
        )
        answer = self._post(config, momo.QUERY_PATH, body)
        self._check_signed(config, momo.QUERY_RESPONSE_FIELDS, answer)
        try:
            code = int(str(answer["resultCode"]))
        except ValueError as exc:
            raise RetryableProviderError(f"MoMo query answered resultCode {answer['resultCode']!r}") from exc
        if code == momo.ORDER_NOT_FOUND:
            return Outcome(
                provider=CODE,
                reference=payment.reference,
                amount=payment.amount,
                status=None,
                code=str(code),
                not_found=True,
                raw=answer,
            )
        if code in _QUERY_REQUEST_ERRORS:
            raise RetryableProviderError(f"MoMo query answered {code}: {answer.get('message')!r}")
        if str(answer.get("orderId")) != payment.reference:
            raise FinalProviderError("MoMo query answered about another order")
        amount = str(answer.get("amount", ""))
        if not amount.isdigit():
            raise FinalProviderError(f"MoMo query answered an unreadable amount {amount!r}")
        trans_id = str(answer.get("transId") or "")
        return Outcome(
            provider=CODE,
            reference=payment.reference,
            amount=int(amount),
            status=status_for(code),
            code=str(code),
            message=momo.message_for(code),
            transaction_no="" if trans_id == "0" else trans_id,
            bank_code=str(answer.get("payType") or ""),
            raw=answer,
        )

    def refund(self, payment: Payment, *, amount: int, reason: str, by: str) -> RefundResult:
        """``/v2/gateway/api/refund`` for ``amount`` of a successful payment (MoMo's ``transId``).
        Each refund gets its own new ``orderId``, as MoMo requires."""
        config = momo_config(payment.agency_code)
        if not payment.provider_transaction_no.isdigit():
            raise FinalProviderError("a refund needs MoMo's transId of the success")
        try:
            body = momo.refund_request(
                partner_code=config.partner_code,
                access_key=config.access_key,
                secret=config.secret_key,
                request_id=f"{payment.reference}-R{secrets.token_hex(6)}",
                order_id=f"{payment.reference}-R{secrets.token_hex(4)}",
                amount=amount,
                trans_id=int(payment.provider_transaction_no),
                description=reason[:255],
            )
        except ValueError as exc:
            raise FinalProviderError(str(exc)) from exc
        answer = self._post(config, momo.REFUND_PATH, body)
        self._check_signed(config, momo.REFUND_RESPONSE_FIELDS, answer)
        code = str(answer.get("resultCode", ""))
        return RefundResult(
            accepted=code == str(momo.SUCCESS),
            code=code,
            message=momo.message_for(code),
            transaction_no=str(answer.get("transId") or ""),
            raw=answer,
        )
