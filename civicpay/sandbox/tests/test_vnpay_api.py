"""merchant_webapi/api/transaction: querydr and refund, requested with the merchant's codec
(vnpay_protocol.querydr_request/refund_request) and answers checked with vnpay_protocol.verify_api_response."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from civicpay.core import clock
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.sandbox.models import VnpayRefund, VnpayTransaction
from civicpay.sandbox.tests.vnpay_helpers import INSUFFICIENT_CARD, SECRET, TMN, open_payment, pay, pay_url

pytestmark = pytest.mark.django_db

API = "sandbox:vnpay:api"
_ids = iter(range(1, 10_000))


def post(client, body) -> dict:
    response = client.post(reverse(API), data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def querydr(client, txn: VnpayTransaction, **overrides) -> dict:
    args: dict[str, Any] = {
        "request_id": f"Q{next(_ids)}",
        "tmn_code": TMN,
        "secret": SECRET,
        "txn_ref": txn.txn_ref,
        "transaction_date": vnp.parse_date(txn.vnp_create_date),
        "create_date": clock.now(),
        "ip_addr": "10.0.0.1",
        "order_info": "Truy van giao dich",
    } | overrides
    return post(client, vnp.querydr_request(**args))


def refund(client, txn: VnpayTransaction, amount_vnd: int, kind: str = vnp.REFUND_PARTIAL, **overrides) -> dict:
    args: dict[str, Any] = {
        "request_id": f"R{next(_ids)}",
        "tmn_code": TMN,
        "secret": SECRET,
        "transaction_type": kind,
        "txn_ref": txn.txn_ref,
        "amount_vnd": amount_vnd,
        "transaction_no": txn.transaction_no,
        "transaction_date": vnp.parse_date(txn.vnp_create_date),
        "create_by": "ke.toan@so-tu-phap.gov.vn",
        "create_date": clock.now(),
        "ip_addr": "10.0.0.1",
        "order_info": "Hoàn tiền nộp thừa",
    } | overrides
    return post(client, vnp.refund_request(**args))


@pytest.fixture
def paid(client) -> VnpayTransaction:
    pay(client, url=pay_url(txn_ref="H26.0042-1", amount_vnd=200_000))
    return VnpayTransaction.objects.get(txn_ref="H26.0042-1")


def test_querydr_reports_a_successful_payment(client, paid):
    answer = querydr(client, paid)

    assert vnp.verify_api_response(answer, SECRET)
    assert answer["vnp_ResponseCode"] == "00"
    assert (answer["vnp_TmnCode"], answer["vnp_TxnRef"], answer["vnp_Amount"]) == (TMN, "H26.0042-1", "20000000")
    assert (answer["vnp_TransactionStatus"], answer["vnp_TransactionType"]) == ("00", "01")
    assert answer["vnp_TransactionNo"] == paid.transaction_no
    assert answer["vnp_BankCode"] == "NCB"
    assert vnp.parse_date(answer["vnp_PayDate"]) is not None


def test_querydr_reports_open_failed_and_abandoned_payments(client):
    token_url = pay_url(txn_ref="OPEN-1")
    open_payment(client, token_url)
    pay(client, number=INSUFFICIENT_CARD, url=pay_url(txn_ref="FAIL-1"))
    open_txn = VnpayTransaction.objects.get(txn_ref="OPEN-1")

    assert querydr(client, open_txn)["vnp_TransactionStatus"] == "01"
    failed = querydr(client, VnpayTransaction.objects.get(txn_ref="FAIL-1"))
    assert vnp.verify_api_response(failed, SECRET) and failed["vnp_TransactionStatus"] == "02"

    VnpayTransaction.objects.filter(pk=open_txn.pk).update(expire_at=clock.now() - timedelta(seconds=1))
    assert querydr(client, open_txn)["vnp_TransactionStatus"] == "02"


def test_querydr_error_codes(client, paid):
    not_found = querydr(client, paid, txn_ref="KHONG-CO")
    assert vnp.verify_api_response(not_found, SECRET)
    assert not_found["vnp_ResponseCode"] == "91"

    wrong_date = querydr(client, paid, transaction_date=vnp.parse_date(paid.vnp_create_date) - timedelta(days=1))
    assert wrong_date["vnp_ResponseCode"] == "91"

    forged = querydr(client, paid, secret="SAI-BI-MAT")
    assert vnp.verify_api_response(forged, SECRET)
    assert forged["vnp_ResponseCode"] == "97"

    stranger = querydr(client, paid, tmn_code="KHONGCO1")
    assert stranger["vnp_ResponseCode"] == "02"
    assert not vnp.verify_api_response(stranger, SECRET)  # unsigned: nothing may change on it

    body = vnp.querydr_request(
        request_id="Q-bad",
        tmn_code=TMN,
        secret=SECRET,
        txn_ref=paid.txn_ref,
        transaction_date=clock.now(),
        create_date=clock.now(),
        ip_addr="10.0.0.1",
        order_info="x",
    )
    body["vnp_Version"] = "2.0.0"
    signed = "|".join(body[k] for k in list(body)[:9])  # re-sign the altered request correctly
    body[vnp.HASH_FIELD] = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha512).hexdigest()
    bad_format = post(client, body)
    assert bad_format["vnp_ResponseCode"] == "03"
    assert vnp.verify_api_response(bad_format, SECRET)


def test_not_json_or_unknown_command_is_a_format_error(client):
    response = client.post(reverse(API), data="không phải JSON", content_type="application/json")
    assert response.json()["vnp_ResponseCode"] == "03"

    answer = post(client, {"vnp_Command": "pay", "vnp_TmnCode": TMN})
    assert answer["vnp_ResponseCode"] == "03"
    assert client.get(reverse(API)).status_code == 405


def test_partial_then_full_refund_of_the_rest(client, paid):
    first = refund(client, paid, 50_000)

    assert vnp.verify_api_response(first, SECRET)
    assert first["vnp_ResponseCode"] == "00"
    assert (first["vnp_Amount"], first["vnp_TransactionType"], first["vnp_TxnRef"]) == ("5000000", "03", "H26.0042-1")
    assert querydr(client, paid)["vnp_TransactionType"] == "03"

    rest = refund(client, paid, 150_000, kind=vnp.REFUND_FULL)
    assert rest["vnp_ResponseCode"] == "00"
    assert querydr(client, paid)["vnp_TransactionType"] == "02"
    assert list(VnpayRefund.objects.values_list("transaction_type", "amount_vnd")) == [("03", 50_000), ("02", 150_000)]
    paid.refresh_from_db()
    assert paid.refunded_vnd == 200_000

    nothing_left = refund(client, paid, 1_000)
    assert nothing_left["vnp_ResponseCode"] == "94"
    assert vnp.verify_api_response(nothing_left, SECRET)


def test_refund_error_paths(client, paid):
    assert refund(client, paid, 200_001)["vnp_ResponseCode"] == "03"  # more than was paid
    assert refund(client, paid, 100_000, kind=vnp.REFUND_FULL)["vnp_ResponseCode"] == "03"  # "full" but not all
    assert refund(client, paid, 1_000, secret="SAI")["vnp_ResponseCode"] == "97"
    assert refund(client, paid, 1_000, txn_ref="KHONG-CO")["vnp_ResponseCode"] == "91"
    assert refund(client, paid, 1_000, transaction_no="99999999")["vnp_ResponseCode"] == "91"
    assert refund(client, paid, 1_000, tmn_code="KHONGCO1")["vnp_ResponseCode"] == "02"

    once = refund(client, paid, 10_000, request_id="R-DUP")
    twice = refund(client, paid, 10_000, request_id="R-DUP")
    assert (once["vnp_ResponseCode"], twice["vnp_ResponseCode"]) == ("00", "94")
    assert vnp.verify_api_response(twice, SECRET)
    assert VnpayRefund.objects.count() == 1


def test_a_failed_payment_cannot_be_refunded(client):
    pay(client, number=INSUFFICIENT_CARD, url=pay_url(txn_ref="FAIL-2"))
    failed = VnpayTransaction.objects.get(txn_ref="FAIL-2")

    answer = refund(client, failed, 1_000)

    assert answer["vnp_ResponseCode"] == "95"
    assert vnp.verify_api_response(answer, SECRET)
    assert not VnpayRefund.objects.exists()
