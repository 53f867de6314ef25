"""Delivering the outbox: the ``deliver_message`` task, its retries, and the crash-recovery sweep.

At least once, never twice on purpose:
1. *claim* — a short transaction locks the row and moves it ``pending → sending``; a message that is
   not pending (already sent, failed, or claimed by another worker) is skipped;
2. *send* — outside any transaction, through the channel's transport, which carries the idempotency
   key so a gateway can drop a resend after a crash;
3. *record* — ``sent``, or back to ``pending`` with exponential backoff and a delayed re-enqueue, or
   ``failed`` after ``NOTIFICATION_MAX_ATTEMPTS`` tries or a final error.

A worker that dies between 1 and 3 leaves a ``sending`` row; ``outbox_sweep`` (a periodic job of
``civicpay.core.worker``) reclaims it once it is older than the claim timeout, and re-enqueues pending
messages whose task was lost (e.g. a crash between commit and enqueue).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task

from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.notifications.exceptions import FinalDeliveryError
from civicpay.notifications.models import OutboxMessage, Status

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600


def retry_base_seconds() -> int:
    return int(getattr(settings, "NOTIFICATION_RETRY_BASE_SECONDS", 30))


def claim_timeout() -> timedelta:
    """How long a ``sending`` claim may last before the sweep presumes its worker dead."""
    return timedelta(seconds=int(getattr(settings, "NOTIFICATION_CLAIM_TIMEOUT_SECONDS", 300)))


def sweep_grace() -> timedelta:
    """How overdue a pending message must be before the sweep presumes its task lost."""
    return timedelta(seconds=int(getattr(settings, "NOTIFICATION_SWEEP_GRACE_SECONDS", 60)))


def backoff_delay(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` tries: base, 2×base, 4×base … capped at one hour."""
    seconds = retry_base_seconds() * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


@task(queue_name="notifications")
def deliver_message(message_id: int) -> str:
    """Deliver one outbox message; returns what happened (``sent``, ``retry``, ``failed``, ``skipped``)."""
    return deliver(message_id)


def enqueue_delivery(message_id: int, *, run_after: datetime | None = None) -> None:
    """Queue ``deliver_message`` for ``message_id``, not before ``run_after`` when given."""
    delivery = deliver_message if run_after is None else deliver_message.using(run_after=run_after)
    delivery.enqueue(message_id)


def deliver(message_id: int) -> str:
    # Imported here: transports pull in mail and HTTP machinery the task module need not load eagerly.
    from civicpay.notifications.transports import transport_send

    message = _claim(message_id)
    if message is None:
        return "skipped"
    try:
        transport_send(message)
    except FinalDeliveryError as error:
        return _record_failure(message_id, error, final=True)
    except Exception as error:  # retryable by default: a bug or an unknown outage gets more tries
        logger.warning("Delivery of outbox message %s failed: %r", message_id, error)
        return _record_failure(message_id, error, final=False)
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message_id, status=Status.SENDING).update(
            status=Status.SENT, sent_at=clock.now(), last_error="", next_attempt_at=None
        )
    return "sent" if updated else "skipped"


def _claim(message_id: int) -> OutboxMessage | None:
    """Move a due pending message to ``sending`` and count the attempt; ``None`` when there is nothing to do."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != Status.PENDING:
            return None
        now = clock.now()
        if message.next_attempt_at is not None and message.next_attempt_at > now:
            return None  # an early duplicate task; the one scheduled for next_attempt_at will run it
        message.status = Status.SENDING
        message.claimed_at = now
        message.attempts += 1
        message.save(update_fields=["status", "claimed_at", "attempts"])
        return message


def _record_failure(message_id: int, error: BaseException, *, final: bool) -> str:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.status != Status.SENDING:
            return "skipped"
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        message.claimed_at = None
        outcome = _retry_or_fail(message, final=final)
        message.save(update_fields=["status", "last_error", "claimed_at", "next_attempt_at"])
    return outcome


def _retry_or_fail(message: OutboxMessage, *, final: bool) -> str:
    """Decide the next state of a locked message whose attempt did not succeed (caller saves it)."""
    if final or message.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        message.status = Status.FAILED
        message.next_attempt_at = None
        audit_record(
            actor=None,
            action="notification.failed",
            target=message,
            after={"channel": message.channel, "to": message.to, "attempts": message.attempts},
            note=message.last_error,
        )
        return "failed"
    message.status = Status.PENDING
    run_after = clock.now() + backoff_delay(message.attempts)
    message.next_attempt_at = run_after
    message_id = message.pk
    transaction.on_commit(lambda: enqueue_delivery(message_id, run_after=run_after), robust=True)
    return "retry"


def outbox_sweep() -> int:
    """Reclaim stale ``sending`` claims and re-enqueue lost pending messages; returns how many it touched."""
    now = clock.now()
    touched = 0
    with transaction.atomic():
        stale = OutboxMessage.objects.select_for_update().filter(
            status=Status.SENDING, claimed_at__lt=now - claim_timeout()
        )
        for message in stale[:500]:
            message.last_error = "Worker stopped while sending; claim reclaimed by the sweep"
            message.claimed_at = None
            if message.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                _retry_or_fail(message, final=True)
            else:
                # Due now: the worker that held it is gone, nobody is waiting on a backoff.
                message.status = Status.PENDING
                message.next_attempt_at = now
                _enqueue_after_commit(message.pk)
            message.save(update_fields=["status", "last_error", "claimed_at", "next_attempt_at"])
            touched += 1

        lost = OutboxMessage.objects.select_for_update().filter(
            status=Status.PENDING, next_attempt_at__lte=now - sweep_grace()
        )
        for message in lost[:500]:
            # Bumped to now so the same message is re-enqueued at most once per grace period.
            message.next_attempt_at = now
            message.save(update_fields=["next_attempt_at"])
            _enqueue_after_commit(message.pk)
            touched += 1
    return touched


def _enqueue_after_commit(message_id: int) -> None:
    transaction.on_commit(lambda: enqueue_delivery(message_id), robust=True)
