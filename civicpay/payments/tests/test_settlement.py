"""Settling a success after it is committed (decision 0011): once, all or nothing, and never lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from civicpay.accounts.tests.factories import UserFactory
from civicpay.core.audit import audit_trail
from civicpay.core.tests.locks import attempt_while_held, skip_without_row_locks
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.models import ItemOutcome, Payment, PaymentItem
from civicpay.payments.registry import register_payable
from civicpay.payments.settlement import payment_settle, payments_settle_pending, settlement_grace
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import RecordingPayable, make_payment, spec, succeed

pytestmark = pytest.mark.django_db


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


def test_a_success_is_due_for_settlement_the_moment_it_commits(payable: RecordingPayable) -> None:
    payment = make_payment()
    succeed(payment)
    assert Payment.objects.filter(status=PaymentStatus.SUCCESS, settled_at__isnull=True).get() == payment
    assert payable.paid == {}  # the success's own transaction settled nothing

    assert payments_settle_pending() == 1
    payment.refresh_from_db()
    assert payment.settled_at is not None and payable.paid == {"1": payment.reference}
    assert [entry.action for entry in audit_trail(payment)][-2:] == ["payment.success", "payment.settled"]
    assert payments_settle_pending() == 0


def test_a_failed_settlement_leaves_nothing_half_done_and_is_retried_after_the_grace() -> None:
    crashing = Crashing(times=1)
    register_payable("test.crashing", crashing)
    payment = make_payment(replace(spec(), kind="test.crashing"))
    succeed(payment)
    assert payments_settle_pending() == 0  # it fails: its transaction rolls back as a whole

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and payment.settled_at is None
    assert crashing.paid == {} and not OutboxMessage.objects.exists()
    assert payment.items.get().outcome == ItemOutcome.PENDING
    assert payments_settle_pending() == 0  # not tried again every second
    assert crashing.failures_left == 0 and crashing.paid == {}

    later = timezone.now() + settlement_grace() + timedelta(seconds=1)
    assert payments_settle_pending(now=later) == 1
    payment.refresh_from_db()
    assert payment.settled_at is not None and crashing.paid == {"1": payment.reference}
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert payments_settle_pending(now=later) == 0


@pytest.mark.django_db(transaction=True)
def test_a_payment_another_worker_holds_is_skipped_not_waited_for(payable: RecordingPayable) -> None:
    skip_without_row_locks()
    payment = make_payment()
    with transaction.atomic():
        succeed(payment)
    outcomes = []

    def this_worker() -> None:
        Payment.objects.select_for_update().get(pk=payment.pk)
        outcomes.append(payment_settle(payment_id=payment.pk, skip_locked=True))  # under its own lock

    assert attempt_while_held(this_worker, payments_settle_pending) == 0  # the other one skipped it at once
    assert outcomes == ["settled"] and payable.success_calls == 1


def test_settling_again_or_a_payment_that_did_not_succeed_changes_nothing(payable: RecordingPayable) -> None:
    started = make_payment()
    assert payment_settle(payment_id=started.pk) == "not_successful"
    assert payment_settle(payment_id=10**9) == "missing"
    succeed(started)
    assert payment_settle(payment_id=started.pk) == "settled"
    assert payment_settle(payment_id=started.pk) == "already"
    assert payable.success_calls == 1 and OutboxMessage.objects.count() == 2


def test_the_payers_messages_belong_to_the_payers_account_when_there_is_one(payable: RecordingPayable) -> None:
    user = UserFactory.create()
    with_account = make_payment(user=user)
    without = make_payment(replace(spec(), payable_id="2"))
    for payment in (with_account, without):
        succeed(payment)

    assert payments_settle_pending() == 2

    def owners(payment: Payment) -> dict[str, int | None]:
        messages = OutboxMessage.objects.filter(key__startswith=f"payment:{payment.reference}:success:")
        return {message.channel: message.user_id for message in messages}

    assert owners(with_account) == {"sms": user.pk, "email": user.pk}
    assert owners(without) == {"sms": None, "email": None}
    assert {item.outcome for item in PaymentItem.objects.all()} == {ItemOutcome.SETTLED}
