"""The VietinBank sandbox from the outside: a merchant's signed requests, the payer's card pages, the teller's
counter, and the notifications it sends (to a real HTTP server on localhost standing in for the merchant)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.core import clock
from civicpay.core.worker import run_pending_tasks
from civicpay.payments.providers import signed_protocol as sp
from civicpay.sandbox.models import SignedNotification, SignedTransaction
from civicpay.sandbox.vietinbank import bank
from civicpay.sandbox.vietinbank.models import BankRegistration, RegistrationStatus

pytestmark = pytest.mark.django_db

MERCHANT = "CIVICPAY-VTB"
SECRET = "civicpay-sandbox-vietinbank-secret-2026"
RETURN_URL = "https://civicpay.example/thanh-toan/vietinbank/return/"


class Merchant:
    """A merchant's notification endpoint on localhost: records each body, answers ``reply``."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, str]] = []
        self.reply = {"code": "00", "message": "Confirm Success"}
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                merchant.bodies.append(json.loads(self.rfile.read(length)))
                data = json.dumps(merchant.reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def merchant() -> Iterator[Merchant]:
    server = Merchant()
    yield server
    server.server.shutdown()


def pay_path(
    order_id: str = "PAY261122ABCDEFGHJK", amount: int = 210_000, notify_url: str = "https://m.example/n/"
) -> str:
    params = {
        "merchant_id": MERCHANT,
        "order_id": order_id,
        "amount": amount,
        "currency": "VND",
        "order_info": "Thanh toan le phi",
        "method": "card",
        "return_url": RETURN_URL,
        "notify_url": notify_url,
        "locale": "vi",
    }
    return sp.build_redirect(reverse("sandbox:vietinbank:pay"), params, SECRET)


def token_of(response) -> str:
    return dict(parse_qsl(urlsplit(response["Location"]).query))["token"]


def step(name: str, token: str) -> str:
    return f"{reverse(f'sandbox:vietinbank:{name}')}?{urlencode({'token': token})}"


def walk_to_otp(client: Client, number: str = "9704150000000018", **kwargs: Any) -> str:
    token = token_of(client.get(pay_path(**kwargs)))
    assert client.post(step("bank", token), {"bank_code": "VIETINBANK"}).status_code == 302
    card = {"card_number": number, "card_holder": "NGUYEN VAN A", "issue_date": "07/15"}
    response = client.post(step("card", token), card)
    assert response.status_code == 302 and "dieu-khoan" in response["Location"]
    assert "CHẤP NHẬN" in client.get(step("terms", token)).content.decode()
    assert client.post(step("terms", token)).status_code == 302
    return token


def returned(response) -> dict[str, str]:
    assert response.status_code == 302 and response["Location"].startswith(RETURN_URL)
    params = dict(parse_qsl(urlsplit(response["Location"]).query))
    assert sp.verify(params, SECRET)
    return params


def test_card_with_otp_succeeds_and_keeps_only_the_mask(client):
    token = walk_to_otp(client)
    page = client.get(step("otp", token)).content.decode()
    assert "Nhập mã OTP" in page and "970415******0018" in page
    wrong = client.post(step("otp", token), {"otp": "000000"})
    assert "Bạn còn 2 lần thử" in wrong.content.decode()
    params = returned(client.post(step("otp", token), {"otp": bank.TEST_OTP}))
    assert (params["status"], params["result_code"], params["card_masked"]) == ("success", "00", "970415******0018")
    txn = SignedTransaction.objects.get(token=token)
    assert "9704150000000018" not in json.dumps([txn.request_params, txn.payer_account])
    assert SignedNotification.objects.filter(transaction=txn).count() == 1


def test_insufficient_funds_card(client):
    token = walk_to_otp(client, number="9704150000000026")
    params = returned(client.post(step("otp", token), {"otp": bank.TEST_OTP}))
    assert (params["status"], params["result_code"]) == ("failed", "51")


def test_three_wrong_otps_end_with_13(client):
    token = walk_to_otp(client)
    client.post(step("otp", token), {"otp": "111111"})
    client.post(step("otp", token), {"otp": "222222"})
    params = returned(client.post(step("otp", token), {"otp": "333333"}))
    assert (params["status"], params["result_code"]) == ("failed", "13")


def test_card_form_errors_keep_answers(client):
    token = token_of(client.get(pay_path()))
    client.post(step("bank", token), {"bank_code": "VIETINBANK"})
    response = client.post(
        step("card", token), {"card_number": "9704 1500", "card_holder": "Nguyễn Văn A", "issue_date": "13/15"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    for message in ("16 chữ số viết liền", "không dấu", "từ 01 đến 12"):
        assert message in page
    unknown = client.post(
        step("card", token), {"card_number": "9704150000000018", "card_holder": "TRAN VAN B", "issue_date": "07/15"}
    )
    assert "Thông tin thẻ không đúng" in unknown.content.decode()


def test_cancel_returns_24(client):
    token = token_of(client.get(pay_path()))
    params = returned(client.post(step("cancel", token)))
    assert (params["status"], params["result_code"]) == ("cancelled", "24")


def test_forged_redirect_is_refused(client):
    path = pay_path().replace("amount=210000", "amount=1000")
    response = client.get(path)
    assert response.status_code == 400 and "Giao dịch không hợp lệ" in response.content.decode()


def test_notification_is_sent_resigned_until_acknowledged(client, merchant, settings):
    settings.SANDBOX_SIGNED_NOTIFY_RETRY_SECONDS = 0
    token = walk_to_otp(client, notify_url=merchant.url)
    client.post(step("otp", token), {"otp": bank.TEST_OTP})
    merchant.reply = {"code": "99", "message": "Unknown error"}
    run_pending_tasks(max_tasks=1)
    merchant.reply = {"code": "00", "message": "Confirm Success"}
    run_pending_tasks()
    assert len(merchant.bodies) == 2
    first, second = merchant.bodies
    assert first["nonce"] != second["nonce"] and all(sp.verify(b, SECRET) for b in merchant.bodies)
    assert SignedNotification.objects.get().status == "delivered"


# --- the API and the teller -----------------------------------------------------------------------


def api(client: Client, name: str, fields: dict[str, Any], secret: str = SECRET) -> dict[str, str]:
    body = sp.signed({"merchant_id": MERCHANT, **fields}, secret)
    response = client.post(reverse(f"sandbox:vietinbank:api_{name}"), json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    return response.json()


def registration_fields(notify_url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "registration_id": "DK261122ABCDEFGH",
        "organisation_name": "Công ty TNHH Sao Mai",
        "tax_code": "4201234566",
        "address": "Nha Trang",
        "representative_name": "Trần Thị Bích Ngọc",
        "account_number": "102010000051",
        "account_holder": "CONG TY TNHH SAO MAI",
        "notify_url": notify_url,
        **overrides,
    }


def test_api_refuses_forged_and_stale_requests(client):
    forged = api(client, "registration", registration_fields("https://m.example/n/"), secret="nope")
    assert forged["code"] == "97" and "signature" not in forged
    stale = api(client, "registration", registration_fields("https://m.example/n/", timestamp=sp.now_ts() - 900))
    assert stale["code"] == "98" and sp.verify(stale, SECRET)
    assert not BankRegistration.objects.exists()


def test_registration_at_the_teller_then_debit(client, merchant):
    answer = api(client, "registration", registration_fields(merchant.url))
    assert answer["code"] == "00" and sp.verify(answer, SECRET)
    assert answer["registration_id"] == "DK261122ABCDEFGH"
    assert api(client, "registration", registration_fields(merchant.url))["bank_reference"] == answer["bank_reference"]
    debit = {
        "order_id": "PAY1",
        "registration_id": "DK261122ABCDEFGH",
        "account_number": "102010000051",
        "amount": 630_000,
    }
    assert api(client, "debit", {**debit, "notify_url": merchant.url})["code"] == "14"  # not approved yet

    teller = client.get(reverse("sandbox:vietinbank:teller")).content.decode()
    assert "Công ty TNHH Sao Mai" in teller and "Duyệt" in teller
    registration = BankRegistration.objects.get()
    assert client.post(reverse("sandbox:vietinbank:reject", args=[registration.pk]), {"reason": ""}).status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING  # a rejection needs a reason
    client.post(reverse("sandbox:vietinbank:approve", args=[registration.pk]))
    run_pending_tasks()
    notice = merchant.bodies[-1]
    assert (notice["status"], notice["registration_id"]) == ("approved", "DK261122ABCDEFGH") and sp.verify(
        notice, SECRET
    )

    assert api(client, "debit", {**debit, "notify_url": merchant.url, "account_number": "999"})["code"] == "03"
    assert api(client, "debit", {**debit, "notify_url": merchant.url})["code"] == "00"
    assert api(client, "debit", {**debit, "notify_url": merchant.url})["code"] == "01"  # order id used
    run_pending_tasks()
    outcome = merchant.bodies[-1]
    assert (outcome["order_id"], outcome["status"], outcome["result_code"]) == ("PAY1", "failed", "51")


def test_branch_bill_collected_at_the_counter_or_expired(client, merchant):
    deadline = clock.now() + timedelta(days=3)
    bill = {"order_id": "PAY261122BRANCH01", "amount": 420_000, "notify_url": merchant.url, "payer_name": "Công ty A"}
    assert api(client, "bill", {**bill, "expires_at": clock.now().isoformat()})["code"] == "03"  # already past
    assert api(client, "bill", {**bill, "expires_at": deadline.isoformat()})["payment_code"] == "PAY261122BRANCH01"
    found = client.get(reverse("sandbox:vietinbank:collect"), {"code": "pay261122branch01"}).content.decode()
    assert "420.000" in found and "Xác nhận đã thu tiền" in found
    client.post(reverse("sandbox:vietinbank:collect"), {"code": "PAY261122BRANCH01"})
    run_pending_tasks()
    assert (merchant.bodies[-1]["status"], merchant.bodies[-1]["method"]) == ("success", "branch")

    api(client, "bill", {**bill, "order_id": "PAY261122BRANCH02", "expires_at": deadline.isoformat()})
    txn = SignedTransaction.objects.get(order_id="PAY261122BRANCH02")
    txn.request_params["expires_at"] = (clock.now() - timedelta(minutes=1)).isoformat()
    txn.save()
    client.post(reverse("sandbox:vietinbank:collect"), {"code": "PAY261122BRANCH02"})
    txn.refresh_from_db()
    assert (txn.status, txn.result_code) == ("failed", "11")
    assert client.get(reverse("sandbox:vietinbank:collect"), {"code": "NOPE"}).status_code == 200


def test_test_accounts_are_documented():
    assert [bank.debit_result_for(number).result_code for number, _ in bank.TEST_ACCOUNTS] == ["00", "51", "14"]
