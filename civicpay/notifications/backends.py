"""The dev mailbox e-mail backend: messages are stored in the database instead of leaving the machine.

Configured in ``settings.MAILERS`` when no ``EMAIL_URL`` is set; the sandbox's mailbox page shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from civicpay.notifications.models import Channel, DevMessage

IDEMPOTENCY_HEADER = "X-CivicPay-Idempotency-Key"


class DevMailboxEmailBackend(BaseEmailBackend):
    """Store every message, one ``DevMessage`` per recipient, with its plain and HTML bodies."""

    def __init__(self, *, alias: str | None = None, **kwargs: Any) -> None:
        super().__init__(alias=alias, **kwargs)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                html = next((str(content) for content, mimetype in message.alternatives if mimetype == "text/html"), "")
            key = str((message.extra_headers or {}).get(IDEMPOTENCY_HEADER, ""))
            # Render the MIME message once: it raises on the same malformed input (e.g. a newline in
            # the subject) that would make the SMTP backend fail.
            message.message()
            DevMessage.objects.bulk_create(
                DevMessage(
                    channel=Channel.EMAIL,
                    to=recipient,
                    subject=str(message.subject),
                    body=str(message.body),
                    html=html,
                    outbox_key=key,
                )
                for recipient in recipients
            )
            sent += 1
        return sent


# For ``override_settings(MAILERS=DEV_MAILERS)`` in tests: Django's test runner swaps every mailer for
# locmem, so a test (or browser test) that reads the dev mailbox must put this one back.
DEV_MAILERS = {"default": {"BACKEND": "civicpay.notifications.backends.DevMailboxEmailBackend", "OPTIONS": {}}}
