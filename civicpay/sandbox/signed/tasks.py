"""Delivering the signed-protocol sandbox's notifications: from the worker, retried like a gateway.

Never from the payer's browser request (the embedded server may have one thread; a request calling
its own server would deadlock). One attempt = *claim* (lock, count) → *POST* the notification,
signed afresh, outside any transaction → *record* (``SignedNotificationAttempt``; delivered on
``{"code": "00"|"02"}``, else retried with exponential backoff, given up after
``SANDBOX_SIGNED_NOTIFY_MAX_ATTEMPTS``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Final

import httpx
from django.conf import settings
from django.db import transaction
from django.tasks import task

from civicpay.core import clock
from civicpay.sandbox.models import SignedNotification, SignedNotificationAttempt, SignedNotificationStatus

logger = logging.getLogger(__name__)

ACKNOWLEDGED: Final = frozenset({"00", "02"})
_BODY_LIMIT = 2000


def max_attempts() -> int:
    return int(getattr(settings, "SANDBOX_SIGNED_NOTIFY_MAX_ATTEMPTS", 5))


def backoff_delay(attempts: int) -> timedelta:
    """Wait after ``attempts`` failed tries: base, 2×base, 4×base … (10 s, 20 s, 40 s by default)."""
    base = float(getattr(settings, "SANDBOX_SIGNED_NOTIFY_RETRY_SECONDS", 10.0))
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


@task(queue_name="sandbox")
def deliver_notification(notification_id: int) -> str:
    """Send one notification once; returns ``delivered``, ``pending`` (will retry), ``gave_up`` or ``skipped``."""
    return notification_send(notification_id)


def enqueue_notification(notification_id: int, *, run_after: datetime | None = None) -> None:
    """Queue a delivery inside the caller's transaction (the task row commits with the notification)."""
    delivery = deliver_notification if run_after is None else deliver_notification.using(run_after=run_after)
    delivery.enqueue(notification_id)


def notification_send(notification_id: int) -> str:
    from civicpay.sandbox.signed.messages import signed_notification

    claimed = _claim(notification_id)
    if claimed is None:
        return "skipped"
    notification, number = claimed
    started_at, started = clock.now(), time.monotonic()
    http_status: int | None = None
    body = code = error = ""
    try:
        response = httpx.post(
            notification.url,
            json=signed_notification(notification.transaction),
            timeout=float(getattr(settings, "SANDBOX_SIGNED_NOTIFY_TIMEOUT_SECONDS", 10.0)),
            headers={"User-Agent": f"CivicPay-Sandbox-{notification.transaction.gateway}/1.0"},
        )
        http_status, body = response.status_code, response.text[:_BODY_LIMIT]
        code = _reply_code(response)
        if not response.is_success:
            error = f"HTTP {response.status_code}"
        elif not code:
            error = 'the reply has no code (JSON {"code", "message"} expected)'
    except (httpx.HTTPError, LookupError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:_BODY_LIMIT]
    acknowledged = http_status is not None and 200 <= http_status < 300 and code in ACKNOWLEDGED
    if not acknowledged:
        logger.info(
            "Signed sandbox notification %s attempt %s not acknowledged: %s %s", notification_id, number, code, error
        )
    attempt = SignedNotificationAttempt(
        number=number,
        started_at=started_at,
        duration_ms=int((time.monotonic() - started) * 1000),
        http_status=http_status,
        reply_code=code[:10],
        response_body=body,
        error=error,
    )
    return _record(notification_id, attempt, acknowledged=acknowledged)


def _reply_code(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("code", "")) if isinstance(data, dict) else ""


def _claim(notification_id: int) -> tuple[SignedNotification, int] | None:
    with transaction.atomic():
        notification = (
            SignedNotification.objects.select_for_update()
            .select_related("transaction")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status != SignedNotificationStatus.PENDING:
            return None
        if notification.next_attempt_at is not None and notification.next_attempt_at > clock.now():
            return None  # an early duplicate task; the one scheduled for next_attempt_at will send it
        notification.attempts += 1
        notification.save(update_fields=["attempts"])
        return notification, notification.attempts


def _record(notification_id: int, attempt: SignedNotificationAttempt, *, acknowledged: bool) -> str:
    with transaction.atomic():
        notification = SignedNotification.objects.select_for_update().get(pk=notification_id)
        now = clock.now()
        if acknowledged:
            notification.status, notification.delivered_at = SignedNotificationStatus.DELIVERED, now
            notification.next_attempt_at = None
        elif notification.attempts >= max_attempts():
            notification.status, notification.next_attempt_at = SignedNotificationStatus.GAVE_UP, None
        else:
            notification.next_attempt_at = now + backoff_delay(notification.attempts)
            enqueue_notification(notification.pk, run_after=notification.next_attempt_at)
        notification.save(update_fields=["status", "delivered_at", "next_attempt_at"])
        attempt.notification = notification
        attempt.outcome = notification.status
        attempt.save()
    return str(notification.status)
