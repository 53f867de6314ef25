from __future__ import annotations

import re
from urllib.parse import urlsplit

from civicpay.notifications.models import OutboxMessage

_LINK_LINE = re.compile(r"^(https?://\S+)$", re.MULTILINE)


def link_on_own_line(message: OutboxMessage) -> str:
    """The one absolute link standing on a line of its own in an e-mail body."""
    links = _LINK_LINE.findall(message.body)
    assert len(links) == 1, message.body
    return links[0]


def path_of(url: str) -> str:
    return urlsplit(url).path


def emails_to(address: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(channel="email", to=address).order_by("created_at", "id"))
