"""The outbox's health: a message late for delivery, and messages that gave up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from civicpay.core import clock
from civicpay.core.health import Status, health_run
from civicpay.notifications.backends import DEV_MAILERS
from civicpay.notifications.delivery import outbox_deliver_due
from civicpay.notifications.models import Channel, OutboxMessage
from civicpay.notifications.models import Status as MessageStatus
from civicpay.notifications.services import notification_send

pytestmark = pytest.mark.django_db(transaction=True)  # a message is due once its transaction committed


@pytest.fixture(autouse=True)
def lag_limits(settings):
    settings.HEALTH_LAG_WARN_SECONDS = 60
    settings.HEALTH_LAG_FAIL_SECONDS = 600


def outbox(after_seconds: float = 0):
    (result,) = health_run(now=clock.now() + timedelta(seconds=after_seconds), names=["notifications.outbox"])
    return result


def send_sms(key: str) -> OutboxMessage:
    return notification_send(channel=Channel.SMS, to="0912345678", body="CivicPay: da thanh toan", key=key)


@override_settings(MAILERS=DEV_MAILERS)
def test_a_message_nobody_delivers_is_late_then_critical_and_delivery_clears_it():
    send_sms("health-1")
    assert outbox(after_seconds=5).status is Status.OK
    late = outbox(after_seconds=90)
    assert late.status is Status.WARN and late.figures["due"] == 1
    assert late.summary.startswith("1 tin nhắn, thư đến hạn gửi đang chờ; lâu nhất 9")
    assert outbox(after_seconds=700).status is Status.FAIL

    assert outbox_deliver_due() == 1
    assert outbox(after_seconds=700).figures == {"due": 0, "oldest_due_seconds": None, "failed_last_day": 0}


def test_a_retry_waiting_for_its_back_off_is_not_late():
    message = send_sms("health-2")
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=2, next_attempt_at=clock.now() + timedelta(minutes=5))
    assert outbox(after_seconds=200).status is Status.OK
    assert outbox(after_seconds=300 + 90).status is Status.WARN


def test_a_message_that_gave_up_is_a_warning():
    message = send_sms("health-3")
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, next_attempt_at=None)
    result = outbox()
    assert result.status is Status.WARN and result.figures["failed_last_day"] == 1
    assert "1 tin nhắn, thư gửi thất bại trong 24 giờ qua." in result.summary
