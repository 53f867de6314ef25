"""Sending a transfer in the sandbox bank: record it and queue its notification, in one transaction.

The notification itself goes out from the worker (``tasks.deliver_notification``), never inside the
browser's request (the embedded server may have one thread; calling itself would deadlock).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction

from civicpay.core import clock
from civicpay.sandbox.bank.models import NotificationStatus, SentTransfer
from civicpay.sandbox.bank.tasks import enqueue_notification

NOTIFY_PATH = "/thanh-toan/vietqr/notify/"


def notify_url_for(origin: str) -> str:
    """Where the bank posts notifications: ``SANDBOX_BANK_NOTIFY_URL``, else the platform at ``origin``
    (a real bank registers one URL per merchant account, the demo follows whatever host it runs on)."""
    return str(getattr(settings, "SANDBOX_BANK_NOTIFY_URL", "") or f"{origin.rstrip('/')}{NOTIFY_PATH}")


def _transaction_id() -> str:
    """``FT`` + local date + 8 hex digits, like the FT numbers on a Vietnamese bank statement."""
    return f"FT{clock.local_today():%y%m%d}{secrets.token_hex(4).upper()}"


def transfer_send(
    *, account: str, amount: int, memo: str, sender_name: str, sender_account: str, notify_url: str
) -> SentTransfer:
    """Record a transfer into ``account`` and queue the signed notification to the platform."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                sent = SentTransfer.objects.create(
                    bank_transaction_id=_transaction_id(),
                    account=account,
                    amount=amount,
                    memo=memo,
                    sender_name=sender_name,
                    sender_account=sender_account,
                    transferred_at=clock.now(),
                    notify_url=notify_url,
                )
                enqueue_notification(sent.pk)
                return sent
        except IntegrityError:
            continue  # an FT number drawn twice: draw again
    raise RuntimeError("could not draw a unique bank transaction id")


def transfer_renotify(*, sent: SentTransfer) -> None:
    """Deliver the same transfer (same ``bank_transaction_id``) again: the platform must not count it
    twice. Used from the transactions page to demonstrate duplicate delivery."""
    with transaction.atomic():
        locked = SentTransfer.objects.select_for_update().get(pk=sent.pk)
        locked.status, locked.next_attempt_at, locked.attempts = NotificationStatus.PENDING, None, 0
        locked.save(update_fields=["status", "next_attempt_at", "attempts"])
        enqueue_notification(locked.pk)
