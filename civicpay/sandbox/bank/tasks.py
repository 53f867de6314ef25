"""Delivering the sandbox bank's incoming-transfer notifications: from the worker, retried like a bank.

One attempt = *claim* (lock the row, count the attempt) → *POST* outside any transaction → *record*
(``NotificationAttempt``; delivered, retried with exponential backoff, or given up after
``MAX_ATTEMPTS``). Each attempt is signed afresh (new timestamp and nonce, signed gateway protocol),
so a retry is never mistaken for a replay; the platform recognises the transfer by
``bank_transaction_id``. Acknowledged: HTTP 2xx with ``{"code": "00"}`` (recorded) or ``"02"``
(already recorded); anything else is retried.
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
from civicpay.payments.providers import signed_protocol as sp
from civicpay.sandbox.bank.models import NotificationAttempt, NotificationStatus, SentTransfer

logger = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 5
ACKNOWLEDGED: Final = frozenset({"00", "02"})
_BODY_LIMIT = 2000


def retry_base_seconds() -> float:
    return float(getattr(settings, "SANDBOX_BANK_RETRY_SECONDS", 10))


def timeout_seconds() -> float:
    return float(getattr(settings, "SANDBOX_BANK_TIMEOUT_SECONDS", 10))


def backoff_delay(attempts: int) -> timedelta:
    """Wait after ``attempts`` failed tries: base, 2×base, 4×base, 8×base (10 s … 80 s by default)."""
    return timedelta(seconds=retry_base_seconds() * 2 ** max(attempts - 1, 0))


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
    return notification_send(transfer_id)


def enqueue_notification(transfer_id: int, *, run_after: datetime | None = None) -> None:
    """Queue delivery inside the caller's transaction (the task row commits with the transfer)."""
    delivery = deliver_notification if run_after is None else deliver_notification.using(run_after=run_after)
    delivery.enqueue(transfer_id)


def notification_send(transfer_id: int) -> str:
    claimed = _claim(transfer_id)
    if claimed is None:
        return "skipped"
    sent, number = claimed
    started_at, started = clock.now(), time.monotonic()
    http_status: int | None = None
    body = code = error = ""
    try:
        response = httpx.post(
            sent.notify_url,
            json=notification_body(sent, secret=str(settings.SANDBOX_BANK_SECRET)),
            timeout=timeout_seconds(),
            headers={"User-Agent": "CivicPay-Sandbox-Bank/1.0"},
        )
        http_status, body = response.status_code, response.text[:_BODY_LIMIT]
        code = _reply_code(response)
        if not response.is_success:
            error = f"HTTP {response.status_code}"
        elif not code:
            error = 'the reply has no code (JSON {"code", "message"} expected)'
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:_BODY_LIMIT]
    acknowledged = http_status is not None and 200 <= http_status < 300 and code in ACKNOWLEDGED
    if not acknowledged:
        logger.info("Sandbox bank notification %s attempt %s not acknowledged: %s %s", transfer_id, number, code, error)
    return _record(
        transfer_id,
        NotificationAttempt(
            number=number,
            started_at=started_at,
            duration_ms=int((time.monotonic() - started) * 1000),
            http_status=http_status,
            reply_code=code[:10],
            response_body=body,
            error=error,
        ),
        acknowledged=acknowledged,
    )


def _reply_code(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("code", "")) if isinstance(data, dict) else ""


def _claim(transfer_id: int) -> tuple[SentTransfer, int] | None:
    """Count the attempt of a due, pending notification; ``None`` when there is nothing to send now."""
    with transaction.atomic():
        sent = SentTransfer.objects.select_for_update().filter(pk=transfer_id).first()
        if sent is None or sent.status != NotificationStatus.PENDING:
            return None
        if sent.next_attempt_at is not None and sent.next_attempt_at > clock.now():
            return None  # an early duplicate task; the one scheduled for next_attempt_at sends it
        sent.attempts += 1
        sent.save(update_fields=["attempts"])
        return sent, sent.attempt_log.count() + 1


def _record(transfer_id: int, attempt: NotificationAttempt, *, acknowledged: bool) -> str:
    with transaction.atomic():
        sent = SentTransfer.objects.select_for_update().get(pk=transfer_id)
        now = clock.now()
        if acknowledged:
            sent.status, sent.delivered_at, sent.next_attempt_at = NotificationStatus.DELIVERED, now, None
        elif sent.attempts >= MAX_ATTEMPTS:
            sent.status, sent.next_attempt_at = NotificationStatus.GAVE_UP, None
        else:
            sent.next_attempt_at = now + backoff_delay(sent.attempts)
            enqueue_notification(sent.pk, run_after=sent.next_attempt_at)
        sent.save(update_fields=["status", "delivered_at", "next_attempt_at"])
        attempt.transfer = sent
        attempt.outcome = sent.status
        attempt.save()
    return str(sent.status)
