"""The VNPay adapter on top of the codec: outcomes from VNPay's codes, replies, the published vector."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from civicpay.payments.providers.base import Ack, InvalidSignature, MalformedMessage, provider_get
from civicpay.payments.providers.vnpay import VnpayProvider
from civicpay.payments.states import PaymentStatus

# Published vector: lehuygiang28/vnpay test/__helpers__/test-fixtures.ts, secret "test_secret".
FIXTURE = {
    "vnp_Amount": "1000000",
    "vnp_BankCode": "NCB",
    "vnp_BankTranNo": "VNP14422574",
    "vnp_CardType": "ATM",
    "vnp_OrderInfo": "Thanh toan don hang 2024-05-21T02:17:31.249Z",
    "vnp_PayDate": "20240521091806",
    "vnp_ResponseCode": "00",
    "vnp_TmnCode": "TEST_TMN_CODE",
    "vnp_TransactionNo": "14422574",
    "vnp_TransactionStatus": "00",
    "vnp_TxnRef": "1716257871703",
    "vnp_SecureHash": "649982421beb422556a1374713c74e58e716ecbd05007c0c0e1f7effdfaf361dbf146889ca446139afe11b9954c4d5c486e99e3b86fcfab6957f29eb0be72895",
}


@pytest.fixture
def vector_merchant(settings):
    settings.VNPAY_TMN_CODE = "TEST_TMN_CODE"
    settings.VNPAY_HASH_SECRET = "test_secret"


def test_published_vector_reads_as_a_success(vector_merchant):
    outcome = VnpayProvider().parse_return(FIXTURE)
    assert outcome.status == PaymentStatus.SUCCESS and outcome.amount == 10_000
    assert (outcome.reference, outcome.transaction_no, outcome.bank_code) == ("1716257871703", "14422574", "NCB")
    assert outcome.paid_at is not None and outcome.paid_at.isoformat() == "2024-05-21T09:18:06+07:00"


def test_notification_from_a_django_request(vector_merchant):
    request = RequestFactory().get("/thanh-toan/vnpay/ipn/", FIXTURE)
    assert VnpayProvider().parse_notification(request).status == PaymentStatus.SUCCESS
    with pytest.raises(InvalidSignature):
        VnpayProvider().parse_notification(RequestFactory().get("/", {**FIXTURE, "vnp_Amount": "2000000"}))


def test_malformed_signed_message(vector_merchant):
    from civicpay.payments.providers import vnpay_protocol as vnp

    params = {k: v for k, v in FIXTURE.items() if k not in ("vnp_SecureHash", "vnp_TxnRef")}
    params["vnp_SecureHash"] = vnp.sign(params, "test_secret")
    with pytest.raises(MalformedMessage):
        VnpayProvider().parse_return(params)


@pytest.mark.parametrize(
    ("response_code", "transaction_status", "status"),
    [
        ("00", "00", PaymentStatus.SUCCESS),
        ("00", "01", None),  # not completed: no final outcome
        ("00", "02", PaymentStatus.FAILED),
        ("24", "02", PaymentStatus.CANCELLED),
        ("11", "02", PaymentStatus.EXPIRED),
        ("07", "07", PaymentStatus.SUBMITTED),  # money taken, held for review
        ("51", "02", PaymentStatus.FAILED),
        ("99", "02", PaymentStatus.FAILED),
    ],
)
def test_codes_map_to_our_statuses(settings, response_code, transaction_status, status):
    from civicpay.payments.providers import vnpay_protocol as vnp

    params = {
        k: v for k, v in FIXTURE.items() if k not in ("vnp_SecureHash", "vnp_ResponseCode", "vnp_TransactionStatus")
    }
    params.update(vnp_ResponseCode=response_code, vnp_TransactionStatus=transaction_status)
    params["vnp_SecureHash"] = vnp.sign(params, settings.VNPAY_HASH_SECRET)
    outcome = VnpayProvider().parse_return(params)
    assert outcome.status == status and outcome.message == vnp.message_for(response_code)


@pytest.mark.parametrize(
    ("ack", "body"),
    [
        (Ack.OK, {"RspCode": "00", "Message": "Confirm Success"}),
        (Ack.NOT_FOUND, {"RspCode": "01", "Message": "Order not found"}),
        (Ack.ALREADY_CONFIRMED, {"RspCode": "02", "Message": "Order already confirmed"}),
        (Ack.INVALID_AMOUNT, {"RspCode": "04", "Message": "invalid amount"}),
        (Ack.INVALID_SIGNATURE, {"RspCode": "97", "Message": "Invalid signature"}),
        (Ack.ERROR, {"RspCode": "99", "Message": "Unknown error"}),
    ],
)
def test_acknowledgements_in_vnpay_format(ack, body):
    import json

    response = VnpayProvider().acknowledge(ack)
    assert response.status_code == 200 and json.loads(response.content) == body
    assert VnpayProvider().reply_code(ack) == body["RspCode"]


def test_registry_follows_settings(settings):
    assert isinstance(provider_get("vnpay"), VnpayProvider)
    settings.PAYMENT_PROVIDERS = []
    with pytest.raises(LookupError):
        provider_get("vnpay")
