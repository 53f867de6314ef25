"""Reading notifications: the portal's notification list and the dev mailbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from civicpay.notifications.models import Channel, DevMessage, OutboxMessage

if TYPE_CHECKING:
    from civicpay.accounts.models import User


def portal_notifications_for(*, user: User) -> QuerySet[OutboxMessage]:
    """The user's in-portal notifications, newest first."""
    return OutboxMessage.objects.filter(user=user, channel=Channel.PORTAL).order_by("-created_at", "-id")


def portal_unread_count(*, user: User) -> int:
    """How many of the user's in-portal notifications are still unread (for a badge)."""
    return OutboxMessage.objects.filter(user=user, channel=Channel.PORTAL, read_at__isnull=True).count()


def dev_messages_list(*, to: str = "") -> QuerySet[DevMessage]:
    """Everything the dev transports caught, newest first; only one recipient's when ``to`` is given."""
    messages = DevMessage.objects.order_by("-created_at", "-id")
    if to:
        messages = messages.filter(to__iexact=to.strip())
    return messages


def dev_message_latest(*, to: str) -> DevMessage | None:
    """The newest message caught for ``to``, if any."""
    return dev_messages_list(to=to).first()
