"""The simulated VietinBank's background work (queue ``sandbox``): running debits, and delivering the
teller's decisions on registrations to the merchant — signed afresh on every attempt, retried with
backoff until the merchant answers ``{"code": "00"}`` or ``"02"``.

Never from a browser request: the embedded server may have one thread, and a request calling its own
server would wait on itself. Payment notifications (card, debit, branch) are the signed engine's
(``civicpay.sandbox.signed.tasks``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

import httpx
from django.conf import settings
from django.db import transaction
from django.tasks import task

from civicpay.core import clock
from civicpay.payments.providers import signed_protocol as sp
from civicpay.sandbox.vietinbank.models import NoticeStatus, RegistrationNotice

logger = logging.getLogger(__name__)

ACKNOWLEDGED: Final = frozenset({"00", "02"})


def max_attempts() -> int:
    return int(getattr(settings, "SANDBOX_SIGNED_NOTIFY_MAX_ATTEMPTS", 5))


def backoff_delay(attempts: int) -> timedelta:
    base = float(getattr(settings, "SANDBOX_SIGNED_NOTIFY_RETRY_SECONDS", 10.0))
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


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
    return notice_send(notice_id)


def enqueue_notice(notice_id: int, *, run_after: datetime | None = None) -> None:
    delivery = deliver_notice if run_after is None else deliver_notice.using(run_after=run_after)
    delivery.enqueue(notice_id)


def notice_send(notice_id: int) -> str:
    from civicpay.sandbox.vietinbank.bank import GATEWAY
    from civicpay.sandbox.vietinbank.services import notice_fields

    with transaction.atomic():
        notice = (
            RegistrationNotice.objects.select_for_update().select_related("registration").filter(pk=notice_id).first()
        )
        if notice is None or notice.status != NoticeStatus.PENDING:
            return "skipped"
        if notice.next_attempt_at is not None and notice.next_attempt_at > clock.now():
            return "skipped"
        notice.attempts += 1
        notice.save(update_fields=["attempts"])
    registration = notice.registration
    http_status: int | None = None
    code = error = ""
    secret = GATEWAY.merchant_secret(registration.merchant_id)
    try:
        if secret is None:
            raise LookupError(f"merchant {registration.merchant_id} is no longer known")
        response = httpx.post(
            registration.notify_url,
            json=sp.signed(notice_fields(registration), secret),
            timeout=float(getattr(settings, "SANDBOX_SIGNED_NOTIFY_TIMEOUT_SECONDS", 10.0)),
            headers={"User-Agent": "CivicPay-Sandbox-vietinbank/1.0"},
        )
        http_status = response.status_code
        try:
            data = response.json()
            code = str(data.get("code", "")) if isinstance(data, dict) else ""
        except ValueError:
            code = ""
        if not response.is_success:
            error = f"HTTP {response.status_code}"
    except (httpx.HTTPError, LookupError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    acknowledged = http_status is not None and 200 <= http_status < 300 and code in ACKNOWLEDGED
    with transaction.atomic():
        notice = RegistrationNotice.objects.select_for_update().get(pk=notice_id)
        notice.last_http_status, notice.last_reply_code, notice.last_error = http_status, code[:10], error
        if acknowledged:
            notice.status, notice.delivered_at, notice.next_attempt_at = NoticeStatus.DELIVERED, clock.now(), None
        elif notice.attempts >= max_attempts():
            notice.status, notice.next_attempt_at = NoticeStatus.GAVE_UP, None
        else:
            notice.next_attempt_at = clock.now() + backoff_delay(notice.attempts)
            enqueue_notice(notice.pk, run_after=notice.next_attempt_at)
        notice.save()
    if not acknowledged:
        logger.info("VietinBank sandbox registration notice %s not acknowledged: %s %s", notice_id, code, error)
    return str(notice.status)
