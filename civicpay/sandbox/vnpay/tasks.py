"""Delivering the VNPay sandbox's IPNs: server to server, from the worker, retried like a gateway does.

Never from the payer's browser request: completing a payment only writes ``VnpayIpn`` rows and enqueues
``deliver_ipn``; the worker (``civicpay.core.worker``) sends them. The claim → send → record loop with
its backoff is ``civicpay.sandbox.notify``; VNPay's part is here: the IPN is a *GET* of the IPN URL with
the signed result in its query, each attempt is logged as a ``VnpayIpnAttempt`` row, and the merchant
acknowledges with ``{"RspCode": "00"}`` (stored) or ``"02"`` (already confirmed); anything else — an
HTTP error, a timeout, another code, a reply that is not JSON — is retried, up to ``IPN_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from django.conf import settings
from django.tasks import task

from civicpay.payments.providers.vnpay_protocol import HASH_FIELD, hash_data
from civicpay.sandbox import notify
from civicpay.sandbox.models import VnpayIpn, VnpayIpnAttempt

logger = logging.getLogger(__name__)

IPN_MAX_ATTEMPTS: Final = 5


def signed_query(params: Mapping[str, str]) -> str:
    """The query string VNPay appends to the IPN and return URLs: sorted, PHP-encoded, hash last."""
    return f"{hash_data(params)}&{HASH_FIELD}={params[HASH_FIELD]}"


def url_with_params(url: str, params: Mapping[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{signed_query(params)}"


@task(queue_name="sandbox")
def deliver_ipn(ipn_id: int) -> str:
    """Send one IPN once; returns ``delivered``, ``pending`` (will retry), ``gave_up`` or ``skipped``."""
    return IPN.send(ipn_id)


def enqueue_ipn(ipn_id: int, *, run_after: datetime | None = None) -> None:
    """Queue ``deliver_ipn`` inside the caller's transaction (the task row commits with the ``VnpayIpn``)."""
    IPN.enqueue(ipn_id, run_after=run_after)


def _request(ipn: VnpayIpn) -> notify.Request:
    return notify.Request(
        method="GET",
        url=url_with_params(ipn.url, ipn.transaction.result_params),
        timeout=float(getattr(settings, "SANDBOX_VNPAY_IPN_TIMEOUT_SECONDS", 10)),
        user_agent="CivicPay-VNPay-Sandbox/2.1.0",
    )


def _record(ipn: VnpayIpn, attempt: notify.Attempt) -> None:
    VnpayIpnAttempt.objects.create(ipn=ipn, outcome=ipn.status, rsp_code=attempt.code[:10], **attempt.fields())


IPN: Final = notify.Delivery(
    model=VnpayIpn,
    task=deliver_ipn,
    request=_request,
    read=notify.json_code("RspCode", missing='the reply has no RspCode (JSON {"RspCode", "Message"} expected)'),
    record=_record,
    max_attempts=lambda: IPN_MAX_ATTEMPTS,
    retry_base_seconds=lambda: float(getattr(settings, "SANDBOX_VNPAY_IPN_RETRY_SECONDS", 10)),
    select_related=("transaction",),
    logger=logger,
    log="VNPay sandbox IPN %(id)s attempt %(number)s not acknowledged: %(code)s %(error)s",
)
