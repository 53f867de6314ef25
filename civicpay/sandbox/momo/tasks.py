"""Delivering the MoMo sandbox's IPNs: POST JSON from the worker, retried like a gateway does.

Never from the payer's browser request (the embedded server may be short of threads, and a request
that calls its own server and waits can deadlock): finishing a payment only writes ``MomoIpn`` rows
and enqueues ``deliver_momo_ipn`` on the ``sandbox`` queue; the worker (``civicpay.core.worker``)
sends them.

One attempt = *claim* (lock the row, count the attempt) → *POST* outside any transaction → *record*
(``MomoIpnAttempt``; delivered, or retried with exponential backoff, or given up after
``IPN_MAX_ATTEMPTS``). MoMo reads only the HTTP status: 204 (its documented answer) or 200 stop the
retries; anything else — another status, a timeout, a refused connection — is retried.
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
from civicpay.sandbox.models import MomoIpn, MomoIpnAttempt, VnpayIpnStatus

logger = logging.getLogger(__name__)

IPN_MAX_ATTEMPTS: Final = 5
ACKNOWLEDGED_STATUSES: Final = frozenset({200, 204})
_BODY_LIMIT = 2000


def retry_base_seconds() -> float:
    return float(getattr(settings, "SANDBOX_MOMO_IPN_RETRY_SECONDS", 10))


def ipn_timeout_seconds() -> float:
    """MoMo gives the merchant 15 seconds to answer (result-handling/notification)."""
    return float(getattr(settings, "SANDBOX_MOMO_IPN_TIMEOUT_SECONDS", 15))


def backoff_delay(attempts: int) -> timedelta:
    """Wait after ``attempts`` failed tries: base, 2×base, 4×base, 8×base (10 s … 80 s by default)."""
    return timedelta(seconds=retry_base_seconds() * 2 ** max(attempts - 1, 0))


@task(queue_name="sandbox")
def deliver_momo_ipn(ipn_id: int) -> str:
    """Send one IPN once; returns ``delivered``, ``pending`` (will retry), ``gave_up`` or ``skipped``."""
    return ipn_send(ipn_id)


def enqueue_ipn(ipn_id: int, *, run_after: datetime | None = None) -> None:
    """Queue the delivery inside the caller's transaction: the task row commits with the IPN row."""
    delivery = deliver_momo_ipn if run_after is None else deliver_momo_ipn.using(run_after=run_after)
    delivery.enqueue(ipn_id)


def ipn_send(ipn_id: int) -> str:
    claimed = _claim(ipn_id)
    if claimed is None:
        return "skipped"
    ipn, number = claimed
    started_at, started = clock.now(), time.monotonic()
    http_status: int | None = None
    body = error = ""
    try:
        response = httpx.post(
            ipn.url,
            json=ipn.transaction.result_params,
            timeout=ipn_timeout_seconds(),
            headers={"User-Agent": "CivicPay-MoMo-Sandbox/2"},
        )
        http_status, body = response.status_code, response.text[:_BODY_LIMIT]
        if http_status not in ACKNOWLEDGED_STATUSES:
            error = f"HTTP {http_status} (MoMo expects 204)"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:_BODY_LIMIT]
    acknowledged = http_status in ACKNOWLEDGED_STATUSES
    if not acknowledged:
        logger.info("MoMo sandbox IPN %s attempt %s not acknowledged: %s", ipn_id, number, error)
    return _record(
        ipn_id,
        MomoIpnAttempt(
            number=number,
            started_at=started_at,
            duration_ms=int((time.monotonic() - started) * 1000),
            http_status=http_status,
            response_body=body,
            error=error,
        ),
        acknowledged=acknowledged,
    )


def _claim(ipn_id: int) -> tuple[MomoIpn, int] | None:
    """Count the attempt of a due, pending IPN; ``None`` when there is nothing to send now."""
    with transaction.atomic():
        ipn = MomoIpn.objects.select_for_update().select_related("transaction").filter(pk=ipn_id).first()
        if ipn is None or ipn.status != VnpayIpnStatus.PENDING:
            return None
        if ipn.next_attempt_at is not None and ipn.next_attempt_at > clock.now():
            return None  # an early duplicate task; the one scheduled for next_attempt_at sends it
        ipn.attempts += 1
        ipn.save(update_fields=["attempts"])
        return ipn, ipn.attempts


def _record(ipn_id: int, attempt: MomoIpnAttempt, *, acknowledged: bool) -> str:
    with transaction.atomic():
        ipn = MomoIpn.objects.select_for_update().get(pk=ipn_id)
        now = clock.now()
        if acknowledged:
            ipn.status, ipn.delivered_at, ipn.next_attempt_at = VnpayIpnStatus.DELIVERED, now, None
        elif ipn.attempts >= IPN_MAX_ATTEMPTS:
            ipn.status, ipn.next_attempt_at = VnpayIpnStatus.GAVE_UP, None
        else:
            ipn.next_attempt_at = now + backoff_delay(ipn.attempts)
            enqueue_ipn(ipn.pk, run_after=ipn.next_attempt_at)
        ipn.save(update_fields=["status", "delivered_at", "next_attempt_at"])
        attempt.ipn = ipn
        attempt.outcome = ipn.status
        attempt.save()
    return str(ipn.status)
