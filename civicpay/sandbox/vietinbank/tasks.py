"""The simulated VietinBank's background work (queue ``sandbox``): running debits, and delivering the
teller's decisions on registrations to the merchant — signed afresh on every attempt, retried with
backoff until the merchant answers ``{"code": "00"}`` or ``"02"`` (the loop is ``civicpay.sandbox.notify``;
the notice keeps only its last attempt: HTTP status, reply code, error).

Never from a browser request: the embedded server may have one thread, and a request calling its own
server would wait on itself. Payment notifications (card, debit, branch) are the signed engine's
(``civicpay.sandbox.signed.tasks``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

import httpx
from django.tasks import task

from civicpay.payments.providers import signed_protocol as sp
from civicpay.sandbox import notify
from civicpay.sandbox.signed.tasks import max_attempts, retry_base_seconds, timeout_seconds
from civicpay.sandbox.vietinbank.models import RegistrationNotice

logger = logging.getLogger(__name__)


@task(queue_name="sandbox")
def process_debit(txn_id: int) -> str:
    """Run one accepted debit (a moment after the bank answered the merchant's request)."""
    from civicpay.sandbox.vietinbank.services import debit_process

    return debit_process(txn_id=txn_id).status


def enqueue_debit(txn_id: int) -> None:
    process_debit.enqueue(txn_id)


@task(queue_name="sandbox")
def deliver_notice(notice_id: int) -> str:
    """Send one registration decision once; ``delivered``, ``pending`` (will retry), ``gave_up``, ``skipped``."""
    return NOTICE.send(notice_id)


def enqueue_notice(notice_id: int, *, run_after: datetime | None = None) -> None:
    NOTICE.enqueue(notice_id, run_after=run_after)


def _request(notice: RegistrationNotice) -> notify.Request:
    from civicpay.sandbox.vietinbank.bank import GATEWAY
    from civicpay.sandbox.vietinbank.services import notice_fields

    registration = notice.registration
    secret = GATEWAY.merchant_secret(registration.merchant_id)
    if secret is None:
        raise LookupError(f"merchant {registration.merchant_id} is no longer known")
    return notify.Request(
        url=registration.notify_url,
        json=sp.signed(notice_fields(registration), secret),
        timeout=timeout_seconds(),
        user_agent="CivicPay-Sandbox-vietinbank/1.0",
    )


def _record(notice: RegistrationNotice, attempt: notify.Attempt) -> None:
    notice.last_http_status, notice.last_reply_code, notice.last_error = (
        attempt.http_status,
        attempt.code[:10],
        attempt.error,
    )
    notice.save(update_fields=["last_http_status", "last_reply_code", "last_error"])


NOTICE: Final = notify.Delivery(
    model=RegistrationNotice,
    task=deliver_notice,
    request=_request,
    read=notify.json_code("code"),
    record=_record,
    max_attempts=max_attempts,
    retry_base_seconds=retry_base_seconds,
    select_related=("registration",),
    errors=(httpx.HTTPError, LookupError),
    error_limit=500,
    logger=logger,
    log="VietinBank sandbox registration notice %(id)s not acknowledged: %(code)s %(error)s",
)
