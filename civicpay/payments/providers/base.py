"""The provider adapter interface: one small ABC, typed dataclasses in and out, a registry by code.

Every provider module (``vnpay.py``, later ``momo.py`` …) implements :class:`PaymentProvider`;
services and views only ever talk to this interface. Outbound calls have timeouts and raise
:class:`RetryableProviderError` (try again later: timeouts, 5xx, unsigned answers) or
:class:`FinalProviderError` (the provider refused; retrying will not help).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_stubs_ext import StrOrPromise

from civicpay.payments.states import PaymentStatus

if TYPE_CHECKING:
    from civicpay.payments.models import Payment


class ProviderError(Exception):
    """An outbound call or a message from a provider went wrong."""


class RetryableProviderError(ProviderError):
    """Timeouts, connection errors, 5xx, unverifiable answers: ask again later."""


class FinalProviderError(ProviderError):
    """The provider refused the request for good (bad merchant, amount out of range …)."""


class InvalidSignature(ProviderError):
    """A message that claims to come from the provider is not signed by it."""


class MalformedMessage(ProviderError):
    """A correctly signed message we cannot read."""


@dataclass(frozen=True, slots=True)
class StartResult:
    """Where to send the payer: exactly one of a redirect, a QR payload or printable instructions."""

    redirect_url: str = ""
    qr_payload: str = ""
    instructions: str = ""

    def __post_init__(self) -> None:
        if sum(bool(x) for x in (self.redirect_url, self.qr_payload, self.instructions)) != 1:
            raise ValueError("StartResult needs exactly one of redirect_url, qr_payload, instructions")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the provider says about one payment, as our status (``None`` = no outcome yet).

    ``status`` is ``SUCCESS``, ``FAILED``, ``CANCELLED``, ``EXPIRED``, ``SUBMITTED`` (the provider
    has it but no final result) or ``None`` (still waiting, or unknown to the provider).
    """

    provider: str
    reference: str
    amount: int
    status: PaymentStatus | None
    code: str = ""
    message: str = ""
    transaction_no: str = ""
    bank_code: str = ""
    card_type: str = ""
    card_masked: str = ""
    paid_at: datetime | None = None
    not_found: bool = False
    raw: Mapping[str, object] = field(default_factory=dict, repr=False)


class Ack(StrEnum):
    """Our verdict on a notification; each adapter renders it in its provider's reply format."""

    OK = "ok"
    ALREADY_CONFIRMED = "already_confirmed"
    NOT_FOUND = "not_found"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_SIGNATURE = "invalid_signature"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class RefundResult:
    accepted: bool
    code: str
    message: str
    transaction_no: str = ""
    raw: Mapping[str, object] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class MethodChoice:
    """A way to pay offered by a provider (a ``method`` value and the Vietnamese label)."""

    code: str
    label: str


class PaymentProvider(abc.ABC):
    code: str
    name: str
    methods: tuple[MethodChoice, ...] = ()
    min_amount: int = 1
    max_amount: int | None = None
    # A sentence the payment page shows under the provider's name (seed 001's rule for the national
    # platform, where to register for ViettelPay, …). Lazy, so it follows the payer's language.
    payer_notice: StrOrPromise = ""

    @abc.abstractmethod
    def start(self, payment: Payment, *, return_url: str, notify_url: str, client_ip: str, locale: str) -> StartResult:
        """Prepare the payment at the provider and tell where to send the payer."""

    @abc.abstractmethod
    def notification_params(self, request: HttpRequest) -> dict[str, str]:
        """The raw parameters of a notification request, as stored in ``ProviderCallback.raw``."""

    @abc.abstractmethod
    def parse_return(self, query: Mapping[str, str]) -> Outcome:
        """Read the browser's return. Verified, but never proof of payment. Raises InvalidSignature."""

    @abc.abstractmethod
    def parse_notification(self, request: HttpRequest) -> Outcome:
        """Read a server-to-server notification. Raises InvalidSignature / MalformedMessage."""

    @abc.abstractmethod
    def acknowledge(self, ack: Ack) -> HttpResponse:
        """The HTTP reply the provider expects for ``ack``."""

    def reply_code(self, ack: Ack) -> str:
        """The provider's code for ``ack`` as stored on the callback (VNPay: ``RspCode``)."""
        return ack.value

    def return_reference(self, query: Mapping[str, str]) -> str:
        """Our payment reference in an (unverified) browser return, to find the result page."""
        return ""

    @abc.abstractmethod
    def query(self, payment: Payment) -> Outcome:
        """Ask the provider for the payment's outcome. Raises Retryable/FinalProviderError."""

    @abc.abstractmethod
    def refund(self, payment: Payment, *, amount: int, reason: str, by: str) -> RefundResult:
        """Ask the provider to refund ``amount`` of a successful payment."""


_factories: dict[str, Callable[[], PaymentProvider]] = {}


def register_provider(code: str, factory: Callable[[], PaymentProvider]) -> None:
    _factories[code] = factory


def enabled_provider_codes() -> list[str]:
    """Providers switched on by ``settings.PAYMENT_PROVIDERS`` that have an adapter, in that order."""
    return [code for code in settings.PAYMENT_PROVIDERS if code in _factories]


def provider_get(code: str) -> PaymentProvider:
    """The adapter for ``code``; ``LookupError`` if it does not exist or is not enabled in settings."""
    if code not in enabled_provider_codes():
        raise LookupError(f"Payment provider {code!r} is not enabled")
    return _factories[code]()
