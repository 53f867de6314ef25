"""SMS gateways: one small interface, a registry chosen by ``settings.SMS_BACKEND``.

- ``devinbox``: the message lands in the dev mailbox (embedded profile, tests).
- ``http``: a JSON POST to ``settings.SMS_GATEWAY_URL`` with a bearer token — the shape our
  SMS brand-name provider contract uses, and what the sandbox's ``/sandbox/sms/api/send`` accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httpx
from django.conf import settings

from civicpay.notifications.exceptions import FinalDeliveryError, RetryableDeliveryError
from civicpay.notifications.models import Channel, DevMessage

# Vietnamese mobile numbers: 0xxxxxxxxx or +84xxxxxxxxx (9–10 digits after the prefix).
_PHONE_RE = re.compile(r"^(?:\+?84|0)\d{9,10}$")


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str
    sender: str
    idempotency_key: str


@dataclass(frozen=True)
class SmsResult:
    provider_id: str


class SmsGateway(Protocol):
    def send(self, message: SmsMessage) -> SmsResult:
        """Send one SMS. Raises ``RetryableDeliveryError`` or ``FinalDeliveryError``."""
        ...


def normalise_phone(raw: str) -> str:
    """``raw`` without spaces, dots and dashes; raises ``FinalDeliveryError`` when it is no phone number."""
    phone = re.sub(r"[\s.\-()]", "", raw)
    if not _PHONE_RE.match(phone):
        raise FinalDeliveryError(f"Invalid phone number {raw!r}")
    return phone


class DevInboxSmsGateway:
    """Keeps SMS in the dev mailbox. Honours the idempotency key like a real gateway would."""

    def send(self, message: SmsMessage) -> SmsResult:
        to = normalise_phone(message.to)
        if message.idempotency_key:
            existing = DevMessage.objects.filter(channel=Channel.SMS, outbox_key=message.idempotency_key).first()
            if existing is not None:
                return SmsResult(provider_id=f"dev-{existing.pk}")
        stored = DevMessage.objects.create(
            channel=Channel.SMS, to=to, body=message.text, outbox_key=message.idempotency_key
        )
        return SmsResult(provider_id=f"dev-{stored.pk}")


class HttpSmsGateway:
    """POSTs ``{to, text, sender, idempotency_key}`` as JSON with a bearer token.

    2xx = sent; 5xx, 429, timeouts and connection errors = retryable; any other 4xx (including a
    rejected token) = final, as decision 0005 specifies: the failed message is visible in the admin.
    """

    def __init__(self, *, url: str, token: str, timeout: float = 10.0) -> None:
        if not url:
            # A configuration problem, not the message's: retry so fixing the setting is enough.
            raise RetryableDeliveryError("SMS_GATEWAY_URL is not configured")
        self.url = url
        self.token = token
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))

    @classmethod
    def from_settings(cls) -> HttpSmsGateway:
        return cls(url=settings.SMS_GATEWAY_URL, token=settings.SMS_GATEWAY_TOKEN)

    def send(self, message: SmsMessage) -> SmsResult:
        payload = {
            "to": normalise_phone(message.to),
            "text": message.text,
            "sender": message.sender,
            "idempotency_key": message.idempotency_key,
        }
        try:
            response = httpx.post(
                self.url,
                json=payload,
                headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": message.idempotency_key},
                timeout=self.timeout,
            )
        except httpx.TransportError as error:  # timeouts, refused or dropped connections
            raise RetryableDeliveryError(f"SMS gateway unreachable: {error!r}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableDeliveryError(f"SMS gateway answered {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise FinalDeliveryError(
                f"SMS gateway rejected the message ({response.status_code}): {response.text[:200]}"
            )
        try:
            provider_id = str(response.json().get("id", ""))
        except ValueError:
            provider_id = ""
        return SmsResult(provider_id=provider_id)


SMS_GATEWAYS: dict[str, Callable[[], SmsGateway]] = {
    "devinbox": DevInboxSmsGateway,
    "http": HttpSmsGateway.from_settings,
}


def get_sms_gateway(name: str | None = None) -> SmsGateway:
    """The gateway named by ``name`` or ``settings.SMS_BACKEND``."""
    name = name or settings.SMS_BACKEND
    try:
        factory = SMS_GATEWAYS[name]
    except KeyError:
        raise RetryableDeliveryError(f"Unknown SMS_BACKEND {name!r}; choose one of {sorted(SMS_GATEWAYS)}") from None
    return factory()
