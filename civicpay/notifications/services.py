"""Writing notifications: the outbox is filled here, inside the caller's transaction.

Callers (billing, payments, accounts, otp …) call ``notification_send`` next to the state change it
announces. The row is the delivery queue: nothing leaves the machine until that transaction commits; then
a worker's ``notifications.deliver`` job finds the message due and sends it
(``civicpay.notifications.delivery``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from civicpay.core import clock
from civicpay.core.db.statements import Insert
from civicpay.notifications.models import Channel, OutboxMessage, Status

if TYPE_CHECKING:
    from civicpay.accounts.models import User


_FIELDS = (
    "channel",
    "to",
    "subject",
    "body",
    "html_body",
    "key",
    "user",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "next_attempt_at",
    "sent_at",
)
_INSERT = Insert(OutboxMessage, _FIELDS, skip_on_conflict="key")


def notification_send(
    *,
    channel: str,
    to: str,
    subject: str = "",
    body: str,
    key: str,
    user: User | None = None,
    html_body: str = "",
) -> OutboxMessage:
    """Put one message in the outbox, once per idempotency ``key``: due for delivery when the caller's
    transaction commits.

    A second call with a key already used returns the first message unchanged and sends nothing, so
    a callback processed twice still sends one SMS. Choose keys that name the event, e.g.
    ``f"payment:{payment.pk}:success:sms"``.

    ``Channel.PORTAL`` messages need ``user``: they are shown in that user's portal and count as
    sent at once.
    """
    if channel not in Channel.values:
        raise ValueError(f"Unknown notification channel {channel!r}")
    if not key:
        raise ValueError("An idempotency key is required")
    if channel == Channel.PORTAL and user is None:
        raise ValueError("A portal notification needs the user it is for")
    if channel != Channel.PORTAL and not to:
        raise ValueError("A recipient is required")

    now = clock.now()
    is_portal = channel == Channel.PORTAL
    message = OutboxMessage(
        channel=channel,
        to=to or (user.email if user is not None else ""),
        subject=subject,
        body=body,
        html_body=html_body,
        key=key,
        user=user,
        status=Status.SENT if is_portal else Status.PENDING,
        created_at=now,
        sent_at=now if is_portal else None,
        next_attempt_at=None if is_portal else now,
    )
    # The unique key decides (no read first, no savepoint): a key already used — a second call, or a
    # concurrent one — inserts nothing and the first message is returned.
    if not _INSERT.add(message):
        return OutboxMessage.objects.get(key=key)
    return message


def notification_mark_read(*, message: OutboxMessage, user: User) -> OutboxMessage:
    """Mark one of ``user``'s portal notifications read. Someone else's message is not found."""
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk, user=user, channel=Channel.PORTAL)
        if locked.read_at is None:
            locked.read_at = clock.now()
            locked.save(update_fields=["read_at"])
    return locked


def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread portal notification of ``user`` read; returns how many changed."""
    return OutboxMessage.objects.filter(user=user, channel=Channel.PORTAL, read_at__isnull=True).update(
        read_at=clock.now()
    )
