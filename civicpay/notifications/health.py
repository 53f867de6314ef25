"""Health check of the outbox (registered in NotificationsConfig.ready(); civicpay/core/health.py).

``notifications.outbox``: messages due (``pending``, ``next_attempt_at`` passed) by the wait of the oldest —
a delivery that is retrying with back-off is not late until its next attempt is due — and the messages
that gave up (``failed``) in the last day, a warning: somebody did not get an SMS or an e-mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Min
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy

from civicpay.core.health import Finding, Status, lag_status, seconds_since, waiting_summary
from civicpay.notifications.models import OutboxMessage
from civicpay.notifications.models import Status as MessageStatus


def outbox_check(now: datetime) -> Finding:
    due = OutboxMessage.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now).aggregate(
        count=Count("pk"), oldest=Min("next_attempt_at")
    )
    lag = seconds_since(due["oldest"], now) if due["count"] else None
    failed = OutboxMessage.objects.filter(status=MessageStatus.FAILED, created_at__gte=now - timedelta(days=1)).count()
    status = lag_status(lag)
    summary = waiting_summary(
        due["count"],
        lag,
        none=_("Không có tin nhắn, thư nào đến hạn gửi đang chờ."),
        some=ngettext_lazy(
            "%(count)d tin nhắn, thư đến hạn gửi đang chờ; lâu nhất %(lag)d giây.",
            "%(count)d tin nhắn, thư đến hạn gửi đang chờ; lâu nhất %(lag)d giây.",
            "count",
        ),
    )
    if failed:
        status = max(status, Status.WARN)
        summary += " " + ngettext(
            "%(count)d tin nhắn, thư gửi thất bại trong 24 giờ qua.",
            "%(count)d tin nhắn, thư gửi thất bại trong 24 giờ qua.",
            failed,
        ) % {"count": failed}
    return Finding(status, summary, {"due": due["count"], "oldest_due_seconds": lag, "failed_last_day": failed})
