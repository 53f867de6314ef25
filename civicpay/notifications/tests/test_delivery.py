"""Delivery end to end: outbox → task queue → worker → transport, with real servers on localhost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from civicpay.core import clock
from civicpay.core.models import AuditEntry
from civicpay.core.worker import run_pending_tasks
from civicpay.notifications.backends import DEV_MAILERS
from civicpay.notifications.models import Channel, DevMessage, OutboxMessage, Status
from civicpay.notifications.services import notification_send
from civicpay.notifications.tasks import _claim, enqueue_delivery, outbox_sweep
from civicpay.notifications.tests.servers import RecordingSmtpHandler, http_sms_gateway, smtp_server

# Real commits, so transaction.on_commit fires exactly as in production.
pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "Thông báo thu phí, lệ phí hồ sơ H26.0001"


def fast_forward() -> None:
    """Make every scheduled retry due now (as if the backoff had elapsed)."""
    DBTaskResult.objects.filter(status="READY").update(run_after=clock.now() - timedelta(seconds=1))
    OutboxMessage.objects.filter(status=Status.PENDING).update(next_attempt_at=clock.now() - timedelta(seconds=1))


def send_email(key: str = "notice:1:email", to: str = "cong.dan@example.vn") -> OutboxMessage:
    return notification_send(
        channel=Channel.EMAIL,
        to=to,
        subject=SUBJECT,
        body="Kính gửi ông/bà,\nMời thanh toán tại https://civicpay.example/thanh-toan/H26.0001",
        html_body="<p>Mời thanh toán</p>",
        key=key,
    )


@override_settings(MAILERS=DEV_MAILERS)
def test_email_is_delivered_to_the_dev_mailbox_once_however_often_it_is_sent():
    message = send_email()
    send_email()

    assert run_pending_tasks() == 1
    assert run_pending_tasks() == 0

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    caught = DevMessage.objects.get()
    assert (caught.channel, caught.to, caught.subject) == (Channel.EMAIL, "cong.dan@example.vn", SUBJECT)
    assert caught.html == "<p>Mời thanh toán</p>"
    assert caught.outbox_key == "notice:1:email"


@override_settings(SMS_BACKEND="devinbox")
def test_sms_is_delivered_to_the_dev_inbox():
    notification_send(channel=Channel.SMS, to="0912 345 678", body="Mã OTP của bạn là 123456", key="otp:1")

    run_pending_tasks()

    caught = DevMessage.objects.get()
    assert (caught.channel, caught.to, caught.body) == (Channel.SMS, "0912345678", "Mã OTP của bạn là 123456")


def test_a_message_already_sent_is_skipped_by_a_duplicate_task():
    message = notification_send(channel=Channel.SMS, to="0912345678", body="Đã thanh toán", key="dup")
    run_pending_tasks()

    enqueue_delivery(message.pk)
    run_pending_tasks()

    assert DevMessage.objects.count() == 1
    assert DBTaskResult.objects.filter(return_value="skipped").count() == 1


def test_an_invalid_email_address_fails_at_once_without_retry():
    message = send_email(to="khong-phai-email")

    run_pending_tasks()

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "Invalid e-mail address" in message.last_error
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert AuditEntry.objects.filter(action="notification.failed", target_id=str(message.pk)).exists()


def test_smtp_delivery_arrives_with_the_vietnamese_subject_and_the_idempotency_key():
    handler = RecordingSmtpHandler()
    with smtp_server(handler) as mailers, override_settings(MAILERS=mailers):
        send_email()
        run_pending_tasks()

    [received] = handler.messages
    assert received["Subject"] == SUBJECT
    assert received["To"] == "cong.dan@example.vn"
    assert received["X-CivicPay-Idempotency-Key"] == "notice:1:email"
    assert received["Message-ID"].endswith("@civicpay.local>")
    plain, html = received.get_body(("plain",)), received.get_body(("html",))
    assert plain is not None and html is not None
    assert "https://civicpay.example/thanh-toan/H26.0001" in plain.get_content()
    assert html.get_content().strip() == "<p>Mời thanh toán</p>"


def test_smtp_deferral_is_retried_with_backoff_then_delivered():
    handler = RecordingSmtpHandler(defer_first=1)
    with smtp_server(handler) as mailers, override_settings(MAILERS=mailers):
        message = send_email()
        before = clock.now()
        run_pending_tasks()

        message.refresh_from_db()
        assert message.status == Status.PENDING
        assert message.attempts == 1
        assert "451" in message.last_error
        assert message.next_attempt_at is not None
        assert timedelta(seconds=29) <= message.next_attempt_at - before <= timedelta(seconds=35)
        assert run_pending_tasks() == 0  # not due yet

        fast_forward()
        run_pending_tasks()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert len(handler.messages) == 1


def test_a_recipient_refused_by_the_smtp_server_fails_at_once():
    handler = RecordingSmtpHandler(refuse_recipients={"khong.ton.tai@example.vn"})
    with smtp_server(handler) as mailers, override_settings(MAILERS=mailers):
        message = send_email(to="khong.ton.tai@example.vn")
        run_pending_tasks()

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "550" in message.last_error


def test_http_sms_gateway_503_is_retried_then_200_delivers():
    with http_sms_gateway([(503, {"error": "busy"}), (200, {"id": "gw-42"})], token="bi-mat") as gateway:
        message = notification_send(channel=Channel.SMS, to="0912345678", body="Đã thanh toán 50.000 đ", key="pay:7")
        run_pending_tasks()
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.PENDING, 1)

        fast_forward()
        run_pending_tasks()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert len(gateway.requests) == 2
    request = gateway.requests[-1]
    assert request.headers["Authorization"] == "Bearer bi-mat"
    assert request.json == {
        "to": "0912345678",
        "text": "Đã thanh toán 50.000 đ",
        "sender": "CIVICPAY",
        "idempotency_key": "pay:7",
    }
    # The same key both times: the gateway can drop a resend after a crash.
    assert gateway.requests[0].json["idempotency_key"] == "pay:7"


@override_settings(NOTIFICATION_MAX_ATTEMPTS=3)
def test_after_the_maximum_attempts_the_message_fails_with_the_last_error():
    with http_sms_gateway([(503, {"error": "down"})]) as gateway:
        message = notification_send(channel=Channel.SMS, to="0912345678", body="x", key="pay:8")
        delays = []
        for _ in range(3):
            run_pending_tasks()
            message.refresh_from_db()
            if message.next_attempt_at:
                delays.append(round((message.next_attempt_at - clock.now()).total_seconds() / 10) * 10)
            fast_forward()

    assert message.status == Status.FAILED
    assert message.attempts == 3
    assert "503" in message.last_error
    assert len(gateway.requests) == 3
    assert delays == [30, 60]  # exponential backoff between the tries


def test_http_sms_gateway_4xx_fails_at_once():
    with http_sms_gateway([(400, {"error": "invalid sender"})]) as gateway:
        message = notification_send(channel=Channel.SMS, to="0912345678", body="x", key="pay:9")
        run_pending_tasks()
        run_pending_tasks()
    assert len(gateway.requests) == 1

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "400" in message.last_error


def test_unreachable_http_gateway_is_retryable():
    with override_settings(SMS_BACKEND="http", SMS_GATEWAY_URL="http://127.0.0.1:9/api/send", SMS_GATEWAY_TOKEN="t"):
        message = notification_send(channel=Channel.SMS, to="0912345678", body="x", key="pay:10")
        run_pending_tasks()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert "unreachable" in message.last_error


def test_a_stale_sending_claim_is_reclaimed_by_the_sweep_and_delivered_once():
    message = notification_send(channel=Channel.SMS, to="0912345678", body="Biên lai đã phát hành", key="crash")
    DBTaskResult.objects.all().delete()  # the worker took the task …
    assert _claim(message.pk) is not None  # … claimed the message, and died before sending.

    assert outbox_sweep() == 0  # a fresh claim belongs to a live worker
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=clock.now() - timedelta(minutes=10))

    assert outbox_sweep() == 1
    run_pending_tasks()
    outbox_sweep()
    run_pending_tasks()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert DevMessage.objects.filter(outbox_key="crash").count() == 1


def test_a_pending_message_whose_task_was_lost_is_requeued_by_the_sweep():
    message = notification_send(channel=Channel.SMS, to="0912345678", body="x", key="lost")
    DBTaskResult.objects.all().delete()  # crash between commit and enqueue

    assert outbox_sweep() == 0  # within the grace period: its task may simply not have run yet
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=clock.now() - timedelta(minutes=5))
    assert outbox_sweep() == 1
    assert outbox_sweep() == 0  # requeued once per grace period, not on every sweep

    run_pending_tasks()
    message.refresh_from_db()
    assert message.status == Status.SENT
