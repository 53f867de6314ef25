"""The storm for VietQR: one transfer notified 100 times, 20 at a time, each copy signed afresh (as a
bank's retries are) plus identical copies, as real concurrent HTTP requests against the live server →
one transfer, one success, one ledger entry, one SMS, one e-mail. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from civicpay.notifications.models import OutboxMessage
from civicpay.payments.ledger import ledger_balances
from civicpay.payments.models import IncomingTransfer, LedgerEntry, Payment, TransferReview
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import settle_due, storm
from civicpay.payments.tests.vietqr_helpers import NOTIFY_URL, bank_notification, make_vietqr_payment

FRESH_COPIES = 100
IDENTICAL_COPIES = 20
CONCURRENCY = 20


@pytest.fixture(autouse=True)
def quiet_httpx():
    logger = logging.getLogger("httpx")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def test_transfer_notification_storm_applies_once(live_server, transactional_db, payable):
    payment = make_vietqr_payment()
    bodies = [
        bank_notification(amount=payment.amount, payment=payment, bank_transaction_id="FT261122STORM001")
        for _ in range(FRESH_COPIES)
    ]
    bodies += [bodies[0]] * IDENTICAL_COPIES
    url = f"{live_server.url}{NOTIFY_URL}"

    responses = storm([{"method": "POST", "url": url, "json": body} for body in bodies], concurrency=CONCURRENCY)
    assert all(response.status_code == 200 for response in responses)
    replies = Counter(str(response.json()["code"]) for response in responses)

    settle_due()  # the worker settled beside the storm; this catches its last round
    assert replies["00"] == 1
    assert replies["02"] + replies["98"] == FRESH_COPIES + IDENTICAL_COPIES - 1
    assert replies["98"] >= IDENTICAL_COPIES - 1  # identical copies reuse a nonce
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and not payment.needs_reconciliation
    assert payable.success_calls == 1
    assert IncomingTransfer.objects.count() == 1 and not TransferReview.objects.exists()
    assert LedgerEntry.objects.count() == 1 and sum(ledger_balances().values()) == 0
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert OutboxMessage.objects.filter(channel="email").count() == 1
    assert Payment.objects.count() == 1
