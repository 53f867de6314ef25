"""The national payment platform ("Cổng DVC Quốc gia") end to end over real HTTP: the signed redirect →
the platform's own list of banks and e-wallets → "Xác nhận thanh toán" / "Hủy" → the notification
from the worker → the payment (seed 001, section II)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from civicpay.core.worker import run_until_idle
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.models import LedgerEntry, Payment
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers.base import provider_get
from civicpay.payments.services import payment_start
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import make_payment
from civicpay.sandbox.models import SignedTransaction

PLATFORM_LIST = ("Vietcombank", "VietinBank", "BIDV", "Agribank", "MB", "MoMo", "ZaloPay", "VNPay-QR", "ViettelPay")


@pytest.fixture
def live(live_server, transactional_db, settings, payable):
    settings.BASE_URL = live_server.url
    return str(live_server.url)


def start() -> tuple[Payment, str]:
    payment = make_payment(provider="national", start=False)
    result = payment_start(payment=payment, client_ip="203.0.113.5")
    payment.refresh_from_db()
    return payment, result.redirect_url


def test_the_payer_picks_a_bank_on_the_platform_and_confirms(live):
    payment, url = start()
    assert url.startswith(f"{live}/sandbox/national/pay?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert sp.verify(params, "civicpay-sandbox-national-secret-2026") and params["merchant_id"] == "CIVICPAY-DVCQG"

    client = Client()
    choose_url = client.get(url.removeprefix(live))["Location"]
    html = client.get(choose_url).content.decode()
    assert "Chọn ngân hàng hoặc ví điện tử" in html
    for name in PLATFORM_LIST:
        assert name in html
    assert "Chọn ngân hàng hoặc ví điện tử để thanh toán." in client.post(choose_url, {}).content.decode()

    confirm_url = client.post(choose_url, {"bank_code": "AGRIBANK"})["Location"]
    html = client.get(confirm_url).content.decode()
    assert "Xác nhận thanh toán" in html and "Hủy" in html and "Agribank" in html
    back = client.post(confirm_url)
    assert back.status_code == 302 and back["Location"].startswith(f"{live}/thanh-toan/national/return/?")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED

    run_until_idle()
    payment.refresh_from_db()
    assert (payment.status, payment.bank_code) == (PaymentStatus.SUCCESS, "AGRIBANK")
    assert LedgerEntry.objects.filter(payment=payment).count() == 1
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    result = client.get(back["Location"].removeprefix(live))
    assert result["Location"] == f"/thanh-toan/ket-qua/?ref={payment.reference}"


def test_the_payer_can_choose_again_or_cancel(live):
    payment, url = start()
    client = Client()
    choose_url = client.get(url.removeprefix(live))["Location"]
    confirm_url = client.post(choose_url, {"bank_code": "MOMO"})["Location"]
    assert "Chọn ngân hàng hoặc ví khác" in client.get(confirm_url).content.decode()
    client.post(choose_url, {"bank_code": "ZALOPAY"})
    assert SignedTransaction.objects.get().bank_code == "ZALOPAY"
    token = dict(parse_qsl(urlsplit(confirm_url).query))["token"]
    back = client.post(f"/sandbox/national/thanh-toan/huy/?token={token}")
    assert back["Location"].startswith(f"{live}/thanh-toan/national/return/")
    run_until_idle()
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == (PaymentStatus.CANCELLED, "24")
    assert not LedgerEntry.objects.exists()


def test_query_and_refund_on_the_platform(live):
    payment, url = start()
    client = Client()
    choose_url = client.get(url.removeprefix(live))["Location"]
    client.post(client.post(choose_url, {"bank_code": "VCB"})["Location"])
    adapter = provider_get("national")
    assert adapter.query(payment).status == PaymentStatus.SUCCESS
    run_until_idle()
    payment.refresh_from_db()
    assert adapter.refund(payment, amount=payment.amount, reason="Hoan phi", by="finance").accepted
    assert not adapter.refund(payment, amount=1_000, reason="Hoan phi", by="finance").accepted
