"""Delivering the MoMo sandbox's IPNs: POST JSON from the worker, retried like a gateway does.

Never from the payer's browser request: finishing a payment only writes ``MomoIpn`` rows and enqueues
``deliver_momo_ipn`` on the ``sandbox`` queue; the worker (``civicpay.core.worker``) sends them. The
claim → send → record loop with its backoff is ``civicpay.sandbox.notify``; MoMo's part is here: the
IPN is the signed result POSTed as JSON, each attempt is logged as a ``MomoIpnAttempt`` row, and MoMo
reads only the HTTP status: 204 (its documented answer) or 200 stop the retries; anything else —
another status, a timeout, a refused connection — is retried, up to ``IPN_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

import httpx
from django.conf import settings
from django.tasks import task

from civicpay.sandbox import notify
from civicpay.sandbox.models import MomoIpn, MomoIpnAttempt

logger = logging.getLogger(__name__)

IPN_MAX_ATTEMPTS: Final = 5
ACKNOWLEDGED_STATUSES: Final = frozenset({200, 204})


@task(queue_name="sandbox")
def deliver_momo_ipn(ipn_id: int) -> str:
    """Send one IPN once; returns ``delivered``, ``pending`` (will retry), ``gave_up`` or ``skipped``."""
    return IPN.send(ipn_id)


def enqueue_ipn(ipn_id: int, *, run_after: datetime | None = None) -> None:
    """Queue the delivery inside the caller's transaction: the task row commits with the IPN row."""
    IPN.enqueue(ipn_id, run_after=run_after)


def _request(ipn: MomoIpn) -> notify.Request:
    """MoMo gives the merchant 15 seconds to answer (result-handling/notification)."""
    return notify.Request(
        url=ipn.url,
        json=ipn.transaction.result_params,
        timeout=float(getattr(settings, "SANDBOX_MOMO_IPN_TIMEOUT_SECONDS", 15)),
        user_agent="CivicPay-MoMo-Sandbox/2",
    )


def _read(response: httpx.Response) -> notify.Verdict:
    if response.status_code in ACKNOWLEDGED_STATUSES:
        return notify.Verdict("", "", accepted=True)
    return notify.Verdict("", f"HTTP {response.status_code} (MoMo expects 204)", accepted=False)


def _record(ipn: MomoIpn, attempt: notify.Attempt) -> None:
    MomoIpnAttempt.objects.create(ipn=ipn, outcome=ipn.status, **attempt.fields())


IPN: Final = notify.Delivery(
    model=MomoIpn,
    task=deliver_momo_ipn,
    request=_request,
    read=_read,
    record=_record,
    max_attempts=lambda: IPN_MAX_ATTEMPTS,
    retry_base_seconds=lambda: float(getattr(settings, "SANDBOX_MOMO_IPN_RETRY_SECONDS", 10)),
    select_related=("transaction",),
    logger=logger,
    log="MoMo sandbox IPN %(id)s attempt %(number)s not acknowledged: %(error)s",
)
