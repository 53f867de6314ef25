"""Delivering the sandbox bank's incoming-transfer notifications: from the worker, retried like a bank.

The claim → send → record loop with its backoff is ``civicpay.sandbox.notify``; the bank's part is
here. Each attempt is signed afresh (new timestamp and nonce, signed gateway protocol), so a retry is
never mistaken for a replay; the platform recognises the transfer by ``bank_transaction_id``. Each
attempt is logged as a ``NotificationAttempt`` row, numbered after the ones already logged (a resend
starts the count of ``attempts`` again, not the log). Acknowledged: HTTP 2xx with ``{"code": "00"}``
(recorded) or ``"02"`` (already recorded); anything else is retried, up to ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

from django.conf import settings
from django.tasks import task

from civicpay.core import clock
from civicpay.payments.providers import signed_protocol as sp
from civicpay.sandbox import notify
from civicpay.sandbox.bank.models import NotificationAttempt, SentTransfer

logger = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 5


def notification_body(sent: SentTransfer, *, secret: str) -> dict[str, str]:
    """The signed JSON object the platform receives (docs/protocols/vietqr.md)."""
    return sp.signed(
        {
            "bank_transaction_id": sent.bank_transaction_id,
            "account": sent.account,
            "amount": sent.amount,
            "memo": sent.memo,
            "transferred_at": clock.local(sent.transferred_at).isoformat(timespec="seconds"),
            "sender_name": sent.sender_name,
            "sender_account": sent.sender_account,
        },
        secret,
    )


@task(queue_name="sandbox")
def deliver_notification(transfer_id: int) -> str:
    """Send one notification once; returns ``delivered``, ``pending`` (will retry), ``gave_up`` or ``skipped``."""
    return NOTIFICATION.send(transfer_id)


def enqueue_notification(transfer_id: int, *, run_after: datetime | None = None) -> None:
    """Queue delivery inside the caller's transaction (the task row commits with the transfer)."""
    NOTIFICATION.enqueue(transfer_id, run_after=run_after)


def _request(sent: SentTransfer) -> notify.Request:
    return notify.Request(
        url=sent.notify_url,
        json=notification_body(sent, secret=str(settings.SANDBOX_BANK_SECRET)),
        timeout=float(getattr(settings, "SANDBOX_BANK_TIMEOUT_SECONDS", 10)),
        user_agent="CivicPay-Sandbox-Bank/1.0",
    )


def _record(sent: SentTransfer, attempt: notify.Attempt) -> None:
    NotificationAttempt.objects.create(
        transfer=sent, outcome=sent.status, reply_code=attempt.code[:10], **attempt.fields()
    )


NOTIFICATION: Final = notify.Delivery(
    model=SentTransfer,
    task=deliver_notification,
    request=_request,
    read=notify.json_code("code", missing='the reply has no code (JSON {"code", "message"} expected)'),
    record=_record,
    number=lambda sent: sent.attempt_log.count() + 1,
    max_attempts=lambda: MAX_ATTEMPTS,
    retry_base_seconds=lambda: float(getattr(settings, "SANDBOX_BANK_RETRY_SECONDS", 10)),
    logger=logger,
    log="Sandbox bank notification %(id)s attempt %(number)s not acknowledged: %(code)s %(error)s",
)
