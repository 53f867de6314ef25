"""Delivery end to end: outbox (the queue) → the worker's job → transport, with real servers on localhost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from civicpay.core import clock
from civicpay.core.models import AuditEntry
from civicpay.core.tests.locks import attempt_while_held, skip_without_row_locks
from civicpay.core.worker import run_until_idle
from civicpay.notifications.backends import DEV_MAILERS
from civicpay.notifications.delivery import outbox_claim_due, outbox_deliver_due, outbox_sweep
from civicpay.notifications.models import Channel, DevMessage, OutboxMessage, Status
from civicpay.notifications.services import notification_send
from civicpay.notifications.tests.servers import RecordingSmtpHandler, http_sms_gateway, smtp_server

# Real commits: a message is due only once the transaction that wrote it has committed.
pytestmark = pytest.mark.django_db(transaction=True)

deliver = outbox_deliver_due

SUBJECT = "Thông báo thu phí, lệ phí hồ sơ H26.0001"


def fast_forward() -> None:
    """Make every scheduled retry due now (as if the backoff had elapsed)."""
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

    assert deliver() == 1
    assert deliver() == 0

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

    deliver()

    caught = DevMessage.objects.get()
    assert (caught.channel, caught.to, caught.body) == (Channel.SMS, "0912345678", "Mã OTP của bạn là 123456")


def test_a_claimed_message_is_not_claimed_again_and_is_delivered_once():
    message = notification_send(channel=Channel.SMS, to="0912345678", body="Đã thanh toán", key="dup")

    [claimed] = outbox_claim_due()
    assert (claimed.pk, claimed.status, claimed.attempts) == (message.pk, Status.SENDING, 1)
    assert outbox_claim_due() == []  # a second worker finds nothing due
    assert deliver() == 0

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENDING, 1)
    assert not DevMessage.objects.exists()


def test_messages_are_delivered_oldest_due_first_in_batches_until_none_is_left():
    for number in range(25):
        notification_send(channel=Channel.SMS, to="0912345678", body=f"Tin {number}", key=f"batch:{number}")
    OutboxMessage.objects.filter(key="batch:24").update(next_attempt_at=clock.now() - timedelta(minutes=1))

    assert [deliver(batch=10), deliver(batch=10), deliver(batch=10), deliver(batch=10)] == [10, 10, 5, 0]

    bodies = list(DevMessage.objects.order_by("id").values_list("body", flat=True))
    assert bodies == ["Tin 24", *(f"Tin {number}" for number in range(24))]
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_a_worker_stopped_mid_batch_gives_back_the_messages_it_did_not_try(monkeypatch):
    from civicpay.notifications import transports

    for number in range(3):
        notification_send(channel=Channel.SMS, to="0912345678", body=f"Tin {number}", key=f"stop:{number}")
    real_send = transports.transport_send
    sent: list[str] = []

    def stopped_on_the_second(message: OutboxMessage) -> None:
        if sent:
            raise KeyboardInterrupt  # the worker is stopped while sending
        real_send(message)
        sent.append(message.key)

    monkeypatch.setattr(transports, "transport_send", stopped_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        deliver()
    monkeypatch.undo()

    states = dict(OutboxMessage.objects.values_list("key", "status"))
    assert states == {"stop:0": Status.SENT, "stop:1": Status.SENDING, "stop:2": Status.PENDING}
    assert OutboxMessage.objects.get(key="stop:2").attempts == 0
    assert deliver() == 1  # stop:2 at once; stop:1 (in flight when stopped) waits for the sweep


def test_the_worker_delivers_what_a_committed_transaction_wrote():
    notification_send(channel=Channel.SMS, to="0912345678", body="Mã OTP của bạn là 654321", key="otp:worker")

    assert run_until_idle() >= 1

    assert DevMessage.objects.get().body == "Mã OTP của bạn là 654321"


def test_a_message_held_by_another_worker_is_skipped_not_waited_for():
    skip_without_row_locks()
    first = notification_send(channel=Channel.SMS, to="0912345678", body="Một", key="held:1")
    second = notification_send(channel=Channel.SMS, to="0912345678", body="Hai", key="held:2")

    claimed = attempt_while_held(
        lambda: OutboxMessage.objects.select_for_update().get(pk=first.pk),
        lambda: [message.pk for message in outbox_claim_due()],
        timeout=10,
    )

    assert claimed == [second.pk]


def test_an_invalid_email_address_fails_at_once_without_retry():
    message = send_email(to="khong-phai-email")

    deliver()

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "Invalid e-mail address" in message.last_error
    assert message.next_attempt_at is None
    assert deliver() == 0
    assert AuditEntry.objects.filter(action="notification.failed", target_id=str(message.pk)).exists()


def test_smtp_delivery_arrives_with_the_vietnamese_subject_and_the_idempotency_key():
    handler = RecordingSmtpHandler()
    with smtp_server(handler) as mailers, override_settings(MAILERS=mailers):
        send_email()
        deliver()

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
        deliver()

        message.refresh_from_db()
        assert message.status == Status.PENDING
        assert message.attempts == 1
        assert "451" in message.last_error
        assert message.next_attempt_at is not None
        assert timedelta(seconds=29) <= message.next_attempt_at - before <= timedelta(seconds=35)
        assert deliver() == 0  # not due yet

        fast_forward()
        deliver()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert len(handler.messages) == 1


def test_a_recipient_refused_by_the_smtp_server_fails_at_once():
    handler = RecordingSmtpHandler(refuse_recipients={"khong.ton.tai@example.vn"})
    with smtp_server(handler) as mailers, override_settings(MAILERS=mailers):
        message = send_email(to="khong.ton.tai@example.vn")
        deliver()

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "550" in message.last_error


def test_http_sms_gateway_503_is_retried_then_200_delivers():
    with http_sms_gateway([(503, {"error": "busy"}), (200, {"id": "gw-42"})], token="bi-mat") as gateway:
        message = notification_send(channel=Channel.SMS, to="0912345678", body="Đã thanh toán 50.000 đ", key="pay:7")
        deliver()
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.PENDING, 1)

        fast_forward()
        deliver()

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
            deliver()
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
        deliver()
        deliver()
    assert len(gateway.requests) == 1

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "400" in message.last_error


def test_unreachable_http_gateway_is_retryable():
    with override_settings(SMS_BACKEND="http", SMS_GATEWAY_URL="http://127.0.0.1:9/api/send", SMS_GATEWAY_TOKEN="t"):
        message = notification_send(channel=Channel.SMS, to="0912345678", body="x", key="pay:10")
        deliver()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert "unreachable" in message.last_error


def test_a_stale_sending_claim_is_reclaimed_by_the_sweep_and_delivered_once():
    message = notification_send(channel=Channel.SMS, to="0912345678", body="Biên lai đã phát hành", key="crash")
    assert outbox_claim_due() != []  # a worker claimed the message, and died before sending

    assert outbox_sweep() == 0  # a fresh claim belongs to a live worker
    assert deliver() == 0
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=clock.now() - timedelta(minutes=10))

    assert outbox_sweep() == 1
    deliver()
    outbox_sweep()
    deliver()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert DevMessage.objects.filter(outbox_key="crash").count() == 1
