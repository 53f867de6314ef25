"""Delivering the VNPay sandbox's IPNs: server to server, from the worker, retried like a gateway does.

Never from the payer's browser request: the embedded server may have a single worker thread, and a
request that calls its own server and waits would deadlock on itself. So completing a payment only
writes ``VnpayIpn`` rows and enqueues ``deliver_ipn``; the worker (``civicpay.core.worker``) sends them.

One attempt = *claim* (lock the row, count the attempt) → *GET* outside any transaction → *record*
(``VnpayIpnAttempt`` row; delivered, or retried with exponential backoff, or given up after
``IPN_MAX_ATTEMPTS``). The merchant acknowledges with ``{"RspCode": "00"}`` (stored) or ``"02"``
(already confirmed); anything else — an HTTP error, a timeout, another code, a reply that is not JSON —
is retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

import httpx
from django.conf import settings
from django.db import transaction
from django.tasks import task

from civicpay.core import clock
from civicpay.payments.providers.vnpay_protocol import HASH_FIELD, hash_data
from civicpay.sandbox.models import VnpayIpn, VnpayIpnAttempt, VnpayIpnStatus

logger = logging.getLogger(__name__)

IPN_MAX_ATTEMPTS: Final = 5
ACKNOWLEDGED: Final = frozenset({"00", "02"})
_BODY_LIMIT = 2000


def retry_base_seconds() -> float:
    return float(getattr(settings, "SANDBOX_VNPAY_IPN_RETRY_SECONDS", 10))


def ipn_timeout_seconds() -> float:
    return float(getattr(settings, "SANDBOX_VNPAY_IPN_TIMEOUT_SECONDS", 10))


def backoff_delay(attempts: int) -> timedelta:
    """Wait after ``attempts`` failed tries: base, 2×base, 4×base, 8×base (10 s … 80 s by default)."""
    return timedelta(seconds=retry_base_seconds() * 2 ** max(attempts - 1, 0))


def signed_query(params: Mapping[str, str]) -> str:
    """The query string VNPay appends to the IPN and return URLs: sorted, PHP-encoded, hash last."""
    return f"{hash_data(params)}&{HASH_FIELD}={params[HASH_FIELD]}"


def url_with_params(url: str, params: Mapping[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{signed_query(params)}"


@task(queue_name="sandbox")
def deliver_ipn(ipn_id: int) -> str:
    """Send one IPN once; returns ``delivered``, ``pending`` (will retry), ``gave_up`` or ``skipped``."""
    return ipn_send(ipn_id)


def enqueue_ipn(ipn_id: int, *, run_after: datetime | None = None) -> None:
    """Queue ``deliver_ipn``. Called inside the caller's transaction: with the database task backend the
    task row commits (or rolls back) together with the ``VnpayIpn`` row it sends."""
    delivery = deliver_ipn if run_after is None else deliver_ipn.using(run_after=run_after)
    delivery.enqueue(ipn_id)


def ipn_send(ipn_id: int) -> str:
    claimed = _claim(ipn_id)
    if claimed is None:
        return "skipped"
    ipn, number = claimed
    started_at, started = clock.now(), time.monotonic()
    http_status: int | None = None
    body = rsp_code = error = ""
    try:
        response = httpx.get(
            url_with_params(ipn.url, ipn.transaction.result_params),
            timeout=ipn_timeout_seconds(),
            headers={"User-Agent": "CivicPay-VNPay-Sandbox/2.1.0"},
        )
        http_status, body = response.status_code, response.text[:_BODY_LIMIT]
        rsp_code = _rsp_code(response)
        if not response.is_success:
            error = f"HTTP {response.status_code}"
        elif not rsp_code:
            error = 'the reply has no RspCode (JSON {"RspCode", "Message"} expected)'
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:_BODY_LIMIT]
    acknowledged = http_status is not None and 200 <= http_status < 300 and rsp_code in ACKNOWLEDGED
    if not acknowledged:
        logger.info("VNPay sandbox IPN %s attempt %s not acknowledged: %s %s", ipn_id, number, rsp_code, error)
    return _record(
        ipn_id,
        VnpayIpnAttempt(
            number=number,
            started_at=started_at,
            duration_ms=int((time.monotonic() - started) * 1000),
            http_status=http_status,
            rsp_code=rsp_code[:10],
            response_body=body,
            error=error,
        ),
        acknowledged=acknowledged,
    )


def _rsp_code(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("RspCode", "")) if isinstance(data, dict) else ""


def _claim(ipn_id: int) -> tuple[VnpayIpn, int] | None:
    """Count the attempt of a due, pending IPN; ``None`` when there is nothing to send now."""
    with transaction.atomic():
        ipn = VnpayIpn.objects.select_for_update().select_related("transaction").filter(pk=ipn_id).first()
        if ipn is None or ipn.status != VnpayIpnStatus.PENDING:
            return None
        if ipn.next_attempt_at is not None and ipn.next_attempt_at > clock.now():
            return None  # an early duplicate task; the one scheduled for next_attempt_at will send it
        ipn.attempts += 1
        ipn.save(update_fields=["attempts"])
        return ipn, ipn.attempts


def _record(ipn_id: int, attempt: VnpayIpnAttempt, *, acknowledged: bool) -> str:
    with transaction.atomic():
        ipn = VnpayIpn.objects.select_for_update().get(pk=ipn_id)
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
