"""Health checks: is the process serving, does the database answer, is the background work keeping up.

For three readers:
- a load balancer or orchestrator: ``GET /healthz`` (the process answers; touches nothing) and
  ``GET /readyz`` (the database answers) — cheap enough to call every second;
- monitoring: ``GET /status`` (every check as JSON, for platform staff or ``Authorization: Bearer
  <HEALTH_TOKEN>``) and ``manage.py civicpay_health``, whose exit code is the worst status (0 OK,
  1 WARNING, 2 CRITICAL: the Nagios plugin convention, so any monitoring system can run it);
- the apps themselves: each registers the checks of the queues it owns from ``AppConfig.ready()``,
  e.g. ``register_check("payments.settlement", settlement_check)``; core knows nothing of payments.

A check is a function of "now" returning a :class:`Finding`. Queue checks report the **lag** of the
oldest item that should already have been handled (not the queue's length: a burst of a thousand
successes settled within a second is healthy, one success unsettled for ten minutes is not), graded by
``HEALTH_LAG_WARN_SECONDS`` and ``HEALTH_LAG_FAIL_SECONDS``. A check that raises is reported as failed
with the error's class and message; it never stops the others.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy

from civicpay.core import clock

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

logger = logging.getLogger(__name__)

Figure = int | float | str | None


class Status(IntEnum):
    """Ordered by gravity; the value is the exit code of ``civicpay_health``."""

    OK = 0
    WARN = 1
    FAIL = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    status: Status
    summary: str
    figures: dict[str, Figure] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    summary: str
    figures: dict[str, Figure]
    duration_ms: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.label,
            "summary": self.summary,
            "figures": self.figures,
            "duration_ms": round(self.duration_ms, 1),
        }


Check = Callable[[datetime], Finding]

_checks: dict[str, Check] = {}


def register_check(name: str, func: Check) -> None:
    """Add (or replace, by name) a check; called from ``AppConfig.ready()``."""
    _checks[name] = func


def registered_checks() -> dict[str, Check]:
    return dict(_checks)


def health_run(*, now: datetime | None = None, names: list[str] | None = None) -> list[CheckResult]:
    """Run the registered checks (or those in ``names``) in registration order."""
    now = now or clock.now()
    unknown = sorted(set(names or []) - set(_checks))
    if unknown:
        raise KeyError(f"unknown health check(s): {', '.join(unknown)}")
    results = []
    for name, func in _checks.items():
        if names is not None and name not in names:
            continue
        started = time.perf_counter()
        try:
            finding = func(now)
        except Exception as exc:
            logger.exception("Health check %s raised", name)
            finding = Finding(Status.FAIL, f"{type(exc).__name__}: {exc}")
        results.append(
            CheckResult(name, finding.status, finding.summary, finding.figures, (time.perf_counter() - started) * 1000)
        )
    return results


def worst(results: list[CheckResult]) -> Status:
    return max((result.status for result in results), default=Status.OK)


def health_report(results: list[CheckResult]) -> dict[str, Any]:
    """What ``GET /status`` and ``civicpay_health --json`` print."""
    return {
        "status": worst(results).label,
        "checked_at": clock.now().isoformat(),
        "checks": [result.as_dict() for result in results],
    }


def seconds_since(moment: datetime | None, now: datetime) -> int | None:
    """Whole seconds from ``moment`` to ``now`` (never negative); ``None`` for no moment."""
    if moment is None:
        return None
    return max(0, int((now - moment).total_seconds()))


def lag_status(lag_seconds: int | None) -> Status:
    """How bad it is that the oldest item due has waited ``lag_seconds`` (``None``: nothing waits)."""
    if lag_seconds is None:
        return Status.OK
    if lag_seconds >= int(settings.HEALTH_LAG_FAIL_SECONDS):
        return Status.FAIL
    if lag_seconds >= int(settings.HEALTH_LAG_WARN_SECONDS):
        return Status.WARN
    return Status.OK


def waiting_summary(count: int, lag_seconds: int | None, *, none: StrOrPromise, some: StrOrPromise) -> str:
    """``none`` when nothing waits, else ``some`` (an ``ngettext_lazy`` on ``count``) with ``%(count)d`` and
    ``%(lag)d``: how many wait and how long the oldest has waited."""
    if not count:
        return str(none)
    return str(some % {"count": count, "lag": lag_seconds or 0})


# --- The checks core owns ------------------------------------------------------------------------


def database_check(now: datetime) -> Finding:
    """The default database answers a query."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    round_trip = round((time.perf_counter() - started) * 1000, 2)
    return Finding(
        Status.OK,
        _("Cơ sở dữ liệu trả lời sau %(ms)s ms.") % {"ms": round_trip},
        {"vendor": connection.vendor, "round_trip_ms": round_trip},
    )


def workers_check(now: datetime) -> Finding:
    """At least one background worker has beaten within ``HEALTH_WORKER_STALE_SECONDS``.

    Without a worker nothing is settled (fee notices, receipts, dossiers) and no SMS or e-mail leaves.
    A worker that stopped beating without saying it stopped (killed, crashed, its host gone) in the last
    day is a warning even while others run."""
    from civicpay.core.models import WorkerHeartbeat

    stale = now - timedelta(seconds=int(settings.HEALTH_WORKER_STALE_SECONDS))
    recent = list(
        WorkerHeartbeat.objects.filter(seen_at__gte=now - timedelta(days=1))
        .order_by("-seen_at")
        .values("worker_id", "hostname", "pid", "seen_at", "stopped_at")
    )
    live = [beat for beat in recent if beat["stopped_at"] is None and beat["seen_at"] >= stale]
    lost = [beat for beat in recent if beat["stopped_at"] is None and beat["seen_at"] < stale]
    figures: dict[str, Figure] = {
        "live": len(live),
        "lost": len(lost),
        "last_seen_seconds": seconds_since(recent[0]["seen_at"], now) if recent else None,
    }
    if not live:
        return Finding(
            Status.FAIL,
            _(
                "Không có tiến trình nền nào đang chạy: giao dịch thành công không được ghi nhận, "
                "tin nhắn và thư không được gửi. Chạy manage.py civicpay_worker."
            ),
            figures,
        )
    if lost:
        names = ", ".join(f"{beat['hostname']}:{beat['pid']}" for beat in lost)
        return Finding(
            Status.WARN,
            ngettext(
                "%(live)d tiến trình nền đang chạy; mất liên lạc với: %(lost)s.",
                "%(live)d tiến trình nền đang chạy; mất liên lạc với: %(lost)s.",
                len(live),
            )
            % {"live": len(live), "lost": names},
            figures,
        )
    running = ngettext("%(live)d tiến trình nền đang chạy.", "%(live)d tiến trình nền đang chạy.", len(live))
    return Finding(Status.OK, running % {"live": len(live)}, figures)


def tasks_check(now: datetime) -> Finding:
    """Background tasks (django.tasks, database backend) that are due and not yet picked up."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    # django_tasks_db stores "no run_after" as the largest date: those are due since they were enqueued.
    at_once = ready.filter(run_after=get_date_max()).aggregate(count=Count("pk"), oldest=Min("enqueued_at"))
    deferred = ready.filter(run_after__lte=now).aggregate(count=Count("pk"), oldest=Min("run_after"))
    count = at_once["count"] + deferred["count"]
    oldest = min((moment for moment in (at_once["oldest"], deferred["oldest"]) if moment is not None), default=None)
    lag = seconds_since(oldest, now)
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, finished_at__gte=now - timedelta(days=1))
    failed_count = failed.count()
    figures: dict[str, Figure] = {"due": count, "oldest_due_seconds": lag, "failed_last_day": failed_count}
    status = lag_status(lag)
    summary = waiting_summary(
        count,
        lag,
        none=_("Không có tác vụ nền nào đến hạn đang chờ."),
        some=ngettext_lazy(
            "%(count)d tác vụ nền đến hạn đang chờ; lâu nhất %(lag)d giây.",
            "%(count)d tác vụ nền đến hạn đang chờ; lâu nhất %(lag)d giây.",
            "count",
        ),
    )
    if failed_count:
        status = max(status, Status.WARN)
        summary += " " + ngettext(
            "%(count)d tác vụ thất bại trong 24 giờ qua.", "%(count)d tác vụ thất bại trong 24 giờ qua.", failed_count
        ) % {"count": failed_count}
    return Finding(status, summary, figures)


# --- The worker's heartbeat ---------------------------------------------------------------------


class Heartbeat:
    """What the worker loop calls: ``beat()`` as often as it likes (writes at most every
    ``WORKER_HEARTBEAT_SECONDS``), ``stop()`` once when it stops cleanly."""

    def __init__(self, worker_id: str, queues: list[str]) -> None:
        self.worker_id = worker_id
        self.queues = ",".join(queues)
        self.started_at = clock.now()
        self._last = float("-inf")

    def beat(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last < float(settings.WORKER_HEARTBEAT_SECONDS):
            return
        from civicpay.core.models import WorkerHeartbeat

        now = clock.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"seen_at": now, "stopped_at": None},
            create_defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "queues": self.queues[:255],
                "started_at": self.started_at,
                "seen_at": now,
            },
        )
        if self._last == float("-inf"):  # the first beat: forget workers gone for more than a week
            WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=7)).delete()
        self._last = time.monotonic()

    def stop(self) -> None:
        from civicpay.core.models import WorkerHeartbeat

        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(stopped_at=clock.now(), seen_at=clock.now())
