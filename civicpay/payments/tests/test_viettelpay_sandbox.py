"""ViettelPay end to end over real HTTP: the adapter's signed redirect → the sandbox's pages (wallet,
BankPlus, ATM card) → the notification POSTed by the worker (``run_pending_tasks``) to the live
server → the payment; plus query, refund, retries and the sandbox's refusals.

Platform and sandbox share the live server, as in the embedded default, and talk only over HTTP.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from civicpay.core import clock
from civicpay.core.worker import run_pending_tasks
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.models import LedgerEntry, Payment, ProviderCallback
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers.base import provider_get
from civicpay.payments.services import payment_start, payment_sweep_stuck
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import make_payment, settle_due
from civicpay.sandbox.models import SignedNotification, SignedNotificationAttempt, SignedTransaction

OTP = "123456"


@pytest.fixture
def live(live_server, transactional_db, settings, payable):
    """BASE_URL is the live server, so VIETTELPAY_GATEWAY_URL="" reaches the built-in sandbox."""
    settings.BASE_URL = live_server.url
    return str(live_server.url)


def start(method: str) -> tuple[Payment, str]:
    payment = make_payment(provider="viettelpay", method=method, start=False)
    result = payment_start(payment=payment, client_ip="203.0.113.5")
    payment.refresh_from_db()
    return payment, result.redirect_url


def path_of(url: str, live: str) -> str:
    return url.removeprefix(live)


def follow(client: Client, url: str, live: str):
    """GET ``url`` (the pay redirect) and return the page the payer lands on, and its path."""
    response = client.get(path_of(url, live))
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    return client.get(location), location


def finish_ok(client: Client, page_url: str, data: dict[str, str], live: str) -> str:
    response = client.post(page_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith(f"{live}/thanh-toan/viettelpay/return/?")
    return response["Location"]


def test_the_redirect_is_signed_for_the_sandbox(live):
    payment, url = start("wallet")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{live}/sandbox/viettelpay/pay"
    params = dict(parse_qsl(parts.query))
    assert sp.verify(params, "civicpay-sandbox-viettelpay-secret-2026")
    assert params["order_id"] == payment.reference and params["amount"] == "210000"
    assert params["method"] == "wallet" and params["currency"] == "VND"
    assert params["notify_url"] == f"{live}/thanh-toan/viettelpay/ipn/"
    assert params["return_url"] == f"{live}/thanh-toan/viettelpay/return/"


def test_wallet_success_end_to_end(live):
    payment, url = start("wallet")
    client = Client()
    page, wallet_url = follow(client, url, live)
    assert "/sandbox/viettelpay/thanh-toan/vi/" in wallet_url
    assert "Xác nhận thanh toán bằng ví ViettelPay" in page.content.decode()
    back = finish_ok(client, wallet_url, {"phone": "0987000001", "pin": "123456"}, live)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED  # the browser's return is never proof of payment
    assert not ProviderCallback.objects.exists()  # nothing was sent inside the payer's request

    assert run_pending_tasks(queue_names=["sandbox"]) == 1
    notification = SignedNotification.objects.get()
    attempt = SignedNotificationAttempt.objects.get()
    assert (notification.status, attempt.http_status, attempt.reply_code) == ("delivered", 200, "00")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert payment.provider_transaction_no == SignedTransaction.objects.get().transaction_id
    assert LedgerEntry.objects.filter(payment=payment).count() == 1
    settle_due()
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert OutboxMessage.objects.filter(channel="email").count() == 1

    result = client.get(path_of(back, live))
    assert result.status_code == 302 and result["Location"] == f"/thanh-toan/ket-qua/?ref={payment.reference}"


def test_wallet_with_insufficient_balance_fails_with_reason(live):
    payment, url = start("wallet")
    client = Client()
    _page, wallet_url = follow(client, url, live)
    finish_ok(client, wallet_url, {"phone": "0987000051", "pin": "123456"}, live)
    run_pending_tasks()
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "51")
    assert payment.failure_message == "Tài khoản không đủ số dư để thực hiện giao dịch"
    assert not LedgerEntry.objects.exists()


def test_wallet_form_errors_and_pin_lockout(live):
    payment, url = start("wallet")
    client = Client()
    _page, wallet_url = follow(client, url, live)
    page = client.post(wallet_url, {"phone": "0911", "pin": "12"}).content.decode()
    assert "Số điện thoại gồm 10 chữ số, bắt đầu bằng 0." in page and "Mã PIN gồm 6 chữ số." in page
    page = client.post(wallet_url, {"phone": "0900000000", "pin": "123456"}).content.decode()
    assert "Số điện thoại chưa đăng ký ví ViettelPay." in page
    page = client.post(wallet_url, {"phone": "0987000001", "pin": "000000"}).content.decode()
    assert "Bạn còn 2 lần thử" in page
    client.post(wallet_url, {"phone": "0987000001", "pin": "000000"})
    finish_ok(client, wallet_url, {"phone": "0987000001", "pin": "000000"}, live)
    run_pending_tasks()
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "79")


def test_bankplus_lists_the_banks_then_otp(live):
    payment, url = start("bankplus")
    client = Client()
    page, bank_url = follow(client, url, live)
    html = page.content.decode()
    assert "Khách hàng có tài khoản BankPlus của các ngân hàng sau:" in html
    for bank in ("Vietcombank", "BIDV", "VietinBank", "MB", "TPBank"):
        assert bank in html
    assert "Chọn ngân hàng." in client.post(bank_url, {}).content.decode()
    response = client.post(bank_url, {"bank_code": "BIDV"})
    assert response.status_code == 302 and "/thanh-toan/otp/" in response["Location"]
    otp_url = response["Location"]
    assert "Mã OTP gồm 6 chữ số." in client.post(otp_url, {"otp": "12"}).content.decode()
    finish_ok(client, otp_url, {"otp": OTP}, live)
    run_pending_tasks()
    payment.refresh_from_db()
    assert (payment.status, payment.bank_code, payment.card_type) == (PaymentStatus.SUCCESS, "BIDV", "bankplus")


def test_atm_card_is_validated_then_otp(live):
    payment, url = start("atm")
    client = Client()
    _page, card_url = follow(client, url, live)
    page = client.post(
        card_url, {"card_number": "9704 0000 0000 001", "card_holder": "Nguyễn Văn A", "issue_date": "13/18"}
    ).content.decode()
    assert "Số thẻ gồm 16 hoặc 19 chữ số." in page
    assert "Tên chủ thẻ viết không dấu" in page
    assert "Tháng phát hành phải từ 01 đến 12." in page
    page = client.post(
        card_url, {"card_number": "9704000000000018", "card_holder": "nguyen van a", "issue_date": "0318"}
    ).content.decode()
    assert "Tên chủ thẻ viết in hoa" in page and "Ngày phát hành có dạng MM/YY" in page
    response = client.post(
        card_url, {"card_number": "9704 0000 0000 0018", "card_holder": "NGUYEN VAN A", "issue_date": "03/18"}
    )
    assert response.status_code == 302 and "/thanh-toan/otp/" in response["Location"]
    finish_ok(client, response["Location"], {"otp": OTP}, live)
    run_pending_tasks()
    payment.refresh_from_db()
    assert (payment.status, payment.card_masked, payment.card_type) == (
        PaymentStatus.SUCCESS,
        "970400xxxxxx0018",
        "atm",
    )
    # The platform never sees the card number: only the mask the gateway returns.
    for callback in ProviderCallback.objects.all():
        assert "9704000000000018" not in str(callback.raw)
    assert "9704000000000018" not in str(SignedTransaction.objects.values().get())


def test_atm_card_without_funds_and_otp_lockout(live):
    payment, url = start("atm")
    client = Client()
    _page, card_url = follow(client, url, live)
    otp_url = client.post(
        card_url, {"card_number": "9704000000000051", "card_holder": "NGUYEN VAN A", "issue_date": "03/18"}
    )["Location"]
    finish_ok(client, otp_url, {"otp": OTP}, live)

    other, url2 = start("atm")
    _page, card_url2 = follow(client, url2, live)
    otp_url2 = client.post(
        card_url2, {"card_number": "9704000000000018", "card_holder": "NGUYEN VAN A", "issue_date": "03/18"}
    )["Location"]
    client.post(otp_url2, {"otp": "000000"})
    client.post(otp_url2, {"otp": "000000"})
    finish_ok(client, otp_url2, {"otp": "000000"}, live)
    run_pending_tasks()
    payment.refresh_from_db()
    other.refresh_from_db()
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "51")
    assert (other.status, other.failure_code) == (PaymentStatus.FAILED, "13")


def test_cancel_from_any_step(live):
    payment, url = start("atm")
    client = Client()
    _page, card_url = follow(client, url, live)
    token = dict(parse_qsl(urlsplit(card_url).query))["token"]
    response = client.post(f"/sandbox/viettelpay/thanh-toan/huy/?token={token}")
    assert response.status_code == 302 and response["Location"].startswith(f"{live}/thanh-toan/viettelpay/return/")
    run_pending_tasks()
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == (PaymentStatus.CANCELLED, "24")
    # The finished transaction shows its outcome and the way back.
    assert "Giao dịch đã kết thúc" in client.get(card_url).content.decode()


def test_query_and_refund_through_the_adapter(live):
    payment, url = start("wallet")
    adapter = provider_get("viettelpay")
    assert adapter.query(payment).not_found  # the payer has not reached the gateway yet
    client = Client()
    _page, wallet_url = follow(client, url, live)
    pending = adapter.query(payment)
    assert pending.status is None and not pending.not_found and pending.code == "07"
    finish_ok(client, wallet_url, {"phone": "0987000001", "pin": "123456"}, live)
    outcome = adapter.query(payment)
    assert (outcome.status, outcome.amount, outcome.reference) == (PaymentStatus.SUCCESS, 210_000, payment.reference)
    run_pending_tasks()
    payment.refresh_from_db()

    refund = adapter.refund(payment, amount=60_000, reason="Hoan le phi", by="finance")
    assert refund.accepted and refund.code == "00" and refund.transaction_no.startswith("RF")
    too_much = adapter.refund(payment, amount=160_000, reason="Hoan phi", by="finance")
    assert not too_much.accepted and too_much.code == "04"
    assert SignedTransaction.objects.get().refunded == 60_000

    unknown = make_payment(provider="viettelpay", method="wallet")
    assert adapter.query(unknown).not_found


def test_the_sweeper_finds_a_success_whose_notification_never_arrived(live):
    payment, url = start("wallet")
    client = Client()
    _page, wallet_url = follow(client, url, live)
    finish_ok(client, wallet_url, {"phone": "0987000001", "pin": "123456"}, live)
    DBTaskResult.objects.all().delete()  # the notification is lost
    Payment.objects.filter(pk=payment.pk).update(started_at=clock.now() - timedelta(minutes=10))
    report = payment_sweep_stuck()
    assert (report.queried, report.applied) == (1, 1)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS


def test_notifications_are_retried_with_backoff_and_signed_afresh(live):
    payment, url = start("wallet")
    client = Client()
    _page, wallet_url = follow(client, url, live)
    finish_ok(client, wallet_url, {"phone": "0987000001", "pin": "123456"}, live)
    SignedNotification.objects.update(url="http://127.0.0.1:9/unreachable")
    before = clock.now()
    run_pending_tasks()
    notification = SignedNotification.objects.get()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.next_attempt_at is not None
    assert timedelta(seconds=9) <= notification.next_attempt_at - before <= timedelta(seconds=15)
    assert run_pending_tasks() == 0  # not due yet

    SignedNotification.objects.update(url=f"{live}/thanh-toan/viettelpay/ipn/", next_attempt_at=clock.now())
    DBTaskResult.objects.filter(status="READY").update(run_after=clock.now() - timedelta(seconds=1))
    assert run_pending_tasks(queue_names=["sandbox"]) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("delivered", 2)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS


def test_the_sandbox_refuses_bad_redirects(live, settings):
    payment, url = start("wallet")
    client = Client()
    params = dict(parse_qsl(urlsplit(url).query))
    secret = settings.SANDBOX_VIETTELPAY_SECRET

    def open_with(fields: dict[str, str], key: str = secret):
        return client.get("/sandbox/viettelpay/pay", sp.signed(fields, key))

    base = {k: v for k, v in params.items() if k not in ("timestamp", "nonce", "signature")}
    assert "Sai chữ ký" in client.get("/sandbox/viettelpay/pay", {**params, "amount": "1"}).content.decode()
    assert "(merchant_id)" in open_with({**base, "merchant_id": "SOMEONE"}).content.decode()
    stale = open_with({**base, "timestamp": str(sp.now_ts() - 600)})
    assert stale.status_code == 400 and "Yêu cầu đã hết hạn" in stale.content.decode()
    assert "amount phải là số nguyên dương" in open_with({**base, "amount": "-5"}).content.decode()
    assert "method=cash" in open_with({**base, "method": "cash"}).content.decode()

    first = client.get(path_of(url, live))
    again = client.get(path_of(url, live))  # the payer pressed Back: the same transaction resumes
    assert first["Location"] == again["Location"]
    finish_ok(client, first["Location"], {"phone": "0987000001", "pin": "123456"}, live)
    reopened = client.get(path_of(url, live))
    assert reopened.status_code == 400 and "Mã lỗi: 01" in reopened.content.decode()
    assert SignedTransaction.objects.count() == 1 and payment.reference == SignedTransaction.objects.get().order_id


def test_method_page_when_the_merchant_did_not_choose(live, settings):
    client = Client()
    fields = {
        "merchant_id": settings.SANDBOX_VIETTELPAY_MERCHANT_ID,
        "order_id": "ORDER-NO-METHOD",
        "amount": "50000",
        "currency": "VND",
        "return_url": f"{live}/thanh-toan/viettelpay/return/",
        "notify_url": f"{live}/thanh-toan/viettelpay/ipn/",
    }
    response = client.get("/sandbox/viettelpay/pay", sp.signed(fields, settings.SANDBOX_VIETTELPAY_SECRET))
    method_url = response["Location"]
    html = client.get(method_url).content.decode()
    for label in ("Ví ViettelPay", "BankPlus", "Thẻ ATM nội địa"):
        assert label in html
    assert "Chọn hình thức thanh toán." in client.post(method_url, {}).content.decode()
    response = client.post(method_url, {"method": "atm"})
    assert "/thanh-toan/the-atm/" in response["Location"]
    # Back to the method page: another option can be chosen.
    response = client.post(method_url, {"method": "wallet"})
    assert "/thanh-toan/vi/" in response["Location"]
    assert SignedTransaction.objects.get().method == "wallet"


def test_transactions_log_page(live):
    payment, url = start("wallet")
    client = Client()
    _page, wallet_url = follow(client, url, live)
    finish_ok(client, wallet_url, {"phone": "0987000001", "pin": "123456"}, live)
    run_pending_tasks()
    html = client.get("/sandbox/viettelpay/giao-dich/").content.decode()
    assert payment.reference in html and "Đã gửi" in html
    txn = SignedTransaction.objects.get()
    response = client.post(f"/sandbox/viettelpay/giao-dich/{txn.pk}/gui-lai/")
    assert response.status_code == 302
    run_pending_tasks()
    assert SignedNotificationAttempt.objects.filter(reply_code="02").count() == 1
