"""The MoMo sandbox's JSON API: MoMo's paths, its checks and result codes, signed answers."""

from __future__ import annotations

import pytest

from civicpay.payments.providers import momo_protocol as momo
from civicpay.sandbox.models import MomoTransaction
from civicpay.sandbox.tests.momo_helpers import PARTNER, api, create, create_body, keys, pay_path

pytestmark = pytest.mark.django_db


def test_create_answers_a_signed_pay_url(client):
    answer = create(client)
    access_key, secret = keys()
    assert answer["resultCode"] == 0 and answer["orderId"] == "HS0001-1" and answer["amount"] == 210_000
    assert momo.verify(momo.CREATE_RESPONSE_FIELDS, answer, access_key=access_key, secret=secret)
    assert answer["payUrl"].startswith("http://testserver/sandbox/momo/v2/gateway/pay?t=")
    assert answer["deeplink"].startswith("momo://app?") and "isScanQR=true" in answer["qrCodeUrl"]
    txn = MomoTransaction.objects.get()
    assert (txn.ipn_url, txn.is_finished) == ("http://127.0.0.1:9/thanh-toan/momo/ipn/", False)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (lambda: create_body(partnerCode="SOMEONE"), 13, "partnerCode"),
        (lambda: {**create_body(), "amount": 1_000}, 20, "signature"),  # changed after signing
        (lambda: {**create_body(), "signature": ""}, 20, "signature"),
        (lambda: create_body(requestType="payWithATM"), 20, "requestType"),
        (lambda: create_body(orderId="HS 0001"), 20, "orderId"),
        (lambda: create_body(ipnUrl="/relative"), 20, "ipnUrl"),
        (lambda: create_body(amount="mười nghìn"), 21, "amount"),
        (lambda: create_body(amount=999), 22, "amount"),
        (lambda: create_body(amount=50_000_001), 22, "amount"),
        (lambda: [1, 2, 3], 20, ""),
    ],
)
def test_create_refusals(client, body, code, field):
    status, answer = api(client, "create", body())
    assert (status, answer["resultCode"]) == (400, code)
    assert answer["message"] == momo.message_for(code)
    if field:
        assert answer["subErrors"][0]["field"] == field
    assert not MomoTransaction.objects.exists()


def test_duplicate_request_and_order_ids(client):
    create(client)
    assert api(client, "create", create_body(order_id="HS0001-2", request_id="HS0001-1-r"))[1]["resultCode"] == 40
    assert api(client, "create", create_body(request_id="another"))[1]["resultCode"] == 41
    assert MomoTransaction.objects.count() == 1


def query(client, order_id: str, **overrides):
    access_key, secret = keys()
    body = momo.query_request(
        partner_code=PARTNER, access_key=access_key, secret=secret, request_id="q-1", order_id=order_id
    )
    return api(client, "query", {**body, **overrides})


def test_query_open_paid_and_unknown(client):
    answer = create(client)
    access_key, secret = keys()
    status, open_ = query(client, "HS0001-1")
    assert (status, open_["resultCode"], open_["transId"]) == (200, 1000, 0)
    assert momo.verify(momo.QUERY_RESPONSE_FIELDS, open_, access_key=access_key, secret=secret)
    client.post(pay_path(answer), {"wallet": "0912345678", "action": "confirm"})
    paid = query(client, "HS0001-1")[1]
    assert (paid["resultCode"], paid["amount"], paid["payType"]) == (0, 210_000, "qr") and paid["transId"] > 0
    assert query(client, "NOPE")[1]["resultCode"] == 42
    status, forged = query(client, "HS0001-1", signature="0" * 64)
    assert (status, forged["resultCode"]) == (400, 20)


def refund(client, *, trans_id: int | None, amount: int, order_id: str = "HS0001-1-R1", request_id: str = "rr-1"):
    access_key, secret = keys()
    body = momo.refund_request(
        partner_code=PARTNER, access_key=access_key, secret=secret, request_id=request_id,
        order_id=order_id, amount=amount, trans_id=trans_id or 0, description="Hoàn lệ phí",
    )  # fmt: skip
    return api(client, "refund", body)


def test_refunds(client):
    answer = create(client)
    client.post(pay_path(answer), {"wallet": "0912345678", "action": "confirm"})
    txn = MomoTransaction.objects.get()
    access_key, secret = keys()
    status, ok = refund(client, trans_id=txn.trans_id, amount=60_000)
    assert (status, ok["resultCode"]) == (200, 0) and ok["transId"] > txn.trans_id
    assert momo.verify(momo.REFUND_RESPONSE_FIELDS, ok, access_key=access_key, secret=secret)
    assert refund(client, trans_id=txn.trans_id, amount=60_000)[1]["resultCode"] == 41  # same refund orderId
    assert refund(client, trans_id=txn.trans_id, amount=150_001, order_id="R2")[1]["resultCode"] == 1081
    assert refund(client, trans_id=txn.trans_id, amount=150_000, order_id="R3")[1]["resultCode"] == 0
    assert refund(client, trans_id=123, amount=1_000, order_id="R4")[1]["resultCode"] == 42
    txn.refresh_from_db()
    assert txn.refunded == 210_000 and txn.refunds.count() == 2


def test_refund_of_a_declined_payment(client):
    answer = create(client)
    client.post(pay_path(answer), {"action": "decline"})
    txn = MomoTransaction.objects.get()
    assert txn.result_code == 1006
    assert refund(client, trans_id=txn.trans_id, amount=1_000)[1]["resultCode"] == 1080
