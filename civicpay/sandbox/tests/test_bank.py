"""The sandbox bank: "Chuyển tiền" records a transfer and the worker notifies over real HTTP — a local
scripted server for the delivery rules, the live platform for the end-to-end effect."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from civicpay.core import clock
from civicpay.core.worker import run_pending_tasks
from civicpay.payments.models import IncomingTransfer, TransferReview
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers import vietqr
from civicpay.sandbox.bank.models import NotificationAttempt, NotificationStatus, SentTransfer
from civicpay.sandbox.bank.tasks import MAX_ATTEMPTS

SEND = reverse("sandbox:bank:send")
OK = {"code": "00", "message": "Confirm Success"}


class PlatformServer:
    """A notification endpoint on localhost: records POSTed JSON, answers scripted (status, body)."""

    def __init__(self, answers: list[tuple[int, Any]]) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                outer.bodies.append(json.loads(self.rfile.read(length)))
                status, payload = outer.answers[min(len(outer.bodies), len(outer.answers)) - 1]
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/thanh-toan/vietqr/notify/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PlatformServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def transfer_form(**changes: str) -> dict[str, str]:
    return {
        "qr_payload": "",
        "account": "113000002026",
        "amount": "210000",
        "memo": "CP261122K7QX2M9HVA",
        "sender_name": "NGUYEN VAN AN",
        "sender_account": "0123456789",
        **changes,
    }


def fast_forward() -> None:
    DBTaskResult.objects.filter(status="READY").update(run_after=clock.now() - timedelta(seconds=1))
    SentTransfer.objects.filter(status=NotificationStatus.PENDING).update(
        next_attempt_at=clock.now() - timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_the_form_page_and_its_validation(client: Client):
    page = client.get(SEND)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Chuyển tiền" in text and settings.VIETQR_ACCOUNT_NO in text  # the demo account is prefilled
    response = client.post(SEND, transfer_form(account="", amount="12.000đ", sender_name="", sender_account="12"))
    assert response.status_code == 400
    body = response.content.decode()
    for message in (
        "Nhập số tài khoản nhận.",
        "Nhập số tiền bằng chữ số",
        "Nhập tên người chuyển.",
        "Số tài khoản chuyển gồm 6 đến 19 chữ số.",
    ):
        assert message in body
    assert 'value="12.000đ"' in body  # answers kept
    assert SentTransfer.objects.count() == 0


@pytest.mark.django_db
def test_a_pasted_vietqr_code_fills_account_amount_and_memo(client: Client):
    payload = vietqr.build(bank_bin="970415", account="113000002026", amount=210000, purpose="CP261122K7QX2M9HVA")
    form = transfer_form(qr_payload=payload, account="", amount="", memo="")
    assert client.post(SEND, form).status_code == 302
    sent = SentTransfer.objects.get()
    assert (sent.account, sent.amount, sent.memo) == ("113000002026", 210000, "CP261122K7QX2M9HVA")
    assert client.post(SEND, transfer_form(amount="1.250.000")).status_code == 302
    assert SentTransfer.objects.latest("pk").amount == 1_250_000
    bad = client.post(SEND, transfer_form(qr_payload=payload.replace("210000", "210001")))
    assert bad.status_code == 400 and "không phải mã VietQR hợp lệ" in bad.content.decode()


@pytest.mark.django_db
def test_the_worker_sends_a_signed_notification_not_the_request(client: Client):
    with PlatformServer([(200, OK)]) as platform, override_settings(SANDBOX_BANK_NOTIFY_URL=platform.url):
        response = client.post(SEND, transfer_form(memo=""))
        assert response.status_code == 302 and response["Location"] == reverse("sandbox:bank:transfers")
        assert platform.bodies == []  # the browser's request sent nothing
        assert run_pending_tasks(queue_names=["sandbox"]) == 1

    body = platform.bodies[0]
    assert sp.verify(body, settings.VIETQR_NOTIFY_SECRET)
    sp.check_fresh(body)
    sent = SentTransfer.objects.get()
    assert body["bank_transaction_id"] == sent.bank_transaction_id and sent.bank_transaction_id.startswith("FT")
    assert (body["account"], body["amount"], body["sender_name"]) == ("113000002026", "210000", "NGUYEN VAN AN")
    assert "memo" not in body  # an empty memo is not sent (signed gateway protocol drops empty values)
    assert body["transferred_at"].endswith("+07:00")
    assert (sent.status, sent.attempts) == (NotificationStatus.DELIVERED, 1)
    attempt = NotificationAttempt.objects.get()
    assert (attempt.http_status, attempt.reply_code, attempt.outcome) == (200, "00", NotificationStatus.DELIVERED)
    log = client.get(reverse("sandbox:bank:transfers")).content.decode()
    assert sent.bank_transaction_id in log and "Đã được xác nhận" in log


@pytest.mark.django_db
def test_failures_are_retried_with_backoff_each_signed_afresh(client: Client):
    answers = [(500, "oops"), (200, {"code": "99"}), (200, {"code": "02", "message": "already"})]
    with PlatformServer(answers) as platform, override_settings(SANDBOX_BANK_NOTIFY_URL=platform.url):
        client.post(SEND, transfer_form())
        before = clock.now()
        run_pending_tasks()
        sent = SentTransfer.objects.get()
        assert (sent.status, sent.attempts) == (NotificationStatus.PENDING, 1)
        assert sent.next_attempt_at is not None
        assert timedelta(seconds=9) <= sent.next_attempt_at - before <= timedelta(seconds=15)
        assert run_pending_tasks() == 0  # not due yet
        fast_forward()
        run_pending_tasks()
        fast_forward()
        run_pending_tasks()

    assert len(platform.bodies) == 3
    assert len({b["nonce"] for b in platform.bodies}) == 3  # a retry is not a replay
    assert len({b["bank_transaction_id"] for b in platform.bodies}) == 1
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.DELIVERED
    log = list(NotificationAttempt.objects.values_list("number", "http_status", "reply_code", "outcome"))
    assert log == [
        (1, 500, "", NotificationStatus.PENDING),
        (2, 200, "99", NotificationStatus.PENDING),
        (3, 200, "02", NotificationStatus.DELIVERED),
    ]


@pytest.mark.django_db
def test_an_unreachable_platform_is_given_up_after_five_attempts(client: Client):
    with override_settings(SANDBOX_BANK_NOTIFY_URL="http://127.0.0.1:9/thanh-toan/vietqr/notify/"):
        client.post(SEND, transfer_form())
        for _ in range(MAX_ATTEMPTS):
            fast_forward()
            run_pending_tasks()
    sent = SentTransfer.objects.get()
    assert (sent.status, sent.attempts) == (NotificationStatus.GAVE_UP, MAX_ATTEMPTS)
    assert all(a.error for a in NotificationAttempt.objects.all())


@pytest.mark.django_db(transaction=True)
def test_end_to_end_against_the_live_platform_and_a_second_delivery(live_server, client: Client):
    with override_settings(SANDBOX_BANK_NOTIFY_URL=f"{live_server.url}/thanh-toan/vietqr/notify/"):
        client.post(SEND, transfer_form(memo="Nop tien", amount="75000"))
        run_pending_tasks()
        sent = SentTransfer.objects.get()
        assert sent.status == NotificationStatus.DELIVERED
        transfer = IncomingTransfer.objects.get()
        assert (transfer.bank_transaction_id, transfer.amount) == (sent.bank_transaction_id, 75000)
        assert TransferReview.objects.get().reason == "no_code"

        assert client.post(reverse("sandbox:bank:renotify", args=[sent.pk])).status_code == 302
        run_pending_tasks()
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.DELIVERED
    assert list(NotificationAttempt.objects.values_list("number", "reply_code")) == [(1, "00"), (2, "02")]
    assert IncomingTransfer.objects.count() == 1 and TransferReview.objects.count() == 1
