"""Sending one outbox message over its channel, with errors split into retryable and final."""

from __future__ import annotations

import hashlib
import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.validators import validate_email

from civicpay.notifications.backends import IDEMPOTENCY_HEADER
from civicpay.notifications.exceptions import FinalDeliveryError, RetryableDeliveryError
from civicpay.notifications.models import Channel, OutboxMessage
from civicpay.notifications.sms import SmsMessage, get_sms_gateway


def transport_send(message: OutboxMessage) -> None:
    """Deliver ``message`` once. Raises ``RetryableDeliveryError`` or ``FinalDeliveryError``."""
    if message.channel == Channel.EMAIL:
        send_email(message)
    elif message.channel == Channel.SMS:
        get_sms_gateway().send(
            SmsMessage(to=message.to, text=message.body, sender=settings.SMS_SENDER, idempotency_key=message.key)
        )
    else:
        raise FinalDeliveryError(f"Channel {message.channel!r} has no transport")


def message_id_for(key: str) -> str:
    """A stable ``Message-ID`` derived from the idempotency key, so a resend can be recognised."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "civicpay.local"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def send_email(message: OutboxMessage) -> None:
    try:
        validate_email(message.to)
    except ValidationError as error:
        raise FinalDeliveryError(f"Invalid e-mail address {message.to!r}") from error
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={"Message-ID": message_id_for(message.key), IDEMPOTENCY_HEADER: message.key},
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    try:
        with mailers.default as connection:
            connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if all(code >= 500 for code in codes):
            raise FinalDeliveryError(f"Recipient refused: {error.recipients!r}") from error
        raise RetryableDeliveryError(f"Recipient temporarily refused: {error.recipients!r}") from error
    except smtplib.SMTPAuthenticationError as error:
        # Our credentials, not the message: retry so fixing EMAIL_URL is enough.
        raise RetryableDeliveryError(f"SMTP authentication failed: {error!r}") from error
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500:
            raise FinalDeliveryError(f"SMTP server rejected the message: {error!r}") from error
        raise RetryableDeliveryError(f"SMTP server deferred the message: {error!r}") from error
    except (smtplib.SMTPException, OSError) as error:  # disconnects, refused connections, timeouts
        raise RetryableDeliveryError(f"SMTP server unreachable: {error!r}") from error
