"""Delivering the signed-protocol sandbox's notifications: from the worker, retried like a gateway.

Never from the payer's browser request (the embedded server may have one thread; a request calling
its own server would deadlock). The claim → send → record loop with its backoff is
``civicpay.sandbox.notify``; the protocol's part is here: the notification, signed afresh for each
attempt, is POSTed as JSON, each attempt is logged as a ``SignedNotificationAttempt`` row, and it is
delivered on ``{"code": "00"|"02"}``, else retried with exponential backoff, given up after
``SANDBOX_SIGNED_NOTIFY_MAX_ATTEMPTS``. A merchant no longer known (no secret to sign with) is recorded
as the attempt's error and retried.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

import httpx
from django.conf import settings
from django.tasks import task

from civicpay.sandbox import notify
from civicpay.sandbox.models import SignedNotification, SignedNotificationAttempt

logger = logging.getLogger(__name__)


def max_attempts() -> int:
    return int(getattr(settings, "SANDBOX_SIGNED_NOTIFY_MAX_ATTEMPTS", 5))


def retry_base_seconds() -> float:
    return float(getattr(settings, "SANDBOX_SIGNED_NOTIFY_RETRY_SECONDS", 10.0))


def timeout_seconds() -> float:
    return float(getattr(settings, "SANDBOX_SIGNED_NOTIFY_TIMEOUT_SECONDS", 10.0))


@task(queue_name="sandbox")
def deliver_notification(notification_id: int) -> str:
    """Send one notification once; returns ``delivered``, ``pending`` (will retry), ``gave_up`` or ``skipped``."""
    return NOTIFICATION.send(notification_id)


def enqueue_notification(notification_id: int, *, run_after: datetime | None = None) -> None:
    """Queue a delivery inside the caller's transaction (the task row commits with the notification)."""
    NOTIFICATION.enqueue(notification_id, run_after=run_after)


def _request(notification: SignedNotification) -> notify.Request:
    from civicpay.sandbox.signed.messages import signed_notification

    return notify.Request(
        url=notification.url,
        json=signed_notification(notification.transaction),
        timeout=timeout_seconds(),
        user_agent=f"CivicPay-Sandbox-{notification.transaction.gateway}/1.0",
    )


def _record(notification: SignedNotification, attempt: notify.Attempt) -> None:
    SignedNotificationAttempt.objects.create(
        notification=notification, outcome=notification.status, reply_code=attempt.code[:10], **attempt.fields()
    )


NOTIFICATION: Final = notify.Delivery(
    model=SignedNotification,
    task=deliver_notification,
    request=_request,
    read=notify.json_code("code", missing='the reply has no code (JSON {"code", "message"} expected)'),
    record=_record,
    max_attempts=max_attempts,
    retry_base_seconds=retry_base_seconds,
    select_related=("transaction",),
    errors=(httpx.HTTPError, LookupError),
    logger=logger,
    log="Signed sandbox notification %(id)s attempt %(number)s not acknowledged: %(code)s %(error)s",
)
