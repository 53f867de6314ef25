"""The VietinBank adapter: card payments, automatic debit of a registered organisation's account, and
payment at a branch with printed instructions (seeds 000 and 002; docs/protocols/vietinbank.md).

VietinBank publishes no integration spec we can build against, so it speaks the signed gateway
protocol (``signed_protocol``, docs/protocols/signed-gateway.md) plus four server-to-server calls of
its own, each a signed JSON POST answered with a signed JSON object:

- ``<gateway>/api/registration`` and ``<gateway>/api/registration/cancel``: an organisation's
  registration for automatic debit (the bank later notifies approval or rejection);
- ``<gateway>/api/debit``: debit a registered account for one payment (the outcome is notified);
- ``<gateway>/api/bill``: publish a payment code a teller can take at the counter (notified when paid).

Card details and the OTP are entered on the bank's page only: this module never sees a card number,
the payment keeps the masked number the bank returns in its notification.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from civicpay.core import clock
from civicpay.core.money import format_vnd
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers.base import (
    FinalProviderError,
    MalformedMessage,
    MethodChoice,
    RetryableProviderError,
    StartResult,
)
from civicpay.payments.providers.signed_gateway import ORDER_INFO_MAX, SignedGatewayProvider

if TYPE_CHECKING:
    from civicpay.payments.models import DebitRegistration, Payment

CODE: Final = "vietinbank"
BANK_CODE: Final = "VIETINBANK"
METHOD_CARD: Final = "CARD"
METHOD_BRANCH: Final = "BRANCH"
METHOD_DEBIT: Final = "DEBIT"
API_OK: Final = "00"

# Registration notification statuses (what the teller decided).
REGISTRATION_APPROVED: Final = "approved"
REGISTRATION_REJECTED: Final = "rejected"


PAYER_METHODS: Final = (
    MethodChoice(METHOD_CARD, str(_("Thẻ VietinBank (nhập thẻ và mã OTP tại trang của ngân hàng)"))),
    MethodChoice(METHOD_BRANCH, str(_("Nộp tiền tại quầy giao dịch VietinBank (in Chỉ dẫn thanh toán)"))),
)
DEBIT_METHOD: Final = MethodChoice(METHOD_DEBIT, str(_("Trích nợ tự động tài khoản tổ chức đã đăng ký")))
_debit_allowed: ContextVar[bool] = ContextVar("vietinbank_debit_allowed", default=False)


@contextmanager
def debit_method_allowed() -> Iterator[None]:
    """Within this block the adapter accepts the ``DEBIT`` method (``payment_create`` checks methods)."""
    token = _debit_allowed.set(True)
    try:
        yield
    finally:
        _debit_allowed.reset(token)


@dataclass(frozen=True, slots=True)
class RegistrationNotice:
    """A verified registration notification from the bank."""

    registration_id: str
    status: str  # approved | rejected
    bank_reference: str
    reason: str
    nonce: str
    raw: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class BranchBill:
    """What the printed instructions say: the code to give the teller, how much, to whom, until when."""

    payment_code: str
    amount: int
    beneficiary_account: str
    beneficiary_name: str
    deadline: datetime


def branch_deadline(now: datetime | None = None) -> datetime:
    """Until when a printed payment code can be paid at the counter (``VIETINBANK_BRANCH_DEADLINE_HOURS``)."""
    return (now or clock.now()) + timedelta(hours=int(settings.VIETINBANK_BRANCH_DEADLINE_HOURS))


class VietinbankProvider(SignedGatewayProvider):
    code = CODE
    name = "VietinBank"
    settings_prefix = "VIETINBANK"
    payer_notice = _(
        "Thẻ ATM hoặc thẻ quốc tế do VietinBank phát hành, đã đăng ký dịch vụ thanh toán trực tuyến với ngân hàng."
    )

    @property
    def methods(self) -> tuple[MethodChoice, ...]:  # type: ignore[override]
        """Card and branch for every payer; debit only inside :func:`debit_method_allowed`, i.e. when
        ``civicpay.payments.debit`` creates a payment for an organisation with an active registration.
        So the payer's "choose an intermediary" page never offers a debit nobody could complete."""
        return (*PAYER_METHODS, DEBIT_METHOD) if _debit_allowed.get() else PAYER_METHODS

    # --- start ---------------------------------------------------------------------------------

    def start(self, payment: Payment, *, return_url: str, notify_url: str, client_ip: str, locale: str) -> StartResult:
        """Card: the signed redirect to the bank's page. Branch and debit: a server-to-server call to
        the bank, after which the payment is ``submitted`` (the outcome comes later, notified)."""
        method = (payment.method or "").partition(":")[0]
        if method == METHOD_BRANCH:
            return self._start_branch(payment, notify_url=notify_url)
        if method == METHOD_DEBIT:
            return self._start_debit(payment, notify_url=notify_url)
        return super().start(payment, return_url=return_url, notify_url=notify_url, client_ip=client_ip, locale=locale)

    def pay_params(self, payment: Payment, *, return_url: str, notify_url: str, locale: str) -> dict[str, str]:
        params = super().pay_params(payment, return_url=return_url, notify_url=notify_url, locale=locale)
        params["method"] = "card"  # the gateway's own method name (our payment keeps "CARD")
        return params

    def _order_info(self, payment: Payment) -> str:
        return f"Thanh toan {payment.reference} {payment.description}"[:ORDER_INFO_MAX]

    def _start_branch(self, payment: Payment, *, notify_url: str) -> StartResult:
        from civicpay.payments.debit import payment_mark_submitted

        bill = self.bill_publish(payment, notify_url=notify_url, deadline=branch_deadline())
        payment_mark_submitted(payment=payment, expires_at=bill.deadline, source="vietinbank:bill")
        return StartResult(instructions=branch_instructions_text(bill))

    def _start_debit(self, payment: Payment, *, notify_url: str) -> StartResult:
        from civicpay.payments.debit import payment_mark_submitted
        from civicpay.payments.models import DebitRegistrationStatus, DebitRequest

        debit = DebitRequest.objects.select_related("registration").filter(payment=payment).first()
        if debit is None or debit.registration.status != DebitRegistrationStatus.ACTIVE:
            raise FinalProviderError("a debit needs an active registration (civicpay.payments.debit)")
        registration = debit.registration
        config = self.config()
        answer = self.call(
            "api/debit",
            {
                "merchant_id": config.merchant_id,
                "order_id": payment.reference,
                "registration_id": registration.reference,
                "bank_reference": registration.bank_reference,
                "account_number": registration.account_number,
                "amount": payment.amount,
                "currency": "VND",
                "order_info": self._order_info(payment),
                "notify_url": notify_url,
            },
            match={"order_id": payment.reference},
        )
        if answer.get("code") != API_OK:
            raise FinalProviderError(f"VietinBank refused the debit: {answer.get('code')} {answer.get('message')}")
        payment_mark_submitted(payment=payment, source="vietinbank:debit")
        return StartResult(
            instructions=str(
                _("Đã gửi yêu cầu trích nợ %(amount)s từ tài khoản %(account)s đến VietinBank.")
                % {"amount": format_vnd(payment.amount), "account": registration.account_masked}
            )
        )

    def bill_publish(self, payment: Payment, *, notify_url: str, deadline: datetime) -> BranchBill:
        """``api/bill``: the bank learns the payment code, amount and deadline a teller will look up."""
        config = self.config()
        answer = self.call(
            "api/bill",
            {
                "merchant_id": config.merchant_id,
                "order_id": payment.reference,
                "amount": payment.amount,
                "currency": "VND",
                "order_info": self._order_info(payment),
                "payer_name": payment.payer_name,
                "expires_at": deadline.isoformat(),
                "notify_url": notify_url,
            },
            match={"order_id": payment.reference},
        )
        if answer.get("code") != API_OK:
            raise FinalProviderError(f"VietinBank refused the bill: {answer.get('code')} {answer.get('message')}")
        return BranchBill(
            payment_code=answer.get("payment_code") or payment.reference,
            amount=payment.amount,
            beneficiary_account=str(settings.VIETINBANK_COLLECTION_ACCOUNT),
            beneficiary_name=str(settings.VIETINBANK_COLLECTION_NAME),
            deadline=deadline,
        )

    # --- registrations -------------------------------------------------------------------------

    def registration_send(self, registration: DebitRegistration, *, notify_url: str) -> str:
        """Send a new registration to the bank; returns the bank's reference for it."""
        config = self.config()
        answer = self.call(
            "api/registration",
            {
                "merchant_id": config.merchant_id,
                "registration_id": registration.reference,
                "organisation_name": registration.organisation_name,
                "tax_code": registration.tax_code,
                "address": registration.address,
                "representative_name": registration.representative_name,
                "account_number": registration.account_number,
                "account_holder": registration.account_holder,
                "notify_url": notify_url,
            },
            match={"registration_id": registration.reference},
        )
        if answer.get("code") != API_OK:
            raise FinalProviderError(
                f"VietinBank refused the registration: {answer.get('code')} {answer.get('message')}"
            )
        return answer.get("bank_reference", "")

    def registration_cancel_send(self, registration: DebitRegistration) -> None:
        """Tell the bank the organisation cancelled; an unknown or already closed one is fine too."""
        config = self.config()
        answer = self.call(
            "api/registration/cancel",
            {"merchant_id": config.merchant_id, "registration_id": registration.reference},
            match={"registration_id": registration.reference},
        )
        if answer.get("code") not in (API_OK, "01", "02"):
            raise FinalProviderError(f"VietinBank refused the cancellation: {answer.get('code')}")

    def parse_registration_notification(self, params: Mapping[str, str]) -> RegistrationNotice:
        """Signature and merchant checked (``InvalidSignature``); freshness and nonce are the caller's."""
        self.verify_signed(params)
        registration_id = params.get("registration_id", "")
        status = params.get("status", "")
        if not registration_id or status not in (REGISTRATION_APPROVED, REGISTRATION_REJECTED):
            raise MalformedMessage(f"registration notification without id or with status {status!r}")
        return RegistrationNotice(
            registration_id=registration_id,
            status=status,
            bank_reference=params.get("bank_reference", "")[:40],
            reason=params.get("reason", "")[:500],
            nonce=params.get(sp.NONCE_FIELD, ""),
            raw=dict(params),
        )

    # --- the HTTP call -------------------------------------------------------------------------

    def call(self, path: str, body: Mapping[str, object], *, match: Mapping[str, str]) -> dict[str, str]:
        """POST a signed request to ``<gateway>/<path>``; return the verified, fresh answer that is about
        the same merchant and the same ``match`` fields. Timeouts, 5xx and unsigned answers are
        retryable; a 4xx or an answer about something else is final."""
        config = self.config()
        url = f"{config.gateway_url}/{path}"
        try:
            response = httpx.post(url, json=sp.signed(body, config.secret), timeout=config.timeout)
        except httpx.HTTPError as exc:
            raise RetryableProviderError(f"VietinBank unreachable: {exc!r}") from exc
        if response.status_code >= 500:
            raise RetryableProviderError(f"VietinBank answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise FinalProviderError(f"VietinBank refused the request: HTTP {response.status_code}")
        try:
            data: Any = response.json()
        except ValueError as exc:
            raise RetryableProviderError("VietinBank answered something that is not JSON") from exc
        if not isinstance(data, dict):
            raise RetryableProviderError("VietinBank answered a JSON value that is not an object")
        answer = {str(key): "" if value is None else str(value) for key, value in data.items()}
        if not sp.verify(answer, config.secret):
            raise RetryableProviderError(f"VietinBank answer is not signed (code {answer.get('code')!r})")
        try:
            sp.check_fresh(answer)
        except sp.StaleMessage as exc:
            raise RetryableProviderError(f"VietinBank answer is stale: {exc}") from exc
        expected = {"merchant_id": config.merchant_id, **match}
        if any(answer.get(key) != value for key, value in expected.items()):
            raise FinalProviderError("VietinBank answered about another merchant or message")
        return answer


def branch_instructions_text(bill: BranchBill) -> str:
    """The instructions in one paragraph (``StartResult.instructions``); the PDF prints them in full."""
    return str(
        _(
            "Mang Chỉ dẫn thanh toán đến quầy giao dịch VietinBank, đọc mã thanh toán %(code)s và nộp "
            "%(amount)s trước %(deadline)s."
        )
        % {
            "code": bill.payment_code,
            "amount": format_vnd(bill.amount),
            "deadline": f"{clock.local(bill.deadline):%H:%M %d/%m/%Y}",
        }
    )
