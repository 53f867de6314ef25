"""The VNPay IPN contract, the browser return and the status poll, through Django's test client.

Reply codes and check order: VNPay's IPN guide and lehuygiang28/vnpay
``src/constants/ipn-result-for-vnpay.constant.ts`` (see docs/protocols/vnpay.md): signature (97) →
order (01) → amount (04) → already confirmed (02) → 00; anything else 99.
"""

from __future__ import annotations

import pytest
from django.test import Client

from civicpay.accounts.tests.factories import UserFactory
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.access import remember_payment
from civicpay.payments.models import CallbackKind, CallbackOutcome, LedgerEntry, Payment, ProviderCallback
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import ipn_params, make_payment, send_ipn, settle_due, signed

pytestmark = pytest.mark.django_db


def status_of(payment: Payment) -> str:
    return Payment.objects.values_list("status", flat=True).get(pk=payment.pk)


def test_success_ipn_confirms_and_stores_the_callback(client, payable):
    payment = make_payment()
    assert send_ipn(client, ipn_params(payment)) == {"RspCode": "00", "Message": "Confirm Success"}
    assert status_of(payment) == PaymentStatus.SUCCESS
    callback = ProviderCallback.objects.get()
    assert callback.kind == CallbackKind.IPN and callback.outcome == CallbackOutcome.APPLIED
    assert callback.reply_code == "00" and callback.signature_valid and callback.payment == payment
    assert callback.raw["vnp_TxnRef"] == payment.reference and callback.remote_addr == "127.0.0.1"


@pytest.mark.parametrize(
    ("tamper", "reply"),
    [
        # Forged: signed with another secret, even with a wrong amount and an unknown order → 97 first.
        (lambda p: ipn_params(p, secret="not-the-secret", amount=1, txn_ref="PAYNOSUCH"), "97"),
        (lambda p: {**ipn_params(p), "vnp_Amount": "100"}, "97"),  # changed after signing
        (lambda p: {k: v for k, v in ipn_params(p).items() if k != "vnp_SecureHash"}, "97"),
        # Correctly signed, unknown order (even with a wrong amount) → 01 before 04.
        (lambda p: ipn_params(p, txn_ref="PAY000000UNKNOWN", amount=1), "01"),
        # Correctly signed, our order, wrong amount → 04.
        (lambda p: ipn_params(p, amount=p.amount - 1), "04"),
        # Correctly signed but unreadable (no vnp_ResponseCode) → 99.
        (
            lambda p: signed(
                {k: v for k, v in ipn_params(p).items() if k not in ("vnp_SecureHash", "vnp_ResponseCode")}
            ),
            "99",
        ),
    ],
)
def test_rejected_ipns_change_nothing(client, payable, tamper, reply):
    payment = make_payment()
    assert send_ipn(client, tamper(payment))["RspCode"] == reply
    assert status_of(payment) == PaymentStatus.STARTED
    assert not LedgerEntry.objects.exists() and not OutboxMessage.objects.exists() and not payable.paid
    callback = ProviderCallback.objects.get()  # stored even when rejected
    assert callback.outcome == CallbackOutcome.REJECTED and callback.reply_code == reply


def test_an_ipn_that_fails_half_way_is_kept_with_an_error_and_applies_when_sent_again(client, payable, monkeypatch):
    payment = make_payment()
    params = ipn_params(payment)

    def disk_full(**kwargs: object) -> None:
        raise OSError("disk full")

    # The audit row is written after the payment's new state and its ledger entry: both must roll back.
    with monkeypatch.context() as patch:
        patch.setattr("civicpay.payments.services.audit_record", disk_full)
        assert send_ipn(client, params)["RspCode"] == "99"
    assert status_of(payment) == PaymentStatus.STARTED
    assert not LedgerEntry.objects.exists()
    callback = ProviderCallback.objects.get()  # the message itself is kept, with what went wrong
    assert callback.outcome == CallbackOutcome.ERROR and callback.reply_code == "99"
    assert callback.note == "OSError: disk full" and callback.times_received == 1

    assert send_ipn(client, params)["RspCode"] == "00"  # VNPay's retry: the same message
    assert status_of(payment) == PaymentStatus.SUCCESS and LedgerEntry.objects.count() == 1
    callback.refresh_from_db()
    assert callback.outcome == CallbackOutcome.APPLIED and callback.times_received == 2


def test_already_confirmed_and_duplicates(client, payable):
    payment = make_payment()
    params = ipn_params(payment)
    assert send_ipn(client, params)["RspCode"] == "00"
    assert send_ipn(client, params) == {"RspCode": "02", "Message": "Order already confirmed"}
    callback = ProviderCallback.objects.get()
    assert callback.times_received == 2 and callback.outcome == CallbackOutcome.APPLIED
    # A different message for the same payment (a failure after the success) is stored and ignored.
    assert send_ipn(client, ipn_params(payment, response_code="51", transaction_no="2"))["RspCode"] == "02"
    assert status_of(payment) == PaymentStatus.SUCCESS
    assert ProviderCallback.objects.count() == 2
    assert ProviderCallback.objects.filter(outcome=CallbackOutcome.IGNORED).count() == 1
    settle_due()
    assert LedgerEntry.objects.count() == 1 and OutboxMessage.objects.count() == 2 and payable.success_calls == 1


def test_failure_ipn_then_late_success_is_flagged(client, payable):
    payment = make_payment()
    assert send_ipn(client, ipn_params(payment, response_code="24"))["RspCode"] == "00"
    assert status_of(payment) == PaymentStatus.CANCELLED
    assert send_ipn(client, ipn_params(payment, transaction_no="777"))["RspCode"] == "02"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and payment.needs_reconciliation
    assert ProviderCallback.objects.filter(outcome=CallbackOutcome.FLAGGED).count() == 1


def test_ipn_only_answers_get(client, payable):
    assert client.post("/thanh-toan/vnpay/ipn/", {}).status_code == 405


def test_return_before_ipn_changes_nothing_then_ipn_confirms(client, payable):
    user = UserFactory.create()
    payment = make_payment(user=user)
    params = ipn_params(payment)
    response = client.get("/thanh-toan/vnpay/return/", params)
    assert response.status_code == 302 and response["Location"] == f"/thanh-toan/ket-qua/?ref={payment.reference}"
    assert status_of(payment) == PaymentStatus.STARTED  # the browser is never proof of payment
    callback = ProviderCallback.objects.get(kind=CallbackKind.RETURN)
    assert callback.outcome == CallbackOutcome.IGNORED and callback.payment == payment

    client.force_login(user)
    status_url = f"/thanh-toan/trang-thai/{payment.reference}/"
    assert client.get(status_url).json()["state"] == "processing"
    assert send_ipn(client, params)["RspCode"] == "00"  # same params, different kind: its own row
    assert client.get(status_url).json() == {
        "status": "success",
        "state": "success",
        "message": "Thanh toán thành công.",
        "final": True,
    }


def test_forged_return_is_stored_and_still_only_redirects(client, payable):
    payment = make_payment()
    response = client.get("/thanh-toan/vnpay/return/", ipn_params(payment, secret="forged"))
    assert response.status_code == 302
    assert ProviderCallback.objects.get().outcome == CallbackOutcome.REJECTED
    assert status_of(payment) == PaymentStatus.STARTED


def test_return_for_unknown_payment_shows_a_page(client, payable):
    payment = make_payment()
    response = client.get("/thanh-toan/vnpay/return/", ipn_params(payment, txn_ref="PAYNOSUCH"))
    assert response.status_code == 404
    assert "Không tìm thấy giao dịch" in response.content.decode()


def test_status_is_for_the_payer_or_the_creating_session_only(client, payable):
    owner = UserFactory.create()
    payment = make_payment(user=owner)
    anonymous_payment = make_payment()
    url = f"/thanh-toan/trang-thai/{payment.reference}/"
    assert client.get(url).status_code == 404
    client.force_login(UserFactory.create())
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert client.get(url).status_code == 200

    # Paying by dossier code without an account: the session that created the payment may follow it.
    guest = Client()
    anonymous_url = f"/thanh-toan/trang-thai/{anonymous_payment.reference}/"
    assert guest.get(anonymous_url).status_code == 404
    session = guest.session
    remember_payment(session, anonymous_payment)
    session.save()
    body = guest.get(anonymous_url).json()
    assert body["state"] == "processing" and body["final"] is False
    assert "đang xử lý" in body["message"].lower()
