"""Time: stored in UTC, shown in Asia/Ho_Chi_Minh. One place to ask for "now" so tests can move it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return timezone.now()


def local(dt: datetime) -> datetime:
    """``dt`` as wall-clock time in Việt Nam."""
    return dt.astimezone(VIETNAM)


def local_today() -> date:
    """Today's date in Việt Nam (a dossier submitted at 23:30 UTC belongs to the next Vietnamese day)."""
    return local(now()).date()
