"""The storm for MoMo: 200 identical signed IPNs (POST JSON), 20 at a time, as real concurrent HTTP
requests against the live server → one success, one ledger entry, one SMS, one e-mail, and every copy
answered 204 (MoMo stops resending). Same approach as ``test_storm.py``; runs on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from civicpay.notifications.models import OutboxMessage
from civicpay.payments.ledger import ledger_balances
from civicpay.payments.models import LedgerEntry, LedgerLine, Payment, ProviderCallback
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import make_payment, settle_due, storm
from civicpay.payments.tests.momo_helpers import signed_ipn

COPIES = 200
CONCURRENCY = 20


@pytest.fixture(autouse=True)
def quiet_httpx():
    logger = logging.getLogger("httpx")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def test_momo_ipn_storm_applies_once(live_server, transactional_db, payable):
    payment = make_payment(start=False, provider="momo")  # created: the IPN moves it through started
    body = signed_ipn(payment)
    url = f"{live_server.url}/thanh-toan/momo/ipn/"

    responses = storm([{"method": "POST", "url": url, "json": body}] * COPIES, concurrency=CONCURRENCY)
    replies = Counter(response.status_code for response in responses)

    settle_due()  # the worker settled beside the storm; this catches its last round
    assert replies == {204: COPIES}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and not payment.needs_reconciliation
    assert payable.success_calls == 1 and payable.paid == {"1": payment.reference}
    assert LedgerEntry.objects.count() == 1 and LedgerLine.objects.count() == 3
    assert sum(ledger_balances().values()) == 0
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert OutboxMessage.objects.filter(channel="email").count() == 1
    callback = ProviderCallback.objects.get()
    assert callback.times_received == COPIES
    assert (callback.outcome, callback.reply_code) == ("applied", "204")
    assert Payment.objects.count() == 1
