"""The duplicate storm for a signed-gateway provider: 200 identical signed notifications, 20 at a time,
as real concurrent HTTP requests against the live server → one success, one ledger entry, one SMS,
one e-mail (the approach of test_storm.py). Every copy after the first is a replay (same nonce)."""

from __future__ import annotations

import json
import logging
from collections import Counter

import pytest

from civicpay.notifications.models import OutboxMessage
from civicpay.payments.models import LedgerEntry, LedgerLine, Payment, ProviderCallback, ProviderNonce
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import make_payment, settle_due, storm
from civicpay.payments.tests.signed_helpers import notification

COPIES = 200
CONCURRENCY = 20


@pytest.fixture(autouse=True)
def quiet_httpx():
    logger = logging.getLogger("httpx")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


METHODS = {"viettelpay": "wallet", "national": "", "vietinbank": "CARD"}


@pytest.mark.parametrize("provider", sorted(METHODS))
def test_notification_storm_applies_once(live_server, transactional_db, payable, provider):
    payment = make_payment(provider=provider, method=METHODS[provider])
    body = json.dumps(notification(payment), ensure_ascii=False).encode()
    url = f"{live_server.url}/thanh-toan/{provider}/ipn/"

    request = {"method": "POST", "url": url, "content": body, "headers": {"Content-Type": "application/json"}}
    responses = storm([request] * COPIES, concurrency=CONCURRENCY)
    assert all(response.status_code == 200 for response in responses)
    replies = Counter(str(response.json()["code"]) for response in responses)

    settle_due()  # the worker settled beside the storm; this catches its last round
    assert replies == {"00": 1, "98": COPIES - 1}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and not payment.needs_reconciliation
    assert payable.success_calls == 1 and payable.paid == {"1": payment.reference}
    assert LedgerEntry.objects.count() == 1 and LedgerLine.objects.count() == 3
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert OutboxMessage.objects.filter(channel="email").count() == 1
    callback = ProviderCallback.objects.get()
    assert callback.times_received == COPIES
    assert (callback.outcome, callback.reply_code) == ("applied", "00")
    assert ProviderNonce.objects.count() == 1
    assert Payment.objects.count() == 1


def test_storm_of_fresh_copies_applies_once(live_server, transactional_db, payable):
    """A gateway retrying hard re-signs each copy (new nonce): one 00, the rest 02 (already confirmed)."""
    payment = make_payment(provider="viettelpay", method="wallet")
    bodies = [json.dumps(notification(payment)).encode() for _ in range(60)]
    url = f"{live_server.url}/thanh-toan/viettelpay/ipn/"
    headers = {"Content-Type": "application/json"}
    requests = [{"method": "POST", "url": url, "content": body, "headers": headers} for body in bodies]
    replies = Counter(str(response.json()["code"]) for response in storm(requests, concurrency=CONCURRENCY))

    settle_due()  # the worker settled beside the storm; this catches its last round
    assert replies == {"00": 1, "02": 59}
    assert LedgerEntry.objects.count() == 1 and payable.success_calls == 1
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert ProviderCallback.objects.count() == 60 and ProviderNonce.objects.count() == 60
