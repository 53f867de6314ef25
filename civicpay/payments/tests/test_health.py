"""The payment queues' health: settlement lag, payments the sweeper should have closed, reconciliation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicpay.core.health import Status, health_run
from civicpay.payments.services import payment_expire_overdue
from civicpay.payments.settlement import payments_settle_pending
from civicpay.payments.tests.helpers import RecordingPayable, make_payment, succeed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lag_limits(settings):
    settings.HEALTH_LAG_WARN_SECONDS = 60
    settings.HEALTH_LAG_FAIL_SECONDS = 600
    settings.PAYMENT_EXPIRY_GRACE_MINUTES = 30


def check(name: str, *, after_seconds: float = 0):
    return next(r for r in health_run(now=timezone.now() + timedelta(seconds=after_seconds)) if r.name == name)


def test_a_success_waiting_for_settlement_grows_from_ok_to_warning_to_failure(payable: RecordingPayable):
    assert check("payments.settlement").figures == {"waiting": 0, "oldest_seconds": None}
    succeed(make_payment())
    succeed(make_payment())

    fresh = check("payments.settlement", after_seconds=5)
    assert fresh.status is Status.OK and fresh.figures["waiting"] == 2
    late = check("payments.settlement", after_seconds=120)
    assert late.status is Status.WARN and late.figures["oldest_seconds"] in range(119, 125)
    assert late.summary.startswith("2 giao dịch thành công chờ ghi nhận khoản thu; lâu nhất 1")
    assert check("payments.settlement", after_seconds=700).status is Status.FAIL

    assert payments_settle_pending() == 2  # a worker catches up: healthy again, however long it waited
    settled = check("payments.settlement", after_seconds=700)
    assert settled.status is Status.OK and settled.figures["waiting"] == 0


def test_a_payment_the_sweeper_should_have_expired_is_overdue(payable: RecordingPayable):
    payment = make_payment()
    past_expiry = (payment.expires_at - timezone.now()).total_seconds()
    assert check("payments.overdue", after_seconds=past_expiry + 60).status is Status.OK  # within the grace
    overdue = check("payments.overdue", after_seconds=past_expiry + 30 * 60 + 120)
    assert overdue.status is Status.WARN
    assert overdue.figures["pending"] == 1 and overdue.figures["overdue"] == 1
    assert overdue.figures["oldest_overdue_seconds"] in range(119, 125)
    assert check("payments.overdue", after_seconds=past_expiry + 30 * 60 + 700).status is Status.FAIL

    assert payment_expire_overdue(now=timezone.now() + timedelta(seconds=past_expiry + 31 * 60)) == 1
    assert check("payments.overdue", after_seconds=past_expiry + 30 * 60 + 700).figures["pending"] == 0


def test_a_late_success_flagged_for_reconciliation_is_a_warning_not_a_failure(payable: RecordingPayable):
    assert check("payments.reconciliation").status is Status.OK
    payment = make_payment()
    assert payment_expire_overdue(now=timezone.now() + timedelta(hours=2)) == 1
    succeed(payment)  # the gateway's success arrives after the payment expired: stored and flagged

    flagged = check("payments.reconciliation", after_seconds=10)
    assert flagged.status is Status.WARN and flagged.figures["flagged"] == 1
    assert flagged.summary.startswith("1 giao dịch cần đối soát")
    # Not a failure however long it waits: a person decides (settle or refund), nothing is stuck.
    assert check("payments.reconciliation", after_seconds=86_400).status is Status.WARN
