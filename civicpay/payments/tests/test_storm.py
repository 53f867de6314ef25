"""The storm: 200 identical signed IPNs, 20 at a time, as real concurrent HTTP requests against the
live server → one success, one ledger entry, one SMS, one e-mail. Run on SQLite (the default) and on
PostgreSQL (``DATABASE_URL=postgres://…``); ``transactional_db`` because the server threads only see
committed data and commit their own transactions."""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from civicpay.notifications.models import OutboxMessage
from civicpay.payments.models import LedgerEntry, LedgerLine, Payment, ProviderCallback
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import ipn_params, make_payment

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

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=0)
    with httpx.Client(timeout=60, limits=limits) as client:

        def fire(_: int) -> str:
            response = client.get(url, params=params)
            assert response.status_code == 200, response.text
            return response.json()["RspCode"]

        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            replies = Counter(pool.map(fire, range(COPIES)))

    assert replies == {"00": 1, "02": COPIES - 1}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and not payment.needs_reconciliation
    assert payable.success_calls == 1 and payable.paid == {"1": payment.reference}
    assert LedgerEntry.objects.count() == 1 and LedgerLine.objects.count() == 3
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert OutboxMessage.objects.filter(channel="email").count() == 1
    callback = ProviderCallback.objects.get()
    assert callback.times_received == COPIES
    assert (callback.outcome, callback.reply_code) == ("applied", "00")
    assert Payment.objects.count() == 1
