"""The storm: 200 identical signed IPNs, 20 at a time, as real concurrent HTTP requests against the
live server → one success, one ledger entry, one SMS, one e-mail. Run on SQLite (the default) and on
PostgreSQL (``DATABASE_URL=postgres://…``); ``transactional_db`` because the server threads only see
committed data and commit their own transactions."""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from civicpay.notifications.models import OutboxMessage
from civicpay.payments.models import LedgerEntry, LedgerLine, Payment, ProviderCallback
from civicpay.payments.providers.base import provider_get
from civicpay.payments.services import payment_record_outcome
from civicpay.payments.settlement import payment_settle
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import ipn_params, make_payment, settle_due, storm

COPIES = 200
CONCURRENCY = 20


@pytest.fixture(autouse=True)
def quiet_httpx():
    """httpx logs every request at INFO: 200 lines of noise on a failure."""
    logger = logging.getLogger("httpx")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def test_ipn_storm_applies_once(live_server, transactional_db, payable):
    payment = make_payment()
    params = ipn_params(payment)
    url = f"{live_server.url}/thanh-toan/vnpay/ipn/"

    # The worker runs beside the storm, as in production: it settles the payment while copies still arrive.
    responses = storm([{"method": "GET", "url": url, "params": params}] * COPIES, concurrency=CONCURRENCY)
    assert all(response.status_code == 200 for response in responses)
    replies = Counter(response.json()["RspCode"] for response in responses)
    settle_due()  # in case the storm ended before the worker's next round

    assert replies == {"00": 1, "02": COPIES - 1}
    payment.refresh_from_db()
    assert payment.settled_at is not None
    assert payment.status == PaymentStatus.SUCCESS and not payment.needs_reconciliation
    assert payable.success_calls == 1 and payable.paid == {"1": payment.reference}
    assert LedgerEntry.objects.count() == 1 and LedgerLine.objects.count() == 3
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert OutboxMessage.objects.filter(channel="email").count() == 1
    callback = ProviderCallback.objects.get()
    assert callback.times_received == COPIES
    assert (callback.outcome, callback.reply_code) == ("applied", "00")
    assert Payment.objects.count() == 1


def test_concurrent_settlements_settle_once(transactional_db, payable):
    """Eight workers pick up the same settlement at once (a re-enqueued task, two worker processes):
    the payment's lock and ``settled_at`` let exactly one of them settle."""
    payment = make_payment()
    outcome = provider_get("vnpay").parse_return(ipn_params(payment))  # the same signed fields as the IPN
    payment_record_outcome(payment=payment, outcome=outcome, source="test")

    def settle(_: int) -> str:
        try:
            return payment_settle(payment_id=payment.pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = Counter(pool.map(settle, range(8)))
    assert results == {"settled": 1, "already": 7}
    assert payable.success_calls == 1
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
