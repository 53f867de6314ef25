"""Delivering the outbox: the outbox rows are the queue (docs/decisions/0014-the-outbox-is-its-own-queue.md).

A message is due when it is ``pending`` and its ``next_attempt_at`` has come; ``notification_send`` makes
it due in the transaction that writes it, so nothing else has to be written or enqueued for it. Every
worker runs the periodic job ``notifications.deliver`` (``outbox_deliver_due``), which drains the due
messages, at least once and never twice on purpose:

1. *claim* — one short transaction takes up to ``batch`` due messages, oldest due first (``SKIP LOCKED`` on
   PostgreSQL, so that several workers share the queue; SQLite has one writer), and moves them
   ``pending → sending``, counting the attempt;
2. *send* — outside any transaction, one by one, through the channel's transport, which carries the
   idempotency key so a gateway can drop a resend after a crash;
3. *record* — each message as soon as it is sent: ``sent``; or back to ``pending`` with exponential backoff
   (the job takes it again when it is due); or ``failed`` after ``NOTIFICATION_MAX_ATTEMPTS`` tries or a
   final error.

A worker that dies between 1 and 3 leaves ``sending`` rows; ``outbox_sweep`` (periodic) makes them due
again once their claim is older than the claim timeout.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.notifications.exceptions import FinalDeliveryError
from civicpay.notifications.models import OutboxMessage, Status

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
DELIVERY_BATCH = 10


def retry_base_seconds() -> int:
    return int(getattr(settings, "NOTIFICATION_RETRY_BASE_SECONDS", 30))


def claim_timeout() -> timedelta:
    """How long a ``sending`` claim may last before the sweep presumes its worker dead."""
    return timedelta(seconds=int(getattr(settings, "NOTIFICATION_CLAIM_TIMEOUT_SECONDS", 300)))


def backoff_delay(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` tries: base, 2×base, 4×base … capped at one hour."""
    seconds = retry_base_seconds() * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def outbox_deliver_due(*, batch: int = DELIVERY_BATCH, now: datetime | None = None) -> int:
    """The periodic job (``notifications.deliver``): claim up to ``batch`` due messages and deliver them;
    returns how many it tried (sent, retried or failed), so that the worker runs it again at once while
    messages are waiting."""
    # Imported here: transports pull in mail and HTTP machinery the worker need not load to claim nothing.
    from civicpay.notifications.transports import transport_send

    claimed = outbox_claim_due(batch=batch, now=now)
    for position, message in enumerate(claimed):
        try:
            transport_send(message)
        except FinalDeliveryError as error:
            _record_failure(message.pk, error, final=True)
        except Exception as error:  # retryable by default: a bug or an unknown outage gets more tries
            logger.warning("Delivery of outbox message %s failed: %r", message.pk, error)
            _record_failure(message.pk, error, final=False)
        except BaseException:  # stopped mid-batch: the messages not yet tried are due again at once
            _release([m.pk for m in claimed[position + 1 :]])
            raise
        else:
            _record_sent(message.pk)
    return len(claimed)


def outbox_claim_due(*, batch: int = DELIVERY_BATCH, now: datetime | None = None) -> list[OutboxMessage]:
    """Move up to ``batch`` due pending messages to ``sending`` and count the attempt, in one transaction;
    returns them as claimed. Messages another worker holds are skipped (PostgreSQL), not waited for."""
    now = now or clock.now()
    with transaction.atomic():
        due = (
            OutboxMessage.objects.select_for_update(skip_locked=True)  # ignored on SQLite (one writer)
            .filter(status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch]
        )
        messages = list(due)
        if not messages:
            return []
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages], status=Status.PENDING).update(
            status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    for message in messages:
        message.status, message.claimed_at, message.attempts = Status.SENDING, now, message.attempts + 1
    return messages


def _release(message_ids: list[int]) -> None:
    """Give claimed messages that were never tried back to the queue, their attempt uncounted."""
    if message_ids:
        with transaction.atomic():  # a write transaction: on SQLite it queues for the write lock
            OutboxMessage.objects.filter(pk__in=message_ids, status=Status.SENDING).update(
                status=Status.PENDING, claimed_at=None, attempts=F("attempts") - 1
            )


def _record_sent(message_id: int) -> None:
    with transaction.atomic():  # a write transaction: on SQLite it queues for the write lock
        OutboxMessage.objects.filter(pk=message_id, status=Status.SENDING).update(
            status=Status.SENT, sent_at=clock.now(), last_error="", next_attempt_at=None, claimed_at=None
        )


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
    message.next_attempt_at = clock.now() + backoff_delay(message.attempts)
    return "retry"


def outbox_sweep() -> int:
    """Make stale ``sending`` claims (their worker died) due again, or failed when out of attempts;
    returns how many it reclaimed."""
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
            message.save(update_fields=["status", "last_error", "claimed_at", "next_attempt_at"])
            touched += 1
    return touched
