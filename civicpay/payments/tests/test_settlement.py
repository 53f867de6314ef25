"""Settling a success after it is committed (decision 0011): once, all or nothing, and never lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from civicpay.core.audit import audit_trail
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.models import ItemOutcome, Payment, PaymentItem
from civicpay.payments.providers.base import Outcome
from civicpay.payments.registry import register_payable
from civicpay.payments.services import payment_record_outcome
from civicpay.payments.settlement import payment_settle, payments_settle_overdue
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import RecordingPayable, make_payment, settle_due, spec

pytestmark = pytest.mark.django_db


def succeed(payment: Payment) -> None:
    outcome = Outcome(
        provider="vnpay",
        reference=payment.reference,
        amount=payment.amount,
        status=PaymentStatus.SUCCESS,
        code="00",
        transaction_no="14422574",
        paid_at=timezone.now(),
    )
    payment_record_outcome(payment=payment, outcome=outcome, source="ipn")


class Crashing(RecordingPayable):
    """Fails like a bug or a lost database connection would, the first ``times`` calls."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.failures_left = times

    def on_success(self, *, item: PaymentItem, payment: Payment) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("the database went away")
        super().on_success(item=item, payment=payment)


def test_the_success_and_its_settlement_task_commit_together(payable: RecordingPayable) -> None:
    payment = make_payment()
    succeed(payment)
    task = DBTaskResult.objects.get(task_path="civicpay.payments.settlement.settle_payment")
    assert task.args_kwargs == {"args": [payment.pk], "kwargs": {}}
    assert settle_due() == 1
    payment.refresh_from_db()
    assert payment.settled_at is not None and payable.paid == {"1": payment.reference}
    assert [entry.action for entry in audit_trail(payment)][-2:] == ["payment.success", "payment.settled"]


def test_a_failed_settlement_leaves_nothing_half_done_and_is_retried() -> None:
    crashing = Crashing(times=1)
    register_payable("test.crashing", crashing)
    payment = make_payment(replace(spec(), kind="test.crashing"))
    succeed(payment)
    settle_due()  # the task fails: its transaction rolls back as a whole

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and payment.settled_at is None
    assert crashing.paid == {} and not OutboxMessage.objects.exists()
    assert payment.items.get().outcome == ItemOutcome.PENDING
    assert payments_settle_overdue() == 0  # within the grace period: the task may still be on its way

    Payment.objects.filter(pk=payment.pk).update(completed_at=timezone.now() - timedelta(minutes=5))
    assert payments_settle_overdue() == 1
    assert settle_due() == 1
    payment.refresh_from_db()
    assert payment.settled_at is not None and crashing.paid == {"1": payment.reference}
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert payments_settle_overdue() == 0


def test_a_lost_task_is_found_by_the_sweep(payable: RecordingPayable) -> None:
    payment = make_payment()
    succeed(payment)
    DBTaskResult.objects.all().delete()  # e.g. someone purged the task table
    Payment.objects.filter(pk=payment.pk).update(completed_at=timezone.now() - timedelta(minutes=5))
    assert payments_settle_overdue() == 1
    settle_due()
    assert payable.paid == {"1": payment.reference}


def test_settling_again_or_a_payment_that_did_not_succeed_changes_nothing(payable: RecordingPayable) -> None:
    started = make_payment()
    assert payment_settle(payment_id=started.pk) == "not_successful"
    assert payment_settle(payment_id=10**9) == "missing"
    succeed(started)
    assert payment_settle(payment_id=started.pk) == "settled"
    assert payment_settle(payment_id=started.pk) == "already"
    assert payable.success_calls == 1 and OutboxMessage.objects.count() == 2
