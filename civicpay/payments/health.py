"""Health checks of the payment queues (registered in PaymentsConfig.ready(); civicpay/core/health.py).

- ``payments.settlement``: successes whose settlement (fee notice paid, receipt, dossier, the payer's
  messages) has not happened, by the wait of the oldest since the gateway's confirmation;
- ``payments.overdue``: payments still waiting for an outcome after the sweeper should have expired them
  (``expires_at`` + ``PAYMENT_EXPIRY_GRACE_MINUTES``) — the sweeper is not running or cannot finish;
- ``payments.reconciliation``: payments flagged for a person to decide (a success arriving after the
  payment expired, was cancelled or failed; an amount that does not match): a warning while any waits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from civicpay.core.health import Figure, Finding, Status, lag_status, seconds_since, waiting_summary
from civicpay.payments.models import PENDING_STATUSES, Payment, PaymentStatus


def settlement_check(now: datetime) -> Finding:
    waiting = Payment.objects.filter(status=PaymentStatus.SUCCESS, settled_at__isnull=True).aggregate(
        count=Count("pk"), oldest=Min("completed_at")
    )
    lag = seconds_since(waiting["oldest"], now) if waiting["count"] else None
    return Finding(
        lag_status(lag),
        waiting_summary(
            waiting["count"],
            lag,
            none=_("Không có giao dịch thành công nào chờ ghi nhận khoản thu."),
            some=ngettext_lazy(
                "%(count)d giao dịch thành công chờ ghi nhận khoản thu; lâu nhất %(lag)d giây.",
                "%(count)d giao dịch thành công chờ ghi nhận khoản thu; lâu nhất %(lag)d giây.",
                "count",
            ),
        ),
        {"waiting": waiting["count"], "oldest_seconds": lag},
    )


def overdue_check(now: datetime) -> Finding:
    grace = timedelta(minutes=int(settings.PAYMENT_EXPIRY_GRACE_MINUTES))
    overdue = Payment.objects.filter(status__in=PENDING_STATUSES, expires_at__lt=now - grace).aggregate(
        count=Count("pk"), oldest=Min("expires_at")
    )
    lag = seconds_since(overdue["oldest"] + grace, now) if overdue["count"] else None
    pending = Payment.objects.filter(status__in=PENDING_STATUSES).count()
    figures: dict[str, Figure] = {"pending": pending, "overdue": overdue["count"], "oldest_overdue_seconds": lag}
    return Finding(
        lag_status(lag),
        waiting_summary(
            overdue["count"],
            lag,
            none=_("Không có giao dịch nào quá hạn mà chưa được đóng."),
            some=ngettext_lazy(
                "%(count)d giao dịch quá hạn chưa được đóng; lâu nhất %(lag)d giây.",
                "%(count)d giao dịch quá hạn chưa được đóng; lâu nhất %(lag)d giây.",
                "count",
            ),
        ),
        figures,
    )


def reconciliation_check(now: datetime) -> Finding:
    flagged = Payment.objects.filter(needs_reconciliation=True).aggregate(count=Count("pk"), oldest=Min("flagged_at"))
    lag = seconds_since(flagged["oldest"], now) if flagged["count"] else None
    return Finding(
        Status.WARN if flagged["count"] else Status.OK,
        waiting_summary(
            flagged["count"],
            lag,
            none=_("Không có giao dịch nào cần đối soát."),
            some=ngettext_lazy(
                "%(count)d giao dịch cần đối soát; lâu nhất %(lag)d giây.",
                "%(count)d giao dịch cần đối soát; lâu nhất %(lag)d giây.",
                "count",
            ),
        ),
        {"flagged": flagged["count"], "oldest_seconds": lag},
    )
